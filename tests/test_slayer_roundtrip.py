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

from helpers import warm_up  # noqa: E402

pytestmark = [pytest.mark.lava, pytest.mark.usefixtures("single_thread")]

STEPS = 32


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


# --------------------------------------------------------------------------- 20 inputs
SAMPLES, T, PAD = 20, 12, 40


def _conv_net():
    n = {"threshold": 0.75, "current_decay": 0.5, "voltage_decay": 0.25}
    return [slayer.block.cuba.Conv(n, 2, 4, 3, padding=1, weight_scale=3),
            slayer.block.cuba.Pool(n, 2, weight_scale=2),
            slayer.block.cuba.Flatten(),
            slayer.block.cuba.Dense(n, 4 * 3 * 3, 8, weight_scale=4),
            slayer.block.cuba.Dense(n, 8, 4, weight_scale=4)], (2, 6, 6)


def _dense_net():
    n = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.125}
    return [slayer.block.cuba.Dense(n, 12, 10, weight_scale=3),
            slayer.block.cuba.Dense(n, 10, 6, weight_scale=3)], (12,)



def _trained(build) -> tuple:
    """``(net, x)``: the blocks ``build()`` returns (with their input shape) in a Sequential,
    trained a few steps in fixed-point mode on ``x``, random spikes (SAMPLES, *shape, T)."""
    torch.manual_seed(2)
    blocks, in_shape = build()
    net = torch.nn.Sequential(*blocks)
    x = (torch.rand(SAMPLES, *in_shape, T) < 0.35).float()
    warm_up(net, x)
    return net, x

def _recurrent_net():
    n = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.125}
    return [slayer.block.cuba.Dense(n, 12, 10, weight_scale=3),
            slayer.block.cuba.Recurrent(n, 10, 8, weight_scale=3),
            slayer.block.cuba.Dense(n, 8, 4, weight_scale=3)], (12,)


@pytest.mark.parametrize("build", [
    pytest.param(_conv_net, id="conv-pool-flatten-dense-dense"),
    pytest.param(_dense_net, id="dense"),
])
def test_trained_net_identical_on_lava_for_20_inputs(tmp_path, build):
    """Train a few steps in fixed-point mode, export, and run 20 random inputs through one
    Lava network (samples laid end to end; ``reset_interval`` restarts every layer at its own
    phase, and zero padding lets recurrent activity die out): every sample's output spikes
    equal the trainer's forward on that sample, step for step."""
    net, x = _trained(build)
    in_shape = tuple(x.shape[1:-1])
    with torch.no_grad():
        expected = net(x).numpy()  # (SAMPLES, C_out, T)
    assert expected.sum() > 2 * SAMPLES and len({e.tobytes() for e in expected}) > SAMPLES // 2
    path = tmp_path / "net.net"
    slayer.block.export_hdf5(list(net), str(path))

    window = T + PAD
    data = np.zeros((SAMPLES, *in_shape, window), np.int64)
    data[..., :T] = x.numpy()
    if len(in_shape) == 3:  # (S, C, H, W, t) -> Lava's (W, H, C, S * t)
        stream = data.transpose(3, 2, 1, 0, 4).reshape(*in_shape[::-1], -1)
    else:  # (S, N, t) -> (N, S * t)
        stream = data.transpose(1, 0, 2).reshape(in_shape[0], -1)
    kwargs = {"input_shape": (in_shape[2], in_shape[1], in_shape[0])} if len(in_shape) == 3 else {}
    lava_net = hdf5.Network(net_config=path, reset_interval=window, **kwargs)
    steps = SAMPLES * window
    sink = Sink(shape=lava_net.out.shape, buffer=steps)
    lava_net.out.connect(sink.a_in)
    Source(data=stream).s_out.connect(lava_net.inp)
    try:
        lava_net.run(condition=RunSteps(num_steps=steps),
                     run_cfg=Loihi1SimCfg(select_tag="fixed_pt"))
        out = sink.data.get().copy()
    finally:
        lava_net.stop()
    out = out.reshape(out.shape[0], SAMPLES, window).transpose(1, 0, 2)
    for i in range(SAMPLES):
        np.testing.assert_array_equal(out[i, :, :T], expected[i], err_msg=f"sample {i}")


@pytest.mark.parametrize("samples", [3, pytest.param(SAMPLES, marks=pytest.mark.slow)])
def test_trained_recurrent_net_identical_on_lava(tmp_path, samples):
    """Dense -> Recurrent -> Dense trained a few steps in fixed point: each of 20 random
    inputs (3 in the fast suite) runs in its own Lava network (a recurrent layer can keep itself firing, and a
    spike in transit on its recurrent synapse survives a reset, so samples cannot share one
    run); every layer's spikes equal the trainer's."""
    import netx

    net, x = _trained(_recurrent_net)
    with torch.no_grad():
        hidden = [x]
        for block in net:
            hidden.append(block(hidden[-1]))
    assert hidden[2].sum() > SAMPLES and hidden[3].sum() > SAMPLES
    path = tmp_path / "rec.net"
    slayer.block.export_hdf5(list(net), str(path))
    _, traces = netx.run(path, x[:samples].numpy().astype(np.int64), backend="lava",
                         run_cfg=Loihi1SimCfg(select_tag="fixed_pt"), return_layers=True)
    for k, trace in enumerate(traces):
        np.testing.assert_array_equal(trace.spikes, hidden[k + 1][:samples].numpy().astype(bool),
                                      err_msg=f"layer {k}")
