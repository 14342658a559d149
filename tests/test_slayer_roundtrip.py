"""Train in SLAYER's fixed-point mode, export, run the file on Lava: identical spikes.

Timing: Lava's Dense synapse delivers a spike one step late, and SLAYER's blocks delay their
output by one step (``delay_shift=True``, the default).  So with the same input spike train
fed to the first synapse (Lava: a ``RingBuffer`` source into ``net.inp``; SLAYER: the first
block's input), the last layer's spikes agree at every step index, including step 0:
``lava_out[..., t] == slayer_out[..., t]``.
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

STEPS = 32


@pytest.fixture(autouse=True)
def _single_thread():
    """Tiny tensors: one intra-op thread (faster, and immune to a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _train_small_net():
    torch.manual_seed(0)
    neuron = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.125,
              "requires_grad": True}
    net = torch.nn.Sequential(
        slayer.block.cuba.Dense(dict(neuron, shared_param=False), 12, 10, weight_scale=3),
        slayer.block.cuba.Dense(neuron, 10, 4, weight_scale=3))
    x = (torch.rand(6, 12, STEPS) < 0.3).float()
    target = torch.tensor([0.3, 0.1, 0.2, 0.05]).view(1, 4)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(5):
        loss = ((net(x).mean(-1) - target) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net, x


def test_trained_fixed_point_net_runs_identically_on_lava(tmp_path):
    net, x = _train_small_net()
    decays = net[0].neuron.device_params["iDecay"]
    assert isinstance(decays, np.ndarray) and decays.shape == (10,)  # learned per neuron
    net.eval()
    sample = x[:1]
    with torch.no_grad():
        expected = net(sample)[0].numpy()
    hidden = net[0](sample)[0].detach().numpy()
    assert expected.sum() > 5 and hidden.sum() > 20  # the test means something
    path = tmp_path / "trained.net"
    slayer.block.export_hdf5(list(net), str(path), simulation={"Ts": 1, "tSample": STEPS})

    lava_net = hdf5.Network(net_config=path)
    sink = Sink(shape=lava_net.out.shape, buffer=STEPS)
    lava_net.out.connect(sink.a_in)
    Source(data=sample[0].numpy().astype(np.int64)).s_out.connect(lava_net.inp)
    try:
        lava_net.run(condition=RunSteps(num_steps=STEPS),
                     run_cfg=Loihi1SimCfg(select_tag="fixed_pt"))
        out = sink.data.get().copy()
    finally:
        lava_net.stop()
    np.testing.assert_array_equal(out, expected)


def test_conv_flatten_dense_net_runs_identically_on_lava(tmp_path):
    """Conv -> Flatten -> Dense, fixed point: Lava's (W, H, C) layout and flipped-kernel
    convolution are handled by the exporter / builder; spikes agree at every step."""
    torch.manual_seed(1)
    neuron = {"threshold": 0.75, "current_decay": 0.5, "voltage_decay": 0.25}
    blocks = [slayer.block.cuba.Conv(neuron, 2, 4, 3, padding=1, weight_scale=3),
              slayer.block.cuba.Flatten(),
              slayer.block.cuba.Dense(neuron, 4 * 6 * 6, 5, weight_scale=4)]
    x = (torch.rand(1, 2, 6, 6, 20) < 0.3).float()
    with torch.no_grad():
        hidden = blocks[0](x)
        expected = blocks[2](blocks[1](hidden))[0].numpy()
    assert hidden.sum() > 20 and expected.sum() > 5
    path = tmp_path / "conv.net"
    slayer.block.export_hdf5(blocks, str(path))

    lava_net = hdf5.Network(net_config=path, input_shape=(6, 6, 2))
    sink = Sink(shape=lava_net.out.shape, buffer=20)
    lava_net.out.connect(sink.a_in)
    data = x[0].permute(2, 1, 0, 3).numpy().astype(np.int64)  # (C, H, W, T) -> (W, H, C, T)
    Source(data=data).s_out.connect(lava_net.inp)
    try:
        lava_net.run(condition=RunSteps(num_steps=20),
                     run_cfg=Loihi1SimCfg(select_tag="fixed_pt"))
        out = sink.data.get().copy()
    finally:
        lava_net.stop()
    np.testing.assert_array_equal(out, expected)
