"""SLAYER family blocks in fixed-point mode, exported and run on Lava: identical outputs.

ALIF (Lava ``ATRLIF``), RF / RF-Izhikevich (Lava ``RF`` / ``RF_IZ``) dense layers (real and
complex synapses, ``dense`` / ``dense_comp``) fed spikes,
and a sigma-delta network (``Delta`` input -> ``SigmaDelta`` dense -> ``Sigma`` readout) fed
integer data.  Timing as in ``test_slayer_roundtrip.py``: ``lava_out[..., t] ==
slayer_out[..., t]``.  Units: the sigma readout sends its sum on Lava's grid, ``2**18`` per
training unit; the Delta input takes data in Lava units (``64 x`` training units).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("lava", reason="lava-nc is not installed (needs Python 3.10)")

from lava.magma.core.run_conditions import RunSteps  # noqa: E402
from lava.magma.core.run_configs import Loihi1SimCfg  # noqa: E402
from lava.proc.io.sink import RingBuffer as Sink  # noqa: E402
from lava.proc.io.source import RingBuffer as Source  # noqa: E402

from netx import hdf5  # noqa: E402
from trainers import slayer  # noqa: E402

pytestmark = pytest.mark.lava

STEPS = 24
ALIF = dict(threshold=1.0, threshold_step=0.5, current_decay=0.25, voltage_decay=0.1,
            threshold_decay=0.1, refractory_decay=0.2)
RF = {"threshold": 0.25, "period": 7, "decay": 0.05}


def _run_lava(path, data: np.ndarray) -> np.ndarray:
    net = hdf5.Network(net_config=path)
    sink = Sink(shape=net.out.shape, buffer=STEPS)
    net.out.connect(sink.a_in)
    Source(data=data.astype(np.int64)).s_out.connect(net.inp)
    try:
        net.run(condition=RunSteps(num_steps=STEPS), run_cfg=Loihi1SimCfg(select_tag="fixed_pt"))
        return sink.data.get().copy()
    finally:
        net.stop()


@pytest.mark.parametrize("family,params,block", [
    ("alif", ALIF, "Dense"), ("rf", RF, "Dense"), ("rf_iz", RF, "Dense"),
    ("rf", RF, "ComplexDense"), ("rf_iz", RF, "ComplexDense")])
def test_spiking_family_dense_runs_identically_on_lava(tmp_path, family, params, block):
    torch.manual_seed(0)
    mod = getattr(slayer.block, family)
    blocks = [mod.Input(None), getattr(mod, block)(params, 12, 6, weight_scale=3)]
    x = (torch.rand(1, 12, STEPS) < 0.3).float()
    with torch.no_grad():
        expected = blocks[1](blocks[0](x))[0].numpy()
    assert expected.sum() >= 10  # the comparison means something
    path = tmp_path / f"{family}.net"
    slayer.block.export_hdf5(blocks, str(path))
    np.testing.assert_array_equal(_run_lava(path, x[0].numpy()), expected)


def test_sigma_delta_network_runs_identically_on_lava(tmp_path):
    torch.manual_seed(0)
    sd = {"threshold": 0.125}
    blocks = [slayer.block.sigma_delta.Input(sd),
              slayer.block.sigma_delta.Dense(sd, 12, 6, weight_scale=3),
              slayer.block.sigma_delta.Output(sd, 6, 3, weight_scale=3)]
    data = torch.randint(0, 40, (1, 12, STEPS))  # Lava units
    with torch.no_grad():
        y = data.float() / 64
        for b in blocks:
            y = b(y)
    expected = y[0].double().numpy() * 2 ** 18
    assert np.count_nonzero(expected) > 30
    path = tmp_path / "sdnn.net"
    slayer.block.export_hdf5(blocks, str(path))
    np.testing.assert_array_equal(_run_lava(path, data[0].numpy()), expected)
