"""netx.spec: reading lava-dl's files, round trips, and one located error for bad input."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netx import spec
from netx.errors import NetxFormatError

FIXTURE_NETS = ["tiny.net", "mnist.net", "recurrent_example.net"]


# --------------------------------------------------------------------------- lava-dl files
def test_tiny_layers(fixtures_dir: Path) -> None:
    net = spec.read(fixtures_dir / "tiny.net")
    assert [layer.kind for layer in net] == ["input", "conv", "conv"]
    assert [layer.shape for layer in net] == [(3, 16, 16), (24, 6, 6), (36, 1, 1)]
    conv = net[1]
    assert isinstance(conv, spec.ConvLayer)
    assert conv.weight.shape == (24, 3, 5, 5)  # SLAYER's trailing time axis dropped
    assert (conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups) == (
        (5, 5), (2, 2), (0, 0), (1, 1), 1)
    assert (conv.in_channels, conv.out_channels) == (3, 24)
    neuron = net[0].neuron
    assert isinstance(neuron, spec.CubaNeuron) and neuron.type == "LOIHI"
    assert (neuron.i_decay, neuron.v_decay, neuron.vth_mant, neuron.ref_delay, neuron.wgt_exp) == (
        4096, 1024, 25, 1, 0)
    assert neuron.extra == {"scaleRho": 10.0, "tauRho": 0.5, "theta": 1600}
    assert net[0].weight == 36.0 and net[0].bias == 34.0
    assert net.simulation == spec.Simulation(Ts=1.0, tSample=64)
    assert net.format_version is None  # a lava-dl file
    assert spec.input_shapes(net) == [(3, 16, 16), (3, 16, 16), (24, 6, 6)]


def test_mnist_layers(fixtures_dir: Path) -> None:
    net = spec.read(fixtures_dir / "mnist.net")
    assert [layer.kind for layer in net] == ["input", "dense", "dense", "dense"]
    assert [layer.size for layer in net] == [784, 512, 512, 10]
    assert [layer.spiking for layer in net] == [True, True, True, False]  # affine readout
    assert net[1].weight.shape == (512, 784) and net[1].weight.dtype == np.float32
    assert net[3].in_features == 512 and net[3].out_features == 10
    n = net[1].neuron
    assert (n.type, n.i_decay, n.v_decay, n.vth_mant, n.graded_spike) == ("CUBA", 4096, 123, 80,
                                                                           False)


def test_recurrent_layers(fixtures_dir: Path) -> None:
    net = spec.read(fixtures_dir / "recurrent_example.net")
    assert [layer.kind for layer in net] == ["dense_rec", "dense_rec"]
    assert net.input_shape == (6,)
    first = net[0]
    assert isinstance(first, spec.RecurrentDenseLayer)
    assert first.weight.shape == (5, 6) and first.weight_rec.shape == (5, 5)
    assert first.neuron.i_decay.tolist() == [2044, 2044, 2047, 2054, 2062]  # learned per neuron
    assert first.neuron.vth_mant == 60


@pytest.mark.parametrize("name", FIXTURE_NETS)
def test_round_trip(fixtures_dir: Path, tmp_path: Path, name: str) -> None:
    net = spec.read(fixtures_dir / name)
    out = spec.write(net, tmp_path / name)
    again = spec.read(out)
    assert again.format_version == spec.FORMAT_VERSION
    assert again == dataclasses.replace(net, format_version=spec.FORMAT_VERSION)
    # and once more: our own files are a fixed point of read -> write -> read
    assert spec.read(spec.write(again, tmp_path / ("2" + name))) == again


def test_written_file_keeps_lava_dl_encoding(fixtures_dir: Path, tmp_path: Path) -> None:
    """What lava-dl's reader looks at stays as lava-dl wrote it."""
    out = spec.write(spec.read(fixtures_dir / "tiny.net"), tmp_path / "t.net")
    with h5py.File(fixtures_dir / "tiny.net") as a, h5py.File(out) as b:
        for i in ("0", "1", "2"):
            assert set(a["layer"][i].keys()) == set(b["layer"][i].keys())
            assert set(a["layer"][i]["neuron"].keys()) == set(b["layer"][i]["neuron"].keys())
        assert b["layer/1/weight"].shape == (24, 3, 5, 5, 1)
        np.testing.assert_array_equal(a["layer/1/weight"][()], b["layer/1/weight"][()])
        assert b["layer/1/type"][0] == b"conv"
        assert b.attrs["format_version"] == spec.FORMAT_VERSION


