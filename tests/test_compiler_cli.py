"""``python -m compiler`` through a subprocess: report on mnist.net, exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

from netx import spec

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_cli_compiles_mnist(fixtures_dir, tmp_path):
    out = tmp_path / "mnist_loihi1.net"
    res = run(fixtures_dir / "mnist.net", "--profile", "loihi1", "-o", out)
    assert res.returncode == 0, res.stderr
    assert "quantize: unchanged" in res.stdout
    # 784 input + 512 + 512 + 10 neurons; layer 1: 784 synapses x 6 bits per neuron ->
    # 222 neurons per 1 Mbit core -> 3 cores; layer 2: 512 x 6 -> 341 per core -> 2 cores
    assert "1818 neurons on 5 of 128 cores, 1 of 1 chip(s)" in res.stdout
    back = spec.read(out)
    original = spec.read(fixtures_dir / "mnist.net")
    assert spec.deep_equal(back.layers, original.layers)
    part = back.extras["compiler"]["partition"]
    assert [len(part[f"layer_{i}"]["core"]) for i in range(4)] == [1, 3, 2, 1]
    with h5py.File(out, "r") as f:  # a lava-dl reader only walks layer/ and simulation/
        assert sorted(f.keys()) == ["compiler", "layer", "simulation"]


def test_cli_json(fixtures_dir):
    res = run(fixtures_dir / "tiny.net", "--profile", "loihi2", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["partition"]["cores_used"] == 1
    assert [r["neurons"] for r in d["partition"]["layers"]] == [768, 864, 36]
    assert d["quantize"]["float_input"] is False


def test_cli_malformed_files_exit_2(tmp_path):
    junk = tmp_path / "junk.net"
    junk.write_bytes(b"not hdf5 at all")
    res = run(junk)
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and str(junk) in lines[0]

    broken = tmp_path / "broken.net"  # a dense layer without its weight
    with h5py.File(broken, "w") as f:
        f["layer/0/type"] = np.array([b"input"])
        f["layer/0/shape"] = np.array([4])
        f["layer/1/type"] = np.array([b"dense"])
        f["layer/1/shape"] = np.array([3])
    res = run(broken, "--profile", "loihi1")
    assert res.returncode == 2
    line = res.stderr.strip()
    assert "\n" not in line and str(broken) in line and "layer 1" in line and "weight" in line

    bad_profile = tmp_path / "chip.toml"
    bad_profile.write_text('name = "x"\n')
    res = run(broken, "--profile", bad_profile)
    assert res.returncode == 2 and str(bad_profile) in res.stderr


def test_cli_unwritable_output_names_the_output(fixtures_dir, tmp_path):
    src = fixtures_dir / "tiny.net"
    for target, words in ((tmp_path / "missing" / "out.net", "no such directory"),
                          (tmp_path, "is a directory")):
        res = run(src, "-o", target)
        line = res.stderr.strip()
        assert res.returncode == 2 and "\n" not in line, res.stderr
        assert line.startswith(f"error: {target.parent if 'missing' in str(target) else target}")
        assert words in line and str(src) not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []
