"""``netx.run``: both backends accept and refuse the same inputs (netx.support's checks), so
that a run the engine refuses never hangs or silently differs on Lava."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import netx
from netx.errors import NetxFormatError

DATA = Path(__file__).parent / "data" / "engine_family"
BACKENDS = ["engine", pytest.param("lava", marks=pytest.mark.lava)]


@pytest.fixture
def recurrent(fixtures_dir: Path) -> Path:
    """lava-dl's recurrent_example.net: no input layer, dense_rec 6 -> 5, dense 5 -> 5."""
    return fixtures_dir / "recurrent_example.net"


def _lava_or_skip(backend: str) -> None:
    if backend == "lava":
        pytest.importorskip("lava")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("steps", [0, -3, 2.5])
def test_steps_must_be_positive_whole(recurrent: Path, backend: str, steps) -> None:
    """steps=0 used to leave Lava waiting forever (the engine returned (5, 0))."""
    _lava_or_skip(backend)
    with pytest.raises(ValueError, match="steps must be a whole number >= 1"):
        netx.run(recurrent, np.ones((6, 4)), steps=steps, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bias_input_needs_an_input_layer(recurrent: Path, backend: str) -> None:
    """Lava used to write the data into the first dense layer's bias and hang."""
    _lava_or_skip(backend)
    with pytest.raises(NetxFormatError) as info:
        netx.run(recurrent, np.full(6, 100), steps=4, input_mode="bias", backend=backend)
    assert (info.value.layer, info.value.key) == (0, "type")
    assert str(recurrent) in str(info.value)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("data,words", [
    (np.full((6, 4), np.nan), "NaN or infinity"),
    (np.full((6, 4), 0.5), "must be integers"),
    (np.array([[object()] * 4] * 6), "must be numbers"),
])
def test_bad_values_refused_alike(recurrent: Path, backend: str, data, words: str) -> None:
    _lava_or_skip(backend)
    with pytest.raises(NetxFormatError, match=words) as info:
        netx.run(recurrent, data, backend=backend)
    assert info.value.key == "input" and str(recurrent) in str(info.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_input_shape_contradicting_the_file(recurrent: Path, backend: str) -> None:
    """The engine used to read past its data (spikes from nothing, or a segfault)."""
    _lava_or_skip(backend)
    with pytest.raises(NetxFormatError, match=r"contradicts the network's input \(6,\)") as info:
        netx.run(recurrent, np.zeros((1, 16), int), input_shape=(1,), backend=backend)
    assert info.value.key == "input_shape"


@pytest.mark.parametrize("backend", BACKENDS)
def test_bias_beyond_16_bits(fixtures_dir: Path, backend: str) -> None:
    """Lava keeps bias_mant in 16 bits (32768 wrapped to 0 there; the engine used it)."""
    _lava_or_skip(backend)
    with pytest.raises(NetxFormatError, match="Lava's 16-bit bias_mant"):
        netx.run(fixtures_dir / "mnist.net", np.full(784, 32768), steps=4,
                 input_mode="bias", backend=backend)


@pytest.mark.lava
def test_floating_pt_refused_for_alif_on_lava_too() -> None:
    pytest.importorskip("lava")
    for backend in ("engine", "lava"):
        with pytest.raises(NetxFormatError, match="no floating_pt model") as info:
            netx.run(DATA / "alif.net", np.zeros((12, 4), int), backend=backend,
                     run_cfg="floating_pt")
        assert (info.value.layer, info.value.key) == (1, "neuron/type")


@pytest.mark.lava
def test_graded_input_into_the_first_synapse_agrees(recurrent: Path) -> None:
    """Without an input layer the data enter the first synapse; Lava's was binary, so
    graded x20 gave 5 spikes on Lava and 25 on the engine."""
    pytest.importorskip("lava")
    x = np.random.default_rng(1).integers(0, 2, (6, 8))
    for data, total in ((x * 20, 25), (-x, 0), (x, None)):
        engine = netx.run(recurrent, data)
        lava = netx.run(recurrent, data, backend="lava")
        np.testing.assert_array_equal(engine, lava)
        if total is not None:
            assert int(engine.sum()) == total