def test_write_is_atomic(fixtures_dir: Path, tmp_path: Path) -> None:
    net = spec.read(fixtures_dir / "mnist.net")
    target = tmp_path / "m.net"
    spec.write(net, target)
    before = target.read_bytes()
    bad = dataclasses.replace(net, layers=[*net.layers[:3], dataclasses.replace(
        net[3], weight=np.zeros((10, 7), np.float32))])
    with pytest.raises(NetxFormatError):
        spec.write(bad, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.net"]  # no temp file left behind


# --------------------------------------------------------------------------- bad input
def _copy(fixtures_dir: Path, tmp_path: Path, name: str = "mnist.net") -> Path:
    dst = tmp_path / name
    shutil.copy(fixtures_dir / name, dst)
    dst.chmod(0o644)
    return dst


def _error(path: Path) -> NetxFormatError:
    with pytest.raises(NetxFormatError) as info:
        spec.read(path)
    assert str(path) in str(info.value)
    return info.value


def test_missing_file(tmp_path: Path) -> None:
    err = _error(tmp_path / "nope.net")
    assert "no such file" in str(err)


def test_not_hdf5(tmp_path: Path) -> None:
    path = tmp_path / "text.net"
    path.write_text("layer 0: dense\n")
    assert "not a readable hdf5 file" in str(_error(path))


def test_truncated(fixtures_dir: Path, tmp_path: Path) -> None:
    path = _copy(fixtures_dir, tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    _error(path)


def test_missing_layer_group(tmp_path: Path) -> None:
    path = tmp_path / "empty.net"
    with h5py.File(path, "w") as f:
        f.create_group("simulation")
    err = _error(path)
    assert err.key == "layer" and "'layer'" in str(err)


@pytest.mark.parametrize("layer,key", [("1", "weight"), ("0", "shape"), ("2", "type"),
                                       ("1", "neuron/vThMant"), ("0", "neuron/iDecay")])
def test_missing_key(fixtures_dir: Path, tmp_path: Path, layer: str, key: str) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        del f[f"layer/{layer}/{key}"]
    err = _error(path)
    assert (err.layer, err.key) == (int(layer), key)
    assert f"layer {layer}" in str(err) and f"'{key}'" in str(err) and "missing" in str(err)


@pytest.mark.parametrize("key,value", [
    ("shape", b"512"),
    ("neuron/vThMant", b"eighty"),
    ("neuron/gradedSpike", 7),
    ("weight", np.array([b"a", b"b"])),
    ("neuron/iDecay", np.arange(3)),  # neither one value nor one per neuron
    ("neuron/vDecay", 5000),  # decays are out of 4096
])
def test_wrongly_typed_key(fixtures_dir: Path, tmp_path: Path, key: str, value) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        del f[f"layer/1/{key}"]
        f[f"layer/1/{key}"] = value
    err = _error(path)
    assert (err.layer, err.key) == (1, key)


def test_unknown_layer_type(fixtures_dir: Path, tmp_path: Path) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        del f["layer/2/type"]
        f["layer/2/type"] = np.array([b"lstm"])
    err = _error(path)
    assert (err.layer, err.key) == (2, "type") and "'lstm'" in str(err)


def test_unknown_neuron_type(fixtures_dir: Path, tmp_path: Path) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        del f["layer/1/neuron/type"]
        f["layer/1/neuron/type"] = b"HH"
    err = _error(path)
    assert (err.layer, err.key) == (1, "neuron/type") and "'HH'" in str(err)


def test_weight_inconsistent_with_previous_layer(fixtures_dir: Path, tmp_path: Path) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        for k in ("weight", "inFeatures"):
            del f[f"layer/2/{k}"]
        f["layer/2/weight"] = np.zeros((512, 500), np.float32)
        f["layer/2/inFeatures"] = 500
    err = _error(path)
    assert (err.layer, err.key) == (2, "weight") and "512" in str(err) and "500" in str(err)


def test_conv_geometry_inconsistent(fixtures_dir: Path, tmp_path: Path) -> None:
    path = _copy(fixtures_dir, tmp_path, "tiny.net")
    with h5py.File(path, "a") as f:
        del f["layer/1/stride"]
        f["layer/1/stride"] = np.array([1, 1])
    err = _error(path)
    assert (err.layer, err.key) == (1, "shape") and "[12, 12]" in str(err)


@pytest.mark.parametrize("shape", [[-5], [0], [2 ** 40], [2 ** 20, 2 ** 20, 2 ** 20]])
def test_absurd_sizes_refused_before_allocation(fixtures_dir: Path, tmp_path: Path,
                                                shape) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        del f["layer/3/shape"]
        f["layer/3/shape"] = np.array(shape, np.int64)
    err = _error(path)
    assert (err.layer, err.key) == (3, "shape")


def test_huge_dataset_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "huge.net"
    with h5py.File(path, "w") as f:
        g = f.create_group("layer/0")
        g["type"] = np.array([b"dense"])
        g["shape"] = np.array([4])
        g.create_dataset("weight", shape=(2 ** 16, 2 ** 15), dtype=np.float32)  # sparse on disk
    err = _error(path)
    assert (err.layer, err.key) == (0, "weight") and "exceeds" in str(err)


def test_validate_in_memory_names_layer_and_key() -> None:
    net = spec.Network(layers=[
        spec.InputLayer(shape=(4,)),
        spec.DenseLayer(shape=(3,), neuron=spec.CubaNeuron(i_decay=0, v_decay=0, vth_mant=10),
                        weight=np.ones((3, 5), np.float32)),
    ])
    with pytest.raises(NetxFormatError) as info:
        spec.validate(net)
    assert (info.value.layer, info.value.key) == (1, "weight")
    assert str(info.value).startswith("<in-memory network>: layer 1: key 'weight':")


@pytest.mark.parametrize("layer,key,value,words", [
    # a weight that disagrees with the network is the weight's fault, not inFeatures'
    (2, "weight", np.zeros((512, 512, 2), np.float32), "expected 2 dimensions"),
    (2, "weight", np.zeros((0,), np.float32), "0 rows"),
    (2, "weight", np.zeros(512, np.float32), "1 columns but the previous layer outputs [512]"),
    # documented ranges (docs/spec.md)
    (1, "neuron/refDelay", 0, "within 1..63, found 0"),
    (1, "neuron/refDelay", 1000, "within 1..63, found 1000"),
    (1, "neuron/wgtExp", 99, "within -7..7, found 99"),
    (1, "neuron/messageBits", -4, "within 0..32, found -4"),
    (1, "bias", np.zeros((512, 1), np.float32), "found shape (512, 1)"),
    (3, "weight", np.full((10, 512), 1e30, np.float32), "smaller than 2^31"),
    (1, "bias", np.full(512, -3e9), "smaller than 2^31"),
])
def test_bad_value_blames_its_own_key(fixtures_dir: Path, tmp_path: Path, layer: int, key: str,
                                      value, words: str) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        if key in f[f"layer/{layer}"]:
            del f[f"layer/{layer}/{key}"]
        f[f"layer/{layer}/{key}"] = value
    err = _error(path)
    assert (err.layer, err.key) == (layer, key) and words in err.reason, str(err)


def test_inFeatures_disagreeing_with_a_consistent_weight(fixtures_dir: Path,
                                                         tmp_path: Path) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        del f["layer/2/inFeatures"]
        f["layer/2/inFeatures"] = 100
    err = _error(path)
    assert (err.layer, err.key) == (2, "inFeatures")
    assert err.reason == "says 100 but the weight implies 512"


def test_conv_groups_zero_blames_groups(fixtures_dir: Path, tmp_path: Path) -> None:
    path = _copy(fixtures_dir, tmp_path, "tiny.net")
    with h5py.File(path, "a") as f:
        del f["layer/1/groups"]
        f["layer/1/groups"] = 0
    err = _error(path)
    assert (err.layer, err.key) == (1, "groups") and "found 0" in err.reason


@pytest.mark.parametrize("key,value,words", [
    ("simulation/Ts", 0, "step length must be > 0"),
    ("simulation/tSample", -16, "steps per sample must be >= 1"),
])
def test_simulation_values_checked(fixtures_dir: Path, tmp_path: Path, key: str, value,
                                   words: str) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        del f[key]
        f[key] = value
    err = _error(path)
    assert (err.layer, err.key) == (None, key) and words in err.reason


def test_unknown_major_format_version(fixtures_dir: Path, tmp_path: Path) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = "2.0"
    err = _error(path)
    assert err.key == "format_version" and "'2.0'" in err.reason
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = "1.3"  # a minor revision still reads
    assert spec.read(path).format_version == "1.3"


def test_links_and_empty_datasets_named(fixtures_dir: Path, tmp_path: Path) -> None:
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        f["layer/1/note"] = h5py.SoftLink("/nowhere")
    err = _error(path)
    assert (err.layer, err.key) == (1, "note") and "'/nowhere' leads nowhere" in err.reason

    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        del f["layer/1/neuron/vThMant"]
        f["layer/1/neuron/vThMant"] = h5py.ExternalLink("gone.h5", "/v")
    err = _error(path)
    assert (err.layer, err.key) == (1, "neuron/vThMant") and "gone.h5" in err.reason

    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        del f["layer/2/shape"]
        f.create_dataset("layer/2/shape", data=h5py.Empty("i8"))
    err = _error(path)
    assert (err.layer, err.key) == (2, "shape") and "empty dataset" in err.reason

    # an empty dataset among the unmodelled keys is kept verbatim and written back
    path = _copy(fixtures_dir, tmp_path)
    with h5py.File(path, "a") as f:
        f.create_dataset("layer/2/meta", data=h5py.Empty("f4"))
    out = spec.write(spec.read(path), tmp_path / "again.net")
    with h5py.File(out, "r") as f:
        assert f["layer/2/meta"].shape is None and f["layer/2/meta"].dtype == np.float32


def test_complex_weight_stored_as_a_dataset(tmp_path: Path) -> None:
    rf = spec.RfNeuron(sin_decay=200, cos_decay=4000, vth_mant=10)
    net = spec.Network(layers=[
        spec.InputLayer(shape=(3,)),
        spec.ComplexDenseLayer(shape=(2,), neuron=rf, weight=np.ones((2, 3)),
                               weight_imag=np.zeros((2, 3))),
    ])
    path = spec.write(net, tmp_path / "rf.net")
    assert spec.deep_equal(spec.read(path).layers, net.layers)
    with h5py.File(path, "a") as f:
        del f["layer/1/weight"]
        f["layer/1/weight"] = np.ones((2, 3))
    err = _error(path)
    assert (err.layer, err.key) == (1, "weight")
    assert err.reason == "expected a group holding 'real', found a dataset"


def test_kernel_shaped_pool_weight_accepted() -> None:
    neuron = spec.CubaNeuron(i_decay=4096, v_decay=4096, vth_mant=10)
    net = spec.Network(layers=[
        spec.InputLayer(shape=(2, 4, 4), neuron=neuron),
        spec.PoolLayer(shape=(2, 2, 2), neuron=neuron, kernel_size=(2, 2), stride=(2, 2),
                       weight=np.full((1, 1, 2, 2), 64.0)),
    ])
    spec.validate(net)
    net.layers[1].weight = np.full((1, 1, 3, 2), 64.0)
    with pytest.raises(NetxFormatError) as info:
        spec.validate(net)
    assert (info.value.layer, info.value.key) == (1, "weight")


@pytest.mark.parametrize("target,words", [
    ("missing_dir/out.net", "no such directory"),
    (".", "is a directory"),
])
def test_write_to_a_bad_path_names_it(fixtures_dir: Path, tmp_path: Path, target: str,
                                      words: str) -> None:
    net = spec.read(fixtures_dir / "mnist.net")
    with pytest.raises(OSError) as info:
        spec.write(net, tmp_path / target)
    assert words in info.value.strerror and str(tmp_path) in info.value.filename
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    err = _error(tmp_path)
    assert err.reason == "is a directory, not a .net file"


# --------------------------------------------------------------------------- property test
def _mutate(path: Path, data: st.DataObject) -> None:
    """Apply one random structural or byte-level damage to a copy of a valid file."""
    action = data.draw(st.sampled_from(["delete", "replace", "truncate", "bytes"]))
    if action == "truncate":
        raw = path.read_bytes()
        path.write_bytes(raw[: data.draw(st.integers(0, len(raw) - 1))])
        return
    if action == "bytes":
        raw = bytearray(path.read_bytes())
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        path.write_bytes(bytes(raw))
        return
    with h5py.File(path, "a") as f:
        names: list = []
        f.visit(names.append)
        name = data.draw(st.sampled_from(sorted(names)))
        del f[name]
        if action == "replace":
            value = data.draw(st.one_of(
                st.binary(max_size=8).filter(lambda b: b"\x00" not in b),  # h5py: no NULs
                st.integers(-2 ** 40, 2 ** 40),
                st.floats(allow_nan=True, allow_infinity=True),
                st.lists(st.integers(-3, 3), max_size=4).map(lambda v: np.array(v, np.int64)),
                st.builds(lambda n: np.zeros((n, 3), np.float32), st.integers(0, 4)),
            ))
            f[name] = value


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), name=st.sampled_from(FIXTURE_NETS))
def test_damaged_files_raise_only_our_error(fixtures_dir: Path, tmp_path_factory, data,
                                            name: str) -> None:
    path = _copy(fixtures_dir, tmp_path_factory.mktemp("fuzz"), name)
    _mutate(path, data)
    try:
        spec.read(path)
    except NetxFormatError as err:
        assert str(path) in str(err)
