"""The ``netx`` command line, run as ``python -m netx`` in a subprocess."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

import netx
from netx.cli import main

REPO = Path(__file__).resolve().parents[1]


def _netx(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netx", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture()
def broken_net(tmp_path, fixtures_dir) -> Path:
    """mnist.net with layer 2's weight given the wrong number of columns."""
    path = tmp_path / "broken.net"
    path.write_bytes((fixtures_dir / "mnist.net").read_bytes())
    with h5py.File(path, "r+") as f:
        del f["layer/2/weight"]
        f["layer/2/weight"] = np.zeros((512, 100), dtype=np.float32)
        del f["layer/2/inFeatures"]
    return path


def test_inspect_lists_layers_shapes_neurons_and_weights(fixtures_dir):
    res = _netx("inspect", fixtures_dir / "tiny.net")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert "3 layers, 1668 neurons, 23400 weights" in lines[0]
    rows = [l.split() for l in lines if l[:1].isdigit()]
    assert rows[1][:5] == ["1", "conv", "3x16x16", "24x6x6", "6x6x24"]
    assert rows[1][-1] == str(24 * 3 * 5 * 5)
    assert "vThMant=25" in lines[-1] and rows[2][3] == "36x1x1"


def test_inspect_shows_affine_readout(fixtures_dir, capsys):
    assert main(["inspect", str(fixtures_dir / "mnist.net")]) == 0
    out = capsys.readouterr().out
    assert "affine readout" in out.splitlines()[-1]
    assert "1818 neurons, 668672 weights" in out


def test_validate_ok_and_malformed(fixtures_dir, broken_net):
    ok = _netx("validate", fixtures_dir / "recurrent_example.net")
    assert ok.returncode == 0 and ok.stdout.startswith("ok: ")
    assert "dense_rec, dense_rec" in ok.stdout
    bad = _netx("validate", broken_net)
    assert bad.returncode == 2 and bad.stdout == ""
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {broken_net}: layer 2: key 'weight': ")


def test_missing_file_and_bad_arguments_exit_2(tmp_path, capsys):
    res = _netx("inspect", tmp_path / "nope.net")
    assert res.returncode == 2
    assert res.stderr.strip() == f"error: {tmp_path / 'nope.net'}: no such file"
    assert main(["run", str(tmp_path / "nope.net")]) == 2  # --input missing
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "--input" in err and err.startswith("error: ")
    assert main(["frobnicate"]) == 2
    assert capsys.readouterr().err.startswith("error: netx: argument command: invalid choice")


def test_run_engine_writes_the_same_output_as_netx_run(tmp_path, fixtures_dir):
    bias = np.load(fixtures_dir / "gts" / "tinynet" / "input_bias.npy")
    np.save(tmp_path / "bias.npy", bias)
    res = _netx("run", fixtures_dir / "tiny.net", "--input", tmp_path / "bias.npy",
                "--input-mode", "bias", "--steps", "17", "--reset-interval", "17",
                "--output", tmp_path / "out.npy")
    assert res.returncode == 0, res.stderr
    out = np.load(tmp_path / "out.npy")
    expect = netx.run(fixtures_dir / "tiny.net", bias, steps=17, input_mode="bias",
                      reset_interval=17)
    np.testing.assert_array_equal(out, expect)
    gt = np.load(fixtures_dir / "gts" / "tinynet" / "output.npy")[0].transpose(2, 1, 0, 3)
    np.testing.assert_array_equal(out[..., 2:17], gt[..., 1:].astype(bool))
    assert f"total {int(out.sum())} spikes" in res.stdout


def test_run_rejects_input_of_wrong_shape(tmp_path, fixtures_dir, capsys):
    np.save(tmp_path / "x.npy", np.zeros((100, 5)))
    assert main(["run", str(fixtures_dir / "mnist.net"), "--input",
                 str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {fixtures_dir / 'mnist.net'}: key 'input': ")
    assert len(err.strip().splitlines()) == 1


def test_plot_writes_a_png_raster(tmp_path, fixtures_dir):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.random((6, 30)) < 0.5)
    assert main(["plot", str(fixtures_dir / "recurrent_example.net"), "--input",
                 str(tmp_path / "x.npy"), "-o", str(tmp_path / "raster.png")]) == 0
    data = (tmp_path / "raster.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_plot_takes_the_same_spike_input_as_run(tmp_path, fixtures_dir, capsys):
    """mnist.net's input layer has a neuron; plot, like run, still defaults to spike input,
    and a wrong input names the file."""
    net = str(fixtures_dir / "mnist.net")
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((784, 8)) < 0.3)
    assert main(["run", net, "--input", str(tmp_path / "x.npy")]) == 0
    assert main(["plot", net, "--input", str(tmp_path / "x.npy"), "-o",
                 str(tmp_path / "raster.png")]) == 0
    assert (tmp_path / "raster.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    np.save(tmp_path / "bad.npy", np.zeros((100, 5)))
    assert main(["plot", net, "--input", str(tmp_path / "bad.npy"), "-o",
                 str(tmp_path / "bad.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {net}: key 'input': ") and len(err.strip().splitlines()) == 1


def test_bench_engine_prints_a_table(fixtures_dir, capsys):
    assert main(["bench", str(fixtures_dir / "recurrent_example.net"), "--steps", "20",
                 "--batch", "8", "--backends", "engine"]) == 0
    out = capsys.readouterr().out
    row = [l for l in out.splitlines() if l.startswith("engine")][0].split()
    assert float(row[1].replace(",", "")) > 0 and float(row[2].replace(",", "")) > 0


@pytest.mark.skipif(importlib.util.find_spec("compiler") is None, reason="no compiler package")
def test_compile_calls_the_compiler(tmp_path, fixtures_dir):
    res = _netx("compile", fixtures_dir / "mnist.net", "--profile", "loihi2", "-o",
                tmp_path / "c.net")
    if res.returncode == 2 and "not available" in res.stderr:
        pytest.skip(res.stderr)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "c.net").is_file()
    assert "1818 neurons" in res.stdout
    bad = _netx("compile", fixtures_dir / "mnist.net", "--profile", "no-such-profile")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")


@pytest.mark.lava
@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("lava") is None, reason="needs lava-nc")
def test_run_lava_backend_matches_engine(tmp_path, fixtures_dir):
    rng = np.random.default_rng(4)
    np.save(tmp_path / "x.npy", rng.random((6, 15)) < 0.6)
    outs = {}
    for backend in ("lava", "engine"):
        res = _netx("run", fixtures_dir / "recurrent_example.net", "--input",
                    tmp_path / "x.npy", "--backend", backend, "--output",
                    tmp_path / f"{backend}.npy")
        assert res.returncode == 0, res.stderr
        outs[backend] = np.load(tmp_path / f"{backend}.npy")
    assert outs["engine"].sum() > 0
    np.testing.assert_array_equal(outs["lava"], outs["engine"])
