"""SLAYER block export: same hdf5 keys, dtypes and values as lava-dl writes."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from trainers import slayer

CUBA = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03}

pytestmark = pytest.mark.usefixtures("single_thread")


def _items(group: h5py.Group) -> dict:
    """{key: (dtype, shape)} of every dataset below ``group``."""
    out = {}
    group.visititems(lambda k, o: out.__setitem__(k, (o.dtype, o.shape))
                     if isinstance(o, h5py.Dataset) else None)
    return out


def _export(block, tmp_path, name="b.net"):
    path = tmp_path / name
    with h5py.File(path, "w") as h:
        block.export_hdf5(h.create_group("layer/0"))
    return h5py.File(path, "r")["layer/0"]


def test_dense_block_matches_lava_dl_dense_layer(fixtures_dir, tmp_path):
    block = slayer.block.cuba.Dense(dict(CUBA, current_decay=1.0), 784, 512)
    block(torch.zeros(1, 784, 2))
    with torch.no_grad():
        block.synapse.weight[0, :3] = torch.tensor([0.5, -0.03, 10.0])
    got = _export(block, tmp_path)
    ref = h5py.File(fixtures_dir / "mnist.net", "r")["layer/1"]
    assert _items(got) == _items(ref)
    assert got["type"][()].tolist() == [b"dense"]
    assert got["neuron/type"][()] == b"CUBA"
    # the fixture's neuron: current_decay 1, voltage_decay 0.03, threshold 1.25
    for key in ("iDecay", "vDecay", "vThMant", "refDelay", "gradedSpike"):
        assert got[f"neuron/{key}"][()] == ref[f"neuron/{key}"][()]
    w = got["weight"][()]
    np.testing.assert_array_equal(w[0, :3], [32.0, -2.0, 254.0])  # 8-bit hook, x64
    assert np.all(w % 2 == 0) and w.min() >= -256 and w.max() <= 254
    assert got["inFeatures"][()] == 784 and got["outFeatures"][()] == 512
    assert got["shape"][()].tolist() == [512]


def test_conv_block_matches_lava_dl_conv_layer(fixtures_dir, tmp_path):
    params = dict(CUBA, norm=slayer.neuron.norm.MeanOnlyBatchNorm)
    block = slayer.block.cuba.Conv(params, 3, 24, 5, stride=2)
    block.eval()
    block(torch.zeros(1, 3, 16, 16, 2))
    with torch.no_grad():
        block.neuron.norm.bias[:] = torch.arange(24) / 32.0
    got = _export(block, tmp_path)
    ref = h5py.File(fixtures_dir / "tiny.net", "r")["layer/1"]
    top = lambda items: {k: v for k, v in items.items() if not k.startswith("neuron/")}
    assert top(_items(got)) == top(_items(ref))
    assert got["shape"][()].tolist() == ref["shape"][()].tolist() == [24, 6, 6]
    for key in ("kernelSize", "stride", "padding", "dilation", "groups", "inChannels",
                "outChannels"):
        np.testing.assert_array_equal(got[key][()], ref[key][()])
    np.testing.assert_array_equal(got["bias"][()], np.arange(24) * 2.0)
    w = block.synapse.weight.detach()
    np.testing.assert_array_equal(got["weight"][()][..., 0],
                                  (torch.round(w * 32) * 2).clamp(-256, 254).numpy())
    mnist_neuron = h5py.File(fixtures_dir / "mnist.net", "r")["layer/1/neuron"]
    assert set(got["neuron"].keys()) == set(mnist_neuron.keys())


def test_input_block_matches_lava_dl_input_layer(fixtures_dir, tmp_path):
    block = slayer.block.cuba.Input(CUBA, weight=36 / 64, bias=34 / 64)
    block(torch.zeros(1, 3, 16, 16, 2))
    got = _export(block, tmp_path)
    ref = h5py.File(fixtures_dir / "tiny.net", "r")["layer/0"]
    top = lambda items: {k: v for k, v in items.items() if not k.startswith("neuron/")}
    assert top(_items(got)) == top(_items(ref))
    assert got["weight"][()].tolist() == ref["weight"][()].tolist() == [36.0]
    assert got["bias"][()].tolist() == ref["bias"][()].tolist() == [34.0]
    assert got["shape"][()].tolist() == [3, 16, 16]


def test_recurrent_block_matches_lava_dl_dense_rec(fixtures_dir, tmp_path):
    params = dict(CUBA, shared_param=False, requires_grad=True)
    block = slayer.block.cuba.Recurrent(params, 6, 5)
    block((torch.rand(1, 6, 4) < 0.5).float())
    got = _export(block, tmp_path)
    ref = h5py.File(fixtures_dir / "recurrent_example.net", "r")["layer/0"]
    assert _items(got) == _items(ref)
    np.testing.assert_array_equal(got["neuron/iDecay"][()], [1024] * 5)


def test_affine_readout_matches_lava_dl_readout(fixtures_dir, tmp_path):
    block = slayer.block.cuba.Affine(CUBA, 512, 10)
    block(torch.zeros(1, 512, 2))
    got = _export(block, tmp_path)
    ref = h5py.File(fixtures_dir / "mnist.net", "r")["layer/3"]
    assert _items(got) == _items(ref)
    dyn = slayer.block.cuba.Affine(CUBA, 512, 10, dynamics=True)
    dyn(torch.zeros(1, 512, 2))
    got = _export(dyn, tmp_path, "dyn.net")
    assert got["neuron/vThMant"][()] == (1 << 18) - 1


def test_pool_flatten_average_export(tmp_path):
    pool = slayer.block.cuba.Pool(CUBA, 2, weight_scale=1.1)
    pool(torch.zeros(1, 4, 8, 8, 2))
    got = _export(pool, tmp_path)
    assert got["type"][()].tolist() == [b"pool"]
    assert got["shape"][()].tolist() == [4, 4, 4]
    np.testing.assert_array_equal(got["weight"][()], np.full((1, 1, 2, 2), 70.0))
    np.testing.assert_array_equal(got["kernelSize"][()], [2, 2])
    np.testing.assert_array_equal(got["stride"][()], [2, 2])
    flat = slayer.block.cuba.Flatten()
    assert flat(torch.zeros(2, 4, 3, 5, 7)).shape == (2, 60, 7)
    got = _export(flat, tmp_path, "f.net")
    assert got["type"][()].tolist() == [b"flatten"] and got["shape"][()].tolist() == [60]


def test_exported_network_reads_back_with_netx_spec(tmp_path):
    spec = pytest.importorskip("netx.spec")
    torch.manual_seed(0)
    blocks = [slayer.block.cuba.Input(CUBA),
              slayer.block.cuba.Conv(CUBA, 2, 4, 3, padding=1),
              slayer.block.cuba.Flatten(),
              slayer.block.cuba.Dense(CUBA, 4 * 6 * 6, 10),
              slayer.block.cuba.Affine(CUBA, 10, 3)]
    x = torch.zeros(1, 2, 6, 6, 3)
    for b in blocks:
        x = b(x)
    path = tmp_path / "net.net"
    slayer.block.export_hdf5(blocks, str(path), simulation={"Ts": 1, "tSample": 3})
    net = spec.read(path)
    assert [layer.kind for layer in net.layers] == ["input", "conv", "flatten", "dense", "dense"]
    assert net.layers[3].neuron.vth_mant == 80 and net.layers[4].neuron is None
    np.testing.assert_array_equal(net.layers[3].weight,
                                  blocks[3].synapse.file_weight())
    np.testing.assert_array_equal(net.layers[1].weight,
                                  blocks[1].synapse.file_weight())
