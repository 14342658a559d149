"""The event-driven CPU kernel (netx.engine.event) gives exactly the tensor engine's results.

* :func:`netx.fixed_point.cuba_neuron_step` (the scalar form the kernel compiles) equals
  :func:`netx.fixed_point.cuba_step` bit for bit, wraps and saturation included.
* ``Engine.run(method='event')`` equals ``method='tensor'`` and a plain ``fp.cuba_step`` loop
  on random chains (weight exponents, graded data, recurrent layers, resets, affine readout,
  int64 accumulators), on mnist.net in ``bias`` mode and on the dense ground truth.
* The kernel is ordinary Python: run uncompiled it gives the compiled result.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from netx import fixed_point as fp
from netx import spec
from netx.engine import Engine, EngineError, event

needs_numba = pytest.mark.skipif(not event.available(), reason="needs numba")

S24 = 2 ** 23


@settings(max_examples=400, deadline=None)
@given(u=st.integers(-S24 + 1, S24 - 1), v=st.integers(-S24 + 1, S24 - 1),
       a=st.one_of(st.integers(-2 ** 18, 2 ** 18), st.integers(-2 ** 30, 2 ** 30)),
       i_decay=st.integers(0, 4096), v_decay=st.integers(0, 4096),
       vth=st.integers(0, 2 ** 17), bias=st.integers(-2 ** 12, 2 ** 12))
def test_scalar_cuba_step_equals_tensor_form(u, v, a, i_decay, v_decay, vth, bias):
    t = lambda x: torch.tensor([x], dtype=torch.int64)  # noqa: E731
    state, spike = fp.cuba_step(fp.CubaState(t(u), t(v)), t(a), i_decay, v_decay,
                                fp.threshold(vth), fp.scaled_bias(bias, 6))
    got = fp.cuba_neuron_step(u, v, a, i_decay, v_decay, vth << 6, bias << 6)
    assert got == (int(state.u), int(state.v), bool(spike))


@given(x=st.integers(-2 ** 31 + 1, 2 ** 31 - 1), d=st.integers(0, 4096))
def test_scalar_decay_equals_tensor_form(x, d):
    """The split form (no 36-bit product) rounds toward zero like :func:`fp.decay`."""
    assert fp.decay_int(x, d) == int(fp.decay(torch.tensor(x), d))


@given(x=st.integers(-2 ** 40, 2 ** 40), e=st.integers(-8, 8))
def test_scalar_weight_exp_equals_tensor_form(x, e):
    assert fp.shift_int(x, e) == int(fp.apply_weight_exp(torch.tensor(x), e))


def _chain(seed: int, scale: int, affine: bool, wgt_exp: int = 0) -> spec.Network:
    """Random 3-layer chain 7 -> 12 -> 9 (recurrent) -> 5 with per-neuron decays, biases, an
    optional affine readout and a ``neuron/wgtExp`` on every layer."""
    rng = np.random.default_rng(seed)
    sizes = [7, 12, 9, 5]
    layers = []
    for k in range(3):
        n = sizes[k + 1]
        neuron = spec.CubaNeuron(i_decay=rng.integers(0, 4097, n),
                                 v_decay=rng.integers(0, 4097, n),
                                 vth_mant=int(rng.integers(1, (10 * scale + 5)
                                                          >> max(0, -wgt_exp))),
                                 wgt_exp=wgt_exp or None)
        w = rng.integers(-scale, scale + 1, (n, sizes[k])).astype(np.float32)
        bias = rng.integers(-30, 30, n).astype(np.float32)
        if k == 1:
            wr = rng.integers(-scale, scale + 1, (n, n)).astype(np.float32)
            layers.append(spec.RecurrentDenseLayer(shape=(n,), neuron=neuron, weight=w,
                                                   bias=bias, weight_rec=wr))
        elif k == 2 and affine:
            layers.append(spec.DenseLayer(shape=(n,), neuron=None, weight=w))
        else:
            layers.append(spec.DenseLayer(shape=(n,), neuron=neuron, weight=w, bias=bias))
    return spec.validate(spec.Network(layers=layers))


@needs_numba
@pytest.mark.parametrize("seed,scale,reset,affine,wgt_exp,graded", [
    (0, 8, None, False, 0, 1),
    (7, 60, 7, True, 0, 3),
    (2, 250, None, False, 0, 201),     # big graded data: int64 accumulators, wrapping
    (3, 3, 5, True, 2, 1),             # positive wgtExp folded into the weights
    (4, 100, None, False, -3, 2),      # negative wgtExp: a floor shift after the sum
])
def test_event_equals_tensor_engine_on_random_chains(seed, scale, reset, affine, wgt_exp,
                                                     graded):
    net = _chain(seed, scale, affine, wgt_exp)
    rng = np.random.default_rng(100 + seed)
    x = rng.integers(0, graded + 1, (6, 7, 40)) * rng.integers(0, 2, (6, 7, 40))
    engine = Engine(net, reset_interval=reset)
    ref = engine.run(x, method="tensor")
    got = engine.run(x, method="event")
    assert got.dtype == ref.dtype and got.shape == ref.shape == (6, 5, 40)
    np.testing.assert_array_equal(got, ref)
    assert np.abs(ref).sum() > 0
    # threads split the batch; one sample alone equals its row of the batch
    np.testing.assert_array_equal(engine.run(x, method="event", threads=3), ref)
    np.testing.assert_array_equal(engine.run(x[2], method="event"), ref[2])


@needs_numba
@pytest.mark.parametrize("reset", [None, 7])
def test_event_equals_tensor_engine_on_mnist_bias_input(fixtures_dir, reset, monkeypatch):
    engine = Engine(fixtures_dir / "mnist.net", reset_interval=reset)
    rng = np.random.default_rng(0)
    bias = rng.integers(0, 2, (12, 784)) * rng.integers(0, 200, (12, 784))
    ref = engine.run(bias, steps=24, input_mode="bias", method="tensor")
    p = event.plan(engine)
    assert p.weights.dtype == np.int8  # the narrow (int8/int16) path
    assert (p.dot_off >= 0).tolist() == [False, False, True]  # the 10-class readout: dots
    # the held-input path: input neurons grouped by spike train (at most 24 + 1 trains
    # for 24 steps without resets; far fewer than 784 neurons either way)
    k, lo, table, trains = event.held_input(p, bias, 24)
    assert k == 0 and lo == 0 and trains.shape[0] == 24 and 2 <= trains.shape[1] < 60
    assert table[0] == -1 and table[199] >= 0 and trains[:, table[199]].all()
    for threads in (1, 3):  # one block; three blocks on the threads' own copies
        got = engine.run(bias, steps=24, input_mode="bias", method="event", threads=threads)
        assert got.dtype == np.int64 and ref.shape == (12, 10, 24)  # affine readout: u
        np.testing.assert_array_equal(got, ref)
    assert len(np.unique(ref)) > 10
    monkeypatch.setattr(event, "HELD_MAX_VALUES", 100)  # too many values: the plain path
    assert event.held_input(p, bias, 24) is None
    got = engine.run(bias, steps=24, input_mode="bias", method="event", threads=1)
    np.testing.assert_array_equal(got, ref)


@needs_numba
@pytest.mark.parametrize("seed,reset", [(0, None), (1, 4), (2, 9)])
def test_held_input_classes_on_random_bias_networks(seed, reset):
    """Input layer (random uniform decays/threshold) -> Dense 20 (recurrent) -> Dense 6, fed
    by signed bias mantissas: the held-input path runs and equals the tensor engine."""
    rng = np.random.default_rng(seed)
    neuron = lambda n: spec.CubaNeuron(i_decay=int(rng.integers(0, 4097)),  # noqa: E731
                                       v_decay=int(rng.integers(0, 4097)),
                                       vth_mant=int(rng.integers(5, 60)))
    net = spec.validate(spec.Network(layers=[
        spec.InputLayer(shape=(30,), neuron=neuron(30)),
        spec.RecurrentDenseLayer(shape=(20,), neuron=neuron(20),
                                 weight=rng.integers(-40, 41, (20, 30)).astype(np.float32),
                                 weight_rec=rng.integers(-20, 21, (20, 20)).astype(np.float32)),
        spec.DenseLayer(shape=(6,), neuron=neuron(6),
                        weight=rng.integers(-40, 41, (6, 20)).astype(np.float32))]))
    engine = Engine(net, reset_interval=reset)
    bias = rng.integers(-40, 120, (9, 30)) * rng.integers(0, 2, (9, 30))
    held = event.held_input(event.plan(engine), bias, 30)
    assert held is not None and held[3].shape[1] < 30  # fewer classes than input neurons
    ref = engine.run(bias, steps=30, input_mode="bias", method="tensor")
    assert ref.sum() > 0
    for threads in (1, 2):
        got = engine.run(bias, steps=30, input_mode="bias", method="event", threads=threads)
        np.testing.assert_array_equal(got, ref)


@needs_numba
def test_bias_data_at_the_16_bit_limit_run_on_the_event_kernel(fixtures_dir):
    """Bias input is refused beyond Lava's 16-bit bias_mant (both backends); at the limit
    the event kernel's int32 step holds it and agrees with the tensor engine."""
    engine = Engine(fixtures_dir / "mnist.net")
    bias = np.zeros((2, 784), dtype=np.int64)
    bias[:, :5] = 2 ** 15 - 1
    bias[1, 5:9] = -2 ** 15
    got = engine.run(bias, steps=4, input_mode="bias", method="event")
    np.testing.assert_array_equal(got, engine.run(bias, steps=4, input_mode="bias",
                                                  method="tensor"))
    bias[0, 0] = 2 ** 15
    with pytest.raises(EngineError, match=r"within -32768\.\.32767") as info:
        engine.run(bias, steps=4, input_mode="bias")
    assert info.value.key == "input" and "mnist.net" in str(info.value)


