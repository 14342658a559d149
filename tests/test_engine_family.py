"""The engine runs every neuron/synapse kind netx's Lava builder runs, bit-exact with Lava.

No Lava needed here; Lava is the referee through saved arrays:

* ``gts/tinynet_sdnn`` (lava-dl 0.6.0's recording of a sigma-delta network: ``Delta`` input ->
  conv ``SigmaDelta`` -> dense ``Sigma`` readout, binary synapses): the engine reproduces all
  three recorded arrays;
* ``tests/data/engine_family/``: networks exported by our trainers (``trainers.slayer``
  blocks: ALIF, RF, RF-Izhikevich, RF / RF-Izhikevich behind ``dense_comp``, sigma-delta dense
  and conv, CUBA and ALIF with axonal delays) and Lava ``fixed_pt``'s traces of them
  (``tests/data/make_engine_family.py`` ran Lava once): every layer's messages, ``u``/``v``
  and other neuron states equal Lava's at every step, and a batch equals its samples run
  one by one.

The same comparisons run against live Lava in tests/test_slayer_family_lava.py and
tests/test_netx_family.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import netx
from netx import spec
from netx.engine import Engine, EngineError
from helpers import after_conv
from test_netx_family import SDNN_STEPS, sdnn_drive, sdnn_fixture, sdnn_spec

DATA = Path(__file__).resolve().parent / "data" / "engine_family"
CASES = ("alif", "rf", "rf_iz", "rf_complex", "rf_iz_complex", "sigma_delta",
         "sigma_delta_conv", "cuba_delay", "alif_delay")
GRADED = ("sigma_delta", "sigma_delta_conv")


@pytest.fixture(scope="module")
def lava_traces():
    return np.load(DATA / "lava.npz")


def _fields(trace) -> dict:
    out = {"spikes": trace.spikes, "u": trace.u, "v": trace.v}
    out.update({f"state_{name}": a for name, a in trace.state.items()})
    return {k: v for k, v in out.items() if v is not None}


# --------------------------------------------------------------------------- tinynet_sdnn
def test_tinynet_sdnn_ground_truth_on_engine(fixtures_dir):
    """lava-dl's recording of tinynet_sdnn, every array the engine produces: the Delta input
    layer's messages (input.npy, 15 steps), the conv SigmaDelta layer's messages (layer1.npy)
    and the Sigma readout (layer2.npy, the network output, int64)."""
    g = sdnn_fixture(fixtures_dir)
    eng = Engine(sdnn_spec(g, message_bits=0))
    out, traces = eng.run(sdnn_drive(g["input_bias"]), return_layers=True)
    assert out.dtype == np.int64 and out.shape == (100, SDNN_STEPS)
    assert [t.spikes.dtype for t in traces] == [np.int64] * 3
    np.testing.assert_array_equal(traces[0].spikes[..., :15], g["input"])
    np.testing.assert_array_equal(traces[1].spikes, g["layer1"])
    np.testing.assert_array_equal(out, g["layer2"])
    np.testing.assert_array_equal(traces[2].spikes, out)
    assert np.count_nonzero(g["input"]) == 1373 and np.count_nonzero(g["layer1"]) > 100
    assert len(np.unique(traces[0].spikes)) > 10  # graded messages, not spikes
    # sigma-delta states: the readout's sum is its message; the delta encoder's act is x << 12
    np.testing.assert_array_equal(traces[2].state["sigma"], out)
    np.testing.assert_array_equal(traces[0].state["act"],
                                  sdnn_drive(g["input_bias"]) * 2 ** 12)
    assert traces[0].u is None and traces[0].v is None


def test_tinynet_sdnn_batch_equals_single_runs(fixtures_dir):
    g = sdnn_fixture(fixtures_dir)
    eng = Engine(sdnn_spec(g, message_bits=0))
    x = sdnn_drive(g["input_bias"])
    batch = np.stack([x, -x, np.roll(x, 3, axis=-1)])
    out, traces = eng.run(batch, return_layers=True)
    assert out.shape == (3, 100, SDNN_STEPS)
    for b in range(3):
        single, tr = eng.run(batch[b], return_layers=True)
        np.testing.assert_array_equal(out[b], single)
        for a, s in zip(traces, tr):
            np.testing.assert_array_equal(a.spikes[b], s.spikes)
    np.testing.assert_array_equal(out[0], g["layer2"])
    assert not np.array_equal(traces[0].spikes[0], traces[0].spikes[1])  # different samples


# --------------------------------------------------------------------------- trainer exports
@pytest.mark.parametrize("case", CASES)
def test_trainer_export_equals_lava_traces(case, lava_traces):
    """All layers, all neurons, all steps, all recorded states: engine == Lava fixed_pt, for
    a batch of 3 inputs (Lava ran them one by one)."""
    x = lava_traces[f"{case}__input"]
    eng = Engine(DATA / f"{case}.net")
    assert not eng.fused  # the general path
    out, traces = eng.run(x, return_layers=True)
    assert out.dtype == (np.int64 if case in GRADED else bool)
    n_layers = len({k.split("__")[1] for k in lava_traces.files if k.startswith(case + "__L")})
    assert len(traces) == n_layers
    for k, tr in enumerate(traces):
        ours = _fields(tr)
        saved = {key.split("__")[2]: lava_traces[key] for key in lava_traces.files
                 if key.startswith(f"{case}__L{k}__")}
        assert sorted(ours) == sorted(saved), f"layer {k}"
        for name, want in saved.items():
            np.testing.assert_array_equal(ours[name].astype(np.int64), want,
                                          err_msg=f"{case} layer {k} {name}")
        assert np.count_nonzero(saved["spikes"]) >= 10, f"{case} layer {k} is silent"
    np.testing.assert_array_equal(out, traces[-1].spikes)


@pytest.mark.parametrize("case", CASES)
def test_trainer_export_batch_equals_single_runs(case, lava_traces):
    x = lava_traces[f"{case}__input"]
    eng = Engine(DATA / f"{case}.net")
    out, traces = eng.run(x, return_layers=True)
    for b in range(x.shape[0]):
        single, tr = eng.run(x[b], return_layers=True)
        np.testing.assert_array_equal(out[b], single)
        for a, s in zip(traces, tr):
            for name, arr in _fields(s).items():
                np.testing.assert_array_equal(_fields(a)[name][b], arr)


def test_netx_run_returns_graded_sigma_delta_output(lava_traces):
    x = lava_traces["sigma_delta__input"]
    out = netx.run(DATA / "sigma_delta.net", x[0])
    assert out.dtype == np.int64 and out.shape == (4, x.shape[-1])
    np.testing.assert_array_equal(out, lava_traces["sigma_delta__L2__spikes"][0])
    assert np.abs(out).max() > 2 ** 18  # the Sigma sum, far from 0/1


# --------------------------------------------------------------------------- by hand
def _relay() -> spec.CubaNeuron:
    return spec.CubaNeuron(i_decay=4096, v_decay=4096, vth_mant=0)


@pytest.mark.parametrize("mode", ["fixed_pt", "floating_pt"])
def test_axonal_delay_by_hand(mode):
    """Per-output delays: a one-hot spike sent at step s reaches output i at s + 1 + delay[i]
    (the Lava DelayDense timing), in both modes."""
    delay = np.array([0, 1, 3, 6, 2])
    net = spec.Network(layers=[spec.DenseLayer(shape=(5,), neuron=_relay(),
                                               weight=np.eye(5, dtype=np.float32),
                                               delay=delay.astype(np.float32))])
    send = np.array([0, 2, 1, 3, 0])
    x = np.zeros((5, 12), dtype=np.int64)
    x[np.arange(5), send] = 1
    out = Engine(net, mode=mode).run(x)
    expected = np.zeros_like(out)
    expected[np.arange(5), send + 1 + delay] = True
    np.testing.assert_array_equal(out, expected)


def test_delays_sum_per_input_by_hand():
    """Per-input delays 4, 0, 2 with inputs all sent at step 0 reach the neuron one by one."""
    net = spec.Network(layers=[spec.DenseLayer(
        shape=(1,), neuron=_relay(), weight=np.ones((1, 3), np.float32),
        delay=np.array([4, 0, 2], dtype=np.float32))])
    x = np.zeros((3, 8), dtype=np.int64)
    x[:, 0] = 1
    out, tr = Engine(net).run(x, return_layers=True)
    assert np.flatnonzero(out[0]).tolist() == [1, 3, 5]
    assert tr[0].u[0].tolist() == [0, 64, 0, 64, 0, 64, 0, 0]


# --------------------------------------------------------------------------- refusals
def _dense(neuron, **kw) -> spec.DenseLayer:
    return spec.DenseLayer(shape=(3,), neuron=neuron, weight=np.ones((3, 4), np.float32), **kw)


@pytest.mark.parametrize("case,key", [
    ("adrf", "neuron/type"), ("alif_float", "neuron/type"), ("sdnn_reset", "neuron/type"),
    ("rf_conv", "neuron"), ("rf_bias", "bias"), ("rec_delay", "delay"), ("bad_delay", "delay"),
    ("alif_per_neuron", "neuron/thDecay"), ("graded_cuba", "neuron/gradedSpike"),
    ("convT", "type"), ("unpool", "type"), ("concat", "type")])
def test_engine_refuses_what_the_lava_builder_refuses(case, key):
    """The same layer and key as netx.hdf5.Network (tests/test_netx_family.py checks the
    builder on the same kinds), as an EngineError."""
    cuba = spec.CubaNeuron(i_decay=4096, v_decay=4096, vth_mant=1)
    first = spec.DenseLayer(shape=(4,), neuron=cuba, weight=np.ones((4, 4), np.float32))
    kwargs = {}
    rf = spec.RfNeuron(sin_decay=100, cos_decay=3000, vth_mant=10)
    if case == "adrf":
        layer = _dense(spec.AdrfNeuron(sin_decay=100, cos_decay=3000, vth_mant=10))
    elif case == "alif_float":
        layer = _dense(spec.AlifNeuron(i_decay=100, v_decay=100, vth_mant=10))
        kwargs = {"mode": "floating_pt"}
    elif case == "sdnn_reset":
        layer = _dense(spec.SdnnNeuron(vth_mant=2))
        kwargs = {"reset_interval": 8}
    elif case == "rf_conv":
        first = spec.ConvLayer(shape=(2, 4, 4), neuron=cuba, kernel_size=(1, 1),
                               weight=np.ones((2, 1, 1, 1), np.float32))
        layer = spec.ConvLayer(shape=(2, 4, 4), neuron=rf, kernel_size=(1, 1),
                               weight=np.ones((2, 2, 1, 1), np.float32))
        kwargs = {"input_shape": (1, 4, 4)}
    elif case == "rf_bias":
        layer = _dense(rf, bias=np.ones(3, np.float32))
    elif case == "rec_delay":
        layer = spec.RecurrentDenseLayer(shape=(3,), neuron=cuba,
                                         weight=np.ones((3, 4), np.float32),
                                         weight_rec=np.eye(3, dtype=np.float32),
                                         delay=np.array([1.0]))
    elif case == "bad_delay":
        layer = _dense(cuba, delay=np.array([0, 63, 1], np.float32))
    elif case == "alif_per_neuron":
        layer = _dense(spec.AlifNeuron(i_decay=100, v_decay=100, vth_mant=10,
                                       th_decay=np.array([10, 20, 10]), ref_decay=10,
                                       vth_step=5))
    elif case == "graded_cuba":
        layer = _dense(spec.CubaNeuron(i_decay=100, v_decay=100, vth_mant=10,
                                       graded_spike=True))
    else:
        first, layer = after_conv(case, cuba)
        kwargs = {"input_shape": (1, 4, 4)}
    with pytest.raises(EngineError) as err:
        Engine(spec.Network(layers=[first, layer]), **kwargs)
    assert err.value.layer == 1 and err.value.key == key, str(err.value)


def test_bias_input_needs_a_neuron_with_bias():
    net = spec.Network(layers=[
        spec.InputLayer(shape=(4,), neuron=spec.SdnnNeuron(vth_mant=1)),
        spec.DenseLayer(shape=(2,), neuron=spec.SdnnNeuron(vth_mant=1, sigma_output=True),
                        weight=np.ones((2, 4), np.float32))])
    with pytest.raises(EngineError) as err:
        Engine(net).run(np.ones(4), steps=3, input_mode="bias")
    assert err.value.layer == 0 and err.value.key == "neuron/type"
    out = Engine(net).run(np.full((4, 3), 5))  # spikes mode: Delta -> Sigma
    assert out.dtype == np.int64 and out[:, -1].tolist() == [4 * 5 * 64] * 2


def test_alif_input_layer_takes_bias_input():
    """An ALIF input layer driven by its bias (bias_exp 6) fires with vThMant 10, vThStep 0:
    v grows by 64 * 4 per step, spike when v - r >= 640."""
    neuron = spec.AlifNeuron(i_decay=4096, v_decay=0, vth_mant=10, th_decay=4096,
                             ref_decay=4096, vth_step=0)
    net = spec.Network(layers=[spec.InputLayer(shape=(2,), neuron=neuron)])
    out, tr = Engine(net).run(np.array([[4, 0], [0, 11]]), steps=4, input_mode="bias",
                              return_layers=True)
    assert tr[0].v[0, 0].tolist() == [256, 512, 768, 1024]
    assert out[0, 0].tolist() == [False, False, True, True]  # no voltage reset; r decays
    assert out[1, 1].tolist() == [True] * 4 and not out[0, 1].any()
    torch.testing.assert_close(torch.as_tensor(tr[0].state["theta"]),
                               torch.full((2, 2, 4), 640))
