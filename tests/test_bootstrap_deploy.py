"""Deploying a bootstrap-trained network: the exported ``.net`` run by the engine (and Lava)
reproduces the trainer's SNN mode exactly (issue 4), on a tiny network trained for a few
iterations (SAMPLE, FIT, ANN) on random data.  Encoding and time alignment as in
``examples/bootstrap_eval.py``: the input neuron gets ``a = round(64 (x w + b))`` as graded
input; every layer's Lava spikes equal the trainer's block outputs step for step; the readout
``u`` is ``4096 *`` the trainer's accumulated readout, one step late (run ``T + 1`` steps)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import netx
from examples.bootstrap_eval import compare, input_integers, readout_u, trainer_snn
from trainers import bootstrap
from trainers.bootstrap import Mode

T = 8
N_IN, N_HID, N_OUT = 24, 16, 4


def _tiny(tmp_path_factory):
    torch.manual_seed(3)
    params = {"threshold": 1.25, "current_decay": 1, "voltage_decay": 0.03,
              "tau_grad": 0.03, "scale_grad": 3, "requires_grad": False}
    blocks = torch.nn.ModuleList([
        bootstrap.block.cuba.Input(params, weight=1.5, bias=0.25),
        bootstrap.block.cuba.Dense(params, N_IN, N_HID, weight_norm=True, weight_scale=2),
        bootstrap.block.cuba.Dense(params, N_HID, N_HID, weight_norm=True, weight_scale=2),
        bootstrap.block.cuba.Affine(params, N_HID, N_OUT, weight_norm=True, weight_scale=2),
    ])
    g = torch.Generator().manual_seed(0)
    x = torch.rand(32, N_IN, generator=g) * 2 - 1
    y = torch.randint(0, N_OUT, (32,), generator=g)
    for mode in (Mode.SAMPLE, Mode.SAMPLE, Mode.FIT, Mode.ANN):
        z = x[..., None] if mode in (Mode.ANN, Mode.FIT) else x[..., None].repeat(1, 1, T)
        for b in blocks:
            z = b(z, mode=mode)
        loss = F.cross_entropy(z.mean(-1), y)
        blocks.zero_grad()
        loss.backward()
        with torch.no_grad():  # plain SGD (torch.optim's first use imports torch._dynamo, ~9 s)
            for p in blocks.parameters():
                if p.grad is not None:
                    p.sub_(0.5 * p.grad)
    blocks.eval()
    path = tmp_path_factory.mktemp("bootstrap_deploy") / "tiny.net"
    import h5py
    with h5py.File(path, "w") as h:
        h["simulation/Ts"] = 1
        h["simulation/tSample"] = T
        for i, b in enumerate(blocks):
            b.export_hdf5(h.create_group(f"layer/{i}"))
    xt = (torch.rand(6, N_IN, generator=g) * 2 - 1)[..., None].repeat(1, 1, T)
    return blocks, str(path), xt


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return _tiny(tmp_path_factory)


def test_input_encoding_is_trainer_neuron_input():
    block = bootstrap.block.cuba.Input({"threshold": 1.25, "current_decay": 1,
                                        "voltage_decay": 0.03}, weight=1.5, bias=0.25)
    x = torch.tensor([[[-1.0, 0.5, 0.3]]])
    # weight 1.5, bias 0.25 (multiples of 2/64, unchanged by the 8-bit hook):
    # 64 * (x * 1.5 + 0.25) = -80, 64, 44.8 -> 45
    assert input_integers(block, x).tolist() == [[[-80, 64, 45]]]


def test_readout_u_hand_computed():
    z = np.array([[[0.5, -0.25, 1.0]]])  # W s in training units: 64 z = 32, -16, 64
    assert readout_u(z).tolist() == [[[0, 32 * 64, 16 * 64, 80 * 64]]]


def test_trainer_snn_equals_engine_exactly(tiny):
    blocks, path, xt = tiny
    outs = trainer_snn(blocks, xt)
    # the network is active: the hidden layers spike
    assert outs[1].sum() > 0 and outs[2].sum() > 0
    a = input_integers(blocks[0], xt)
    a1 = np.concatenate([a, a[..., -1:]], axis=-1)
    out, traces = netx.run(path, a1, backend="engine", input_mode="spikes", return_layers=True)
    assert compare(outs, traces, out, T) == {
        "layer0_spikes": True, "layer1_spikes": True, "layer2_spikes": True, "readout_u": True}
    # classification: the readout after T + 1 steps is 4096 * T * the trainer's rate
    np.testing.assert_array_equal(out[..., T], np.rint(outs[-1].sum(-1) * 4096).astype(np.int64))
    np.testing.assert_array_equal(out[..., T].argmax(1), outs[-1].mean(-1).argmax(1))


@pytest.mark.lava
def test_engine_equals_lava_exactly(tiny):
    """3 inputs, every layer's s/u/v; ~12 s on 2 cores (+ Lava's first import)."""
    samples = 3
    pytest.importorskip("lava", reason="lava-nc is not installed (needs Python 3.10)")
    blocks, path, xt = tiny
    a = input_integers(blocks[0], xt[:samples])
    a1 = np.concatenate([a, a[..., -1:]], axis=-1)
    out_e, tr_e = netx.run(path, a1, backend="engine", input_mode="spikes", return_layers=True)
    out_l, tr_l = netx.run(path, a1, backend="lava", input_mode="spikes", return_layers=True)
    np.testing.assert_array_equal(out_l, out_e)
    assert [t.index for t in tr_l] == [t.index for t in tr_e] == [0, 1, 2, 3]
    for le, ee in zip(tr_l, tr_e):
        np.testing.assert_array_equal(le.spikes.astype(bool), ee.spikes.astype(bool))
        np.testing.assert_array_equal(le.u, ee.u)
        np.testing.assert_array_equal(le.v, ee.v)
    assert compare(trainer_snn(blocks, xt[:samples]), tr_l, out_l, T) == {
        "layer0_spikes": True, "layer1_spikes": True, "layer2_spikes": True, "readout_u": True}