@needs_numba
def test_event_reproduces_dense_ground_truth(fixtures_dir):
    """lava-dl's dense fixture (spikes -> Dense 256 -> LIF), all 2,000 steps: the event
    kernel's output spikes equal lava-dl's recorded ones."""
    gts = fixtures_dir / "gts" / "dense"
    net = spec.Network(layers=[spec.DenseLayer(
        shape=(256,), weight=np.load(gts / "weight.npy"),
        neuron=spec.CubaNeuron(i_decay=4096, v_decay=415, vth_mant=6))])
    out = Engine(net).run(np.load(gts / "in.npy"), method="event")
    gt = np.load(gts / "out.npy")
    assert out.shape == (256, 2000) and out.dtype == bool and int(out.sum()) == 1826
    np.testing.assert_array_equal(out, gt.astype(bool))


@needs_numba
def test_uncompiled_kernel_equals_compiled():
    """``_samples`` is plain Python over fp's scalar functions; numba only compiles it."""
    net = _chain(5, 20, True)
    engine = Engine(net, reset_interval=6)
    x = np.random.default_rng(5).integers(0, 2, (2, 7, 12))
    compiled = engine.run(x, method="event")
    calls = []
    real = event._kernel
    try:
        event._kernel = lambda: (calls.append(1), (event._samples, event._blocks,
                                                    event._value_trains))[1]
        plain = engine.run(x, method="event")
    finally:
        event._kernel = real
    assert calls and np.array_equal(plain, compiled)


def test_method_choice_and_refusal(fixtures_dir, monkeypatch):
    engine = Engine(fixtures_dir / "tiny.net")  # conv layers: not for the event kernel
    x = np.zeros((1, 1, 1, 4), dtype=np.int64)
    with pytest.raises(EngineError, match="event"):
        engine.run(np.zeros((*engine.input_shape[::-1], 4)), method="event")
    with pytest.raises(ValueError, match="method"):
        engine.run(x, method="fast")
    # without numba, 'auto' quietly uses the tensor engine
    dense = Engine(_chain(0, 8, False))
    spikes = np.random.default_rng(1).integers(0, 2, (7, 20))
    want = dense.run(spikes, method="tensor")
    monkeypatch.setattr(event, "numba", None)
    np.testing.assert_array_equal(dense.run(spikes), want)
