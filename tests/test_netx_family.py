"""The rest of the neuron/synapse family in netx's Lava builder (and its fixed-point equations).

* SDNN (sigma-delta): ``netx.fixed_point`` and ``netx.hdf5.Network`` against lava-dl 0.6.0's
  ``gts/tinynet_sdnn`` recording (bit exact), and graded messages against the equations.
* Axonal delays (``DelayDense``), ``sparse_fc_layer`` (``Sparse``), RF / RF-Izhikevich
  neurons (complex and plain dense layers), ALIF neurons (Lava ``ATRLIF``) and per-tap pool
  weights against the equations or hand values; clear refusals for the rest.

How the tinynet_sdnn fixture was driven (inferred from its data, see docs/netx-lava.md): the
input layer (Lava ``Delta``, vThMant 20) receives ``trunc(input_bias * sin(2 pi t / 15))``,
t = 0, 1, ...; the conv and dense layers get the previous layer's messages over *binary*
synapses (``num_message_bits = 0``, i.e. ``messageBits = 0``); the dense layer reads the conv
output flattened in Lava's (X, Y, C) order; its neuron is a ``Sigma`` readout.

Lava runs every process as an OS process: step counts are small, every run stops in
``finally``.  Tests of the pure equations run without Lava.  Every Lava run here is also
checked against the batched engine (:func:`engine_layers`): every block's output equal, and
the engine refuses what the builder refuses, with the same layer and key.
"""

from __future__ import annotations

import typing as ty

import numpy as np
import pytest
import torch

from netx import fixed_point as fp
from netx import spec
from netx.engine import Engine, EngineError
from netx.errors import NetxFormatError

from helpers import after_conv

try:
    import lava  # noqa: F401
    HAVE_LAVA = True
except ImportError:  # pragma: no cover - other machines run Python 3.12 without Lava
    HAVE_LAVA = False


SD_VTH = 20  # vThMant of every tinynet_sdnn layer (input: exactly 20; conv: any of 13..34)
SDNN_STEPS = 16


# --------------------------------------------------------------------------- helpers
def sdnn_fixture(fixtures_dir) -> ty.Dict[str, np.ndarray]:
    gts = fixtures_dir / "gts/tinynet_sdnn"
    return {name: np.load(gts / f"{name}.npy") for name in
            ("input", "input_bias", "layer1", "layer1_kernel", "layer1_bias", "layer2",
             "layer2_weight")}


def sdnn_drive(bias: np.ndarray, steps: int = SDNN_STEPS) -> np.ndarray:
    """The input the fixture's Delta layer received: trunc(bias * sin(2 pi t / 15)), (X, Y,
    C, T) integers."""
    t = np.arange(steps)
    return np.trunc(bias[..., None] * np.sin(2 * np.pi * t / 15)).astype(np.int64)


def sdnn_spec(g: ty.Dict[str, np.ndarray], message_bits: int = 0) -> spec.Network:
    """tinynet_sdnn as an in-memory exchange-format network (conv kernel in PyTorch order,
    dense weight columns in (C, H, W) flattening order)."""
    kernel = np.flip(g["layer1_kernel"].transpose(0, 3, 2, 1), (2, 3)).astype(np.float32)
    weight = g["layer2_weight"].reshape(100, 6, 6, 24).transpose(0, 3, 2, 1).reshape(100, 864)
    return spec.Network(layers=[
        spec.InputLayer(shape=(3, 16, 16),
                        neuron=spec.SdnnNeuron(vth_mant=SD_VTH, message_bits=message_bits)),
        spec.ConvLayer(shape=(24, 6, 6),
                       neuron=spec.SdnnNeuron(vth_mant=SD_VTH, message_bits=message_bits),
                       weight=kernel, bias=g["layer1_bias"].astype(np.float32),
                       kernel_size=(5, 5), stride=(2, 2)),
        spec.FlattenLayer(shape=(864,)),
        spec.DenseLayer(shape=(100,), neuron=spec.SdnnNeuron(vth_mant=SD_VTH,
                                                             sigma_output=True),
                        weight=weight.astype(np.float32)),
    ])


def run_network(net, steps: int, source: np.ndarray, run_cfg=None,
                ports: ty.Optional[ty.Sequence] = None) -> ty.List[np.ndarray]:
    """Feed ``source`` (shape of ``net.inp`` + (T,)) to ``net.inp`` and record ``ports``
    (default: every block's ``out``) for ``steps`` steps."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source

    from netx import hdf5
    Source(data=source).s_out.connect(net.inp)
    sinks = []
    for port in (ports if ports is not None else [b.out for b in net.layers]):
        sink = Sink(shape=port.shape, buffer=steps)
        port.connect(sink.a_in)
        sinks.append(sink)
    try:
        net.run(condition=RunSteps(num_steps=steps),
                run_cfg=run_cfg or hdf5.run_config("fixed_pt"))
        return [s.data.get().copy() for s in sinks]
    finally:
        net.stop()


def engine_layers(net_spec: spec.Network, x: np.ndarray, **kwargs) -> ty.List[np.ndarray]:
    """What every layer sends (spikes or graded messages) on the batched engine, in Lava's
    layout: compare with :func:`run_network`'s recordings."""
    mode = kwargs.pop("mode", "fixed_pt")
    _, traces = Engine(net_spec, mode=mode, **kwargs).run(x, return_layers=True)
    return [t.spikes for t in traces]


def t64(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a)).to(torch.int64)


# --------------------------------------------------------------------------- SDNN equations
def test_sigma_delta_equations_hand_values():
    """Delta, SigmaDelta and Sigma steps on hand-computed values (spike_exp = state_exp = 6,
    so one unit is 4096 on the state grid and 64 in a message)."""
    vth = fp.sigma_delta_scale(20)
    assert int(vth) == 20 * 4096
    st = fp.sigma_delta_zero_state((3,))
    st, m = fp.delta_step(st, t64([25, 19, -30]), vth)
    assert m.tolist() == [25 * 64, 0, -30 * 64]          # |19| < 20 stays as residue
    assert st.residue.tolist() == [0, 19 * 4096, 0]
    st, m = fp.delta_step(st, t64([25, 20, -30]), vth)
    assert m.tolist() == [0, 20 * 64, 0]                  # residue 19 + change 1 = 20 >= vth
    # sigma-delta: relu(sigma + bias); bias 34 fires at once, bias 12 never
    st = fp.sigma_delta_zero_state((2,))
    bias = fp.sigma_delta_scale(t64([34, 12]))
    st, m = fp.sigma_delta_step(st, t64([0, 0]), vth, bias)
    assert m.tolist() == [34 * 64, 0]
    st, m = fp.sigma_delta_step(st, t64([-60 * 4096, 9 * 4096]), vth, bias)
    assert m.tolist() == [-34 * 64, 21 * 64]              # relu clips to 0; 12 + 9 = 21
    st, m = fp.sigma_delta_step(st, t64([0, 0]), vth, bias, relu=False)
    assert m.tolist() == [-26 * 64, 0]                    # identity: 34 - 60 = -26 is sent
    assert fp.sigma_step(t64([5, -3]), t64([2, 2])).tolist() == [7, -1]
    # binary synapse: any non-zero message counts 1
    w = t64([[1, 2, 3]])
    assert fp.graded_dense_accumulate(t64([64, -128, 0]), w, 0).tolist() == [3]
    assert fp.graded_dense_accumulate(t64([64, -128, 0]), w, 16).tolist() == [64 - 256]


def test_sigma_delta_equations_reproduce_tinynet_sdnn(fixtures_dir):
    """netx.fixed_point's Delta -> Conv -> SigmaDelta -> Dense -> Sigma chain reproduces all
    three recordings exactly (binary synapses, one step per synapse)."""
    g = sdnn_fixture(fixtures_dir)
    x = sdnn_drive(g["input_bias"])
    vth = fp.sigma_delta_scale(SD_VTH)
    kernel = torch.as_tensor(np.flip(g["layer1_kernel"].transpose(0, 3, 2, 1), (2, 3)).copy())
    bias1 = fp.sigma_delta_scale(t64(g["layer1_bias"]))[:, None, None]
    w2 = t64(g["layer2_weight"])
    s0 = fp.sigma_delta_zero_state((16, 16, 3))
    s1 = fp.sigma_delta_zero_state((24, 6, 6))
    sigma2 = torch.zeros(100, dtype=torch.int64)
    a1 = torch.zeros((24, 6, 6), dtype=torch.int64)
    a2 = torch.zeros(100, dtype=torch.int64)
    rec: ty.List[ty.List[np.ndarray]] = [[], [], []]
    for t in range(SDNN_STEPS):
        s0, m0 = fp.delta_step(s0, t64(x[..., t]), vth)
        s1, m1 = fp.sigma_delta_step(s1, a1, vth, bias1)
        sigma2 = fp.sigma_step(sigma2, a2)
        # synapses deliver next step; binary messages (Lava casts them to bool)
        a1 = fp.conv_accumulate((m0 != 0).to(torch.int64).permute(2, 1, 0)[None], kernel,
                                stride=(2, 2))[0]
        a2 = fp.graded_dense_accumulate(m1.permute(2, 1, 0).reshape(-1), w2, 0)
        rec[0].append(m0.numpy())
        rec[1].append(m1.permute(2, 1, 0).numpy())
        rec[2].append(sigma2.numpy())
    out = [np.stack(r, axis=-1) for r in rec]
    assert np.count_nonzero(g["input"]) == 1373
    np.testing.assert_array_equal(out[0][..., :15], g["input"])
    np.testing.assert_array_equal(out[1], g["layer1"])
    np.testing.assert_array_equal(out[2], g["layer2"])


# --------------------------------------------------------------------------- SDNN in Lava
@pytest.mark.lava
@pytest.mark.skipif(not HAVE_LAVA, reason="lava-nc is not installed (Python 3.10)")
def test_sdnn_network_bit_exact_vs_tinynet_sdnn(fixtures_dir):
    """hdf5.Network built from an in-memory spec.Network (SDNN input -> conv -> flatten ->
    sigma dense) reproduces input.npy, layer1.npy and layer2.npy exactly."""
    from netx import hdf5
    from netx.blocks import process as blocks
    g = sdnn_fixture(fixtures_dir)
    net = hdf5.Network(net_config=sdnn_spec(g, message_bits=0))
    assert [type(b.neuron) for b in net.layers] == [blocks.LoihiDelta, blocks.LoihiSigmaDelta,
                                                   blocks.LoihiSigma]
    assert [b.input_message_bits for b in net.layers] == [0, 0, 0]
    out = run_network(net, SDNN_STEPS, sdnn_drive(g["input_bias"]))
    np.testing.assert_array_equal(out[0][..., :15], g["input"])
    np.testing.assert_array_equal(out[1], g["layer1"])
    np.testing.assert_array_equal(out[2], g["layer2"])
    for got, lava in zip(engine_layers(sdnn_spec(g, message_bits=0),
                                       sdnn_drive(g["input_bias"])), out):
        np.testing.assert_array_equal(got, lava)


def sdnn_dense_reference(w1, b1, w2, x, vth1, vth2, bits: int, steps: int, spike_exp: int):
    """Delta input -> dense sigma-delta (graded) -> dense sigma readout."""
    def scale(v):
        return fp.sigma_delta_scale(v, spike_exp)

    s0 = fp.sigma_delta_zero_state((w1.shape[1],))
    s1 = fp.sigma_delta_zero_state((w1.shape[0],))
    sig = torch.zeros(w2.shape[0], dtype=torch.int64)
    a1 = torch.zeros(w1.shape[0], dtype=torch.int64)
    a2 = torch.zeros(w2.shape[0], dtype=torch.int64)
    outs = [[], [], []]
    for t in range(steps):
        s0, m0 = fp.delta_step(s0, t64(x[:, t]), scale(vth1), spike_exp)
        s1, m1 = fp.sigma_delta_step(s1, a1, scale(vth2), scale(t64(b1)))
        sig = fp.sigma_step(sig, a2)
        a1 = fp.graded_dense_accumulate(m0, t64(w1), bits)
        a2 = fp.graded_dense_accumulate(m1, t64(w2), bits)
        for o, v in zip(outs, (m0, m1, sig)):
            o.append(v.numpy())
    return [np.stack(o, -1) for o in outs]


@pytest.mark.lava
@pytest.mark.skipif(not HAVE_LAVA, reason="lava-nc is not installed (Python 3.10)")
def test_sdnn_graded_messages_match_equations():
    """With the default messageBits (16) the synapses multiply the graded messages; with
    spike_exp 4 (messages in units of 1/16) Lava's outputs equal netx.fixed_point's
    sigma-delta equations exactly."""
    from netx import hdf5
    rng = np.random.default_rng(3)
    steps = 12
    w1 = rng.integers(-6, 7, size=(8, 5))
    b1 = rng.integers(-3, 6, size=8)
    w2 = rng.integers(-5, 6, size=(4, 8))
    x = (30 * np.sin(np.arange(steps)[None, :] / 2 + np.arange(5)[:, None])).astype(np.int64)
    net_spec = spec.Network(layers=[
        spec.InputLayer(shape=(5,), neuron=spec.SdnnNeuron(vth_mant=3)),
        spec.DenseLayer(shape=(8,), neuron=spec.SdnnNeuron(vth_mant=2), weight=w1.astype(
            np.float32), bias=b1.astype(np.float32)),
        spec.DenseLayer(shape=(4,), neuron=spec.SdnnNeuron(vth_mant=1, sigma_output=True),
                        weight=w2.astype(np.float32)),
    ])
    net = hdf5.Network(net_config=net_spec, spike_exp=4)
    assert [b.input_message_bits for b in net.layers] == [0, 16, 16]
    out = run_network(net, steps, x)
    ref = sdnn_dense_reference(w1, b1, w2, x, 3, 2, 16, steps, spike_exp=4)
    assert np.count_nonzero(ref[1]) > 10 and np.abs(ref[1]).max() > 16
    assert np.all(ref[0] % 16 == 0)                       # input changes x 2**spike_exp
    for got, want in zip(out, ref):
        np.testing.assert_array_equal(got, want)
    for got, lava in zip(engine_layers(net_spec, x, spike_exp=4), out):
        np.testing.assert_array_equal(got, lava)


# --------------------------------------------------------------------------- delays
def cuba_relay(n: int) -> spec.CubaNeuron:
    """u = 64 a each step (iDecay 4096), v = u (vDecay 4096), spike when a > 0."""
    return spec.CubaNeuron(i_decay=4096, v_decay=4096, vth_mant=0)


@pytest.mark.lava
@pytest.mark.skipif(not HAVE_LAVA, reason="lava-nc is not installed (Python 3.10)")
def test_axonal_delay_per_neuron_builds_delay_dense():
    """A dense layer with per-output-neuron delays builds a DelayDense; one-hot input spikes
    reach output neuron i exactly 1 + delay[i] steps after they were sent."""
    from netx import hdf5
    from netx.blocks import process as blocks
    delay = np.array([0, 1, 3, 6, 2])
    steps = 12
    net = hdf5.Network(net_config=spec.Network(layers=[
        spec.DenseLayer(shape=(5,), neuron=cuba_relay(5), weight=np.eye(5, dtype=np.float32),
                        delay=delay.astype(np.float32))]))
    synapse = net.layers[0].synapse
    assert isinstance(synapse, blocks.LoihiDelayDense)
    np.testing.assert_array_equal(synapse.delays.init, np.repeat(delay[:, None], 5, axis=1))
    send = np.array([0, 2, 1, 3, 0])                 # source index (Lava step - 1) per input
    x = np.zeros((5, steps), dtype=np.int64)
    x[np.arange(5), send] = 1
    (out,) = run_network(net, steps, x)
    expected = np.zeros_like(out)
    expected[np.arange(5), send + 1 + delay] = 1
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(engine_layers(net.net, x)[0], out)
    # Lava's float DelayDense model and the engine's floating_pt agree as well
    (out_float,) = run_network(hdf5.Network(net_config=net.net), steps, x,
                               run_cfg=hdf5.run_config("floating_pt"))
    np.testing.assert_array_equal(out_float, out)
    np.testing.assert_array_equal(engine_layers(net.net, x, mode="floating_pt")[0], out_float)


@pytest.mark.lava
@pytest.mark.skipif(not HAVE_LAVA, reason="lava-nc is not installed (Python 3.10)")
def test_delay_per_input_and_bad_delays():
    """Per-input delays (n_in values) delay each input's column; delays outside 0..62 and
    delays of the wrong length raise NetxFormatError naming the layer and key 'delay'."""
    from netx import hdf5
    from netx.blocks import process as blocks
    assert blocks.synapse_delays(np.array([1, 4, 0]), (2, 3)).tolist() == [[1, 4, 0],
                                                                           [1, 4, 0]]
    assert blocks.synapse_delays(np.array([2, 5]), (2, 3)).tolist() == [[2, 2, 2], [5, 5, 5]]
    assert blocks.synapse_delays(7, (2, 2)).tolist() == [[7, 7], [7, 7]]
    w = np.ones((1, 3), dtype=np.float32)
    for bad in (np.array([0, 63, 1]), np.array([1, 2])):
        bad_net = spec.Network(layers=[spec.DenseLayer(shape=(1,), neuron=cuba_relay(1),
                                                       weight=w, delay=bad.astype(np.float32))])
        with pytest.raises(NetxFormatError) as err:
            hdf5.Network(net_config=bad_net)
        assert err.value.layer == 0 and err.value.key == "delay"
        with pytest.raises(NetxFormatError) as err:  # the format check or the engine's
            Engine(bad_net)
        assert err.value.layer == 0 and err.value.key == "delay"
    # three inputs with delays 4, 0, 2 all sent at step index 0 reach the neuron one by one
    net = hdf5.Network(net_config=spec.Network(layers=[
        spec.DenseLayer(shape=(1,), neuron=cuba_relay(1), weight=w,
                        delay=np.array([4, 0, 2], dtype=np.float32))]))
    x = np.zeros((3, 8), dtype=np.int64)
    x[:, 0] = 1
    (out,) = run_network(net, 8, x)
    assert np.flatnonzero(out[0]).tolist() == [1, 3, 5]
    np.testing.assert_array_equal(engine_layers(net.net, x)[0], out)


# --------------------------------------------------------------------------- sparse
def random_cuba_net(rng) -> spec.Network:
    neuron = spec.CubaNeuron(i_decay=1024, v_decay=512, vth_mant=40)
    w1 = rng.integers(-30, 60, size=(24, 16)) * (rng.random((24, 16)) < 0.4)
    w2 = rng.integers(-40, 80, size=(6, 24)) * (rng.random((6, 24)) < 0.5)
    return spec.Network(layers=[
        spec.DenseLayer(shape=(24,), neuron=neuron, weight=w1.astype(np.float32)),
        spec.DenseLayer(shape=(6,), neuron=neuron, weight=w2.astype(np.float32),
                        bias=np.full(6, 3, dtype=np.float32)),
    ])


@pytest.mark.lava
@pytest.mark.skipif(not HAVE_LAVA, reason="lava-nc is not installed (Python 3.10)")
def test_sparse_fc_layer_same_spikes_as_dense():
    """sparse_fc_layer=True builds Lava Sparse synapses; both layers spike exactly as with
    Dense synapses (fixed_pt), and Sparse's floating_pt model (fixed-point weights x
    2**weight_exp) gives the same spikes here too."""
    from netx import hdf5
    from netx.blocks import process as blocks
    rng = np.random.default_rng(7)
    net_spec = random_cuba_net(rng)
    x = (rng.random((16, 20)) < 0.3).astype(np.int64)
    results = []
    for sparse, target in ((False, "fixed_pt"), (True, "fixed_pt"), (True, "floating_pt")):
        net = hdf5.Network(net_config=net_spec, sparse_fc_layer=sparse)
        kinds = {type(b.synapse) for b in net.layers}
        assert kinds == ({blocks.LoihiSparse} if sparse else {blocks.LoihiDense})
        results.append(run_network(net, 20, x, run_cfg=hdf5.run_config(target)))
    assert results[0][0].sum() > 20 and results[0][1].sum() > 5
    for other in results[1:]:
        for dense_out, sparse_out in zip(results[0], other):
            np.testing.assert_array_equal(sparse_out, dense_out)
    # the engine's dense arithmetic is Lava's Sparse arithmetic as well
    for got, lava in zip(engine_layers(net_spec, x), results[1]):
        np.testing.assert_array_equal(got, lava)


# --------------------------------------------------------------------------- RF
def test_rf_equations_hand_values():
    """One hand-computed RF rotation (sinDecay 1000, cosDecay 3800, products rounded toward
    zero), the phase-crossing spike and the Izhikevich reset."""
    st = fp.RfState(t64([1000, -5000]), t64([-200, 300]))
    new = fp.rf_rotate(st, t64([1, 0]), t64([0, -2]), 1000, 3800)
    # re: 3800*1000>>12 = 927, 1000*-200 -> -48 (toward zero) => 927 + 48 + 64 = 1039
    # im: 1000*1000>>12 = 244, 3800*-200 -> -185 => 244 - 185 = 59
    assert new.real.tolist()[0] == 927 + 48 + 64 and new.imag.tolist()[0] == 244 - 185
    # neuron 2: re = -4638 - 73 = -4711; im = -1220 + 278 - 128 = -1070
    assert new.real.tolist()[1] == -4638 - 73 and new.imag.tolist()[1] == -1220 + 278 - 128
    _, spikes = fp.rf_step(st, t64([1, 0]), t64([0, -2]), 1000, 3800, vth=1000)
    assert spikes.tolist() == [True, False]               # re 1039 >= 1000, im -200 -> 59
    st_iz, spikes = fp.rf_iz_step(st, t64([0, 0]), t64([0, 0]), 1000, 3800, vth=50)
    assert spikes.tolist() == [True, False]
    assert st_iz.real.tolist()[0] == 0 and st_iz.imag.tolist()[0] == 49


def rf_reference(w_re, w_im, x, sin_d, cos_d, vth_mant, izhikevich: bool, steps: int):
    n = w_re.shape[0]
    st = fp.RfState(torch.zeros(n, dtype=torch.int64), torch.zeros(n, dtype=torch.int64))
    step = fp.rf_iz_step if izhikevich else fp.rf_step
    a_re = torch.zeros(n, dtype=torch.int64)
    a_im = torch.zeros(n, dtype=torch.int64)
    out = []
    for t in range(steps):
        st, s = step(st, a_re, a_im, sin_d, cos_d, fp.threshold(vth_mant))
        out.append(s.numpy())
        a_re = t64(w_re) @ t64(x[:, t])
        a_im = t64(w_im) @ t64(x[:, t])
    return np.stack(out, -1).astype(float)


@pytest.mark.lava
@pytest.mark.skipif(not HAVE_LAVA, reason="lava-nc is not installed (Python 3.10)")
@pytest.mark.parametrize("neuron_type, complex_weights", [("RF_PHASE", True),
                                                           ("RF_IZHIKEVICH", False)])
def test_rf_dense_matches_equations(neuron_type, complex_weights):
    """A dense_comp layer of RF neurons (real and imaginary weights drive Lava's RF through two
    synapses) and a plain dense layer of RF-Izhikevich neurons (real input only): spikes
    equal netx.fixed_point's equations."""
    from netx import hdf5
    from netx.blocks import process as blocks
    rng = np.random.default_rng(11)
    steps = 30
    w_re = rng.integers(-20, 40, size=(6, 10))
    w_im = rng.integers(-30, 30, size=(6, 10)) if complex_weights else np.zeros((6, 10), int)
    x = (rng.random((10, steps)) < 0.25).astype(np.int64)
    sin_d, cos_d, vth = 1100, 3700, 20
    neuron = spec.RfNeuron(type=neuron_type, sin_decay=sin_d, cos_decay=cos_d, vth_mant=vth)
    if complex_weights:
        layer = spec.ComplexDenseLayer(shape=(6,), neuron=neuron, weight=w_re.astype(
            np.float32), weight_imag=w_im.astype(np.float32))
    else:
        layer = spec.DenseLayer(shape=(6,), neuron=neuron, weight=w_re.astype(np.float32))
    net = hdf5.Network(net_config=spec.Network(layers=[layer]))
    block = net.layers[0]
    assert isinstance(block, blocks.ComplexDense) == complex_weights
    want_cls = blocks.LoihiRFIz if neuron_type == "RF_IZHIKEVICH" else blocks.LoihiRF
    assert type(block.neuron) is want_cls
    assert int(block.neuron.sin_decay.init[0]) == sin_d
    assert int(block.neuron.cos_decay.init[0]) == cos_d
    (out,) = run_network(net, steps, x)
    ref = rf_reference(w_re, w_im, x, sin_d, cos_d, vth, neuron_type == "RF_IZHIKEVICH", steps)
    assert ref.sum() >= 3
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(engine_layers(net.net, x)[0], out)


def test_rf_period_alpha_mapping():
    """sinDecay/cosDecay -> Lava's (period, alpha) follows netx-format.md, and back."""
    pytest.importorskip("lava", reason="lava-nc is not installed (Python 3.10)")
    from netx.blocks.process import rf_period_alpha
    period, alpha = rf_period_alpha(1000, 3800)
    assert period == pytest.approx(2 * np.pi / np.arctan2(1000, 3800))
    assert alpha == pytest.approx(1 - np.hypot(1000, 3800) / 4096)
    back = (1 - alpha) * np.array([np.sin(2 * np.pi / period), np.cos(2 * np.pi / period)])
    np.testing.assert_allclose(back * 4096, [1000, 3800], atol=1e-6)


# --------------------------------------------------------------------------- ALIF
def test_alif_equations_hand_values():
    """Adaptive threshold and refractory state, by hand (vThMant 10 -> theta0 640)."""
    st = fp.alif_zero_state((2,), 10)
    assert st.theta.tolist() == [640, 640]
    # input 11 -> u = 704, v = 704 + 0 >= 640: neuron 0 spikes; neuron 1 gets 9 -> 576
    st, s = fp.alif_step(st, t64([11, 9]), 4096, 2048, 1024, 2048, 10, 5)
    assert s.tolist() == [True, False]
    assert st.r.tolist() == [2 * 640, 0] and st.theta.tolist() == [640 + 320, 640]
    assert st.v.tolist() == [704, 576]                    # no voltage reset
    # next step, no input: u = 0 (iDecay 4096); v = 704/2 = 352, 576/2 = 288
    # r = 1280/2 = 640; theta = 640 + (320 * 3072 >> 12 = 240) = 880
    st, s = fp.alif_step(st, t64([0, 0]), 4096, 2048, 1024, 2048, 10, 5)
    assert s.tolist() == [False, False]
    assert st.v.tolist() == [352, 288] and st.r.tolist() == [640, 0]
    assert st.theta.tolist() == [880, 640]


@pytest.mark.lava
@pytest.mark.skipif(not HAVE_LAVA, reason="lava-nc is not installed (Python 3.10)")
def test_alif_dense_matches_equations():
    """An ALIF dense layer builds Lava's ATRLIF (LoihiALIF) and spikes exactly as
    netx.fixed_point.alif_step (per-neuron bias)."""
    from netx import hdf5
    from netx.blocks import process as blocks
    rng = np.random.default_rng(5)
    steps = 40
    w = rng.integers(-10, 40, size=(5, 8))
    bias = np.arange(5)
    x = (rng.random((8, steps)) < 0.3).astype(np.int64)
    p = dict(i_decay=1024, v_decay=512, th_decay=300, ref_decay=800, vth_mant=30, vth_step=10)
    net = hdf5.Network(net_config=spec.Network(layers=[spec.DenseLayer(
        shape=(5,), neuron=spec.AlifNeuron(**p), weight=w.astype(np.float32),
        bias=bias.astype(np.float32))]))
    assert type(net.layers[0].neuron) is blocks.LoihiALIF
    (out,) = run_network(net, steps, x)
    st = fp.alif_zero_state((5,), p["vth_mant"])
    a = torch.zeros(5, dtype=torch.int64)
    ref = []
    for t in range(steps):
        st, s = fp.alif_step(st, a, p["i_decay"], p["v_decay"], p["th_decay"], p["ref_decay"],
                             p["vth_mant"], p["vth_step"], fp.scaled_bias(t64(bias), 6))
        ref.append(s.numpy())
        a = t64(w) @ t64(x[:, t])     # the builder fits integer weights losslessly
    ref = np.stack(ref, -1).astype(float)
    assert 20 < ref.sum() < 150
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(engine_layers(net.net, x)[0], out)


# --------------------------------------------------------------------------- pool taps
@pytest.mark.lava
@pytest.mark.skipif(not HAVE_LAVA, reason="lava-nc is not installed (Python 3.10)")
def test_pool_weight_per_tap_keeps_pytorch_orientation():
    """A pool layer with one weight per tap (lava-dl writes (1, 1, kH, kW)) weighs each
    window position as PyTorch's correlation does: taps [[1, 2], [3, 4]] and a threshold
    that needs >= 3 let only spikes in the window's bottom row through."""
    from netx import hdf5
    relay = spec.CubaNeuron(i_decay=4096, v_decay=4096, vth_mant=2)   # spike when a >= 3
    net = hdf5.Network(net_config=spec.Network(layers=[
        spec.InputLayer(shape=(1, 4, 4)),
        spec.PoolLayer(shape=(1, 2, 2), neuron=relay, kernel_size=(2, 2), stride=(2, 2),
                       weight=np.array([[[[1, 2], [3, 4]]]], dtype=np.float32))]))
    x = np.zeros((4, 4, 1, 6), dtype=np.int64)          # Lava (X, Y, C, T)
    for t, (y, xx) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        x[xx, y, 0, t] = 1
    out = run_network(net, 6, x)[1]
    # input relays at step t, the pool synapse delivers at t + 1
    assert np.flatnonzero(out[0, 0, 0]).tolist() == [3, 4]
    assert out.sum() == 2
    np.testing.assert_array_equal(engine_layers(net.net, x)[1], out)


# --------------------------------------------------------------------------- refusals
@pytest.mark.lava
@pytest.mark.skipif(not HAVE_LAVA, reason="lava-nc is not installed (Python 3.10)")
@pytest.mark.parametrize("case", ["alif_per_neuron", "ADRF_PHASE", "rf_per_neuron", "sdnn_reset",
                                  "sdnn_activation", "convT", "unpool", "concat",
                                  "comp_with_cuba"])
def test_unbuildable_layers_raise_located_errors(case):
    """What Lava cannot run raises NetxFormatError naming the layer and the key."""
    from netx import hdf5
    w = np.ones((3, 4), dtype=np.float32)
    cuba = spec.CubaNeuron(i_decay=4096, v_decay=4096, vth_mant=1)
    first = spec.DenseLayer(shape=(4,), neuron=cuba, weight=np.ones((4, 4), np.float32))
    kwargs: ty.Dict[str, ty.Any] = {}
    if case == "alif_per_neuron":
        layer = spec.DenseLayer(shape=(3,), weight=w, neuron=spec.AlifNeuron(
            i_decay=100, v_decay=100, vth_mant=10, th_decay=np.array([10, 20, 10]),
            ref_decay=10, vth_step=5))
        key = "neuron/thDecay"
    elif case == "ADRF_PHASE":
        layer = spec.DenseLayer(shape=(3,), weight=w, neuron=spec.AdrfNeuron(
            sin_decay=100, cos_decay=3000, vth_mant=10, th_decay=10, ref_decay=10,
            vth_step=5))
        key = "neuron/type"
    elif case == "rf_per_neuron":
        layer = spec.DenseLayer(shape=(3,), weight=w, neuron=spec.RfNeuron(
            sin_decay=np.array([100, 200, 100]), cos_decay=3000, vth_mant=10))
        key = "neuron/sinDecay"
    elif case == "sdnn_reset":
        layer = spec.DenseLayer(shape=(3,), weight=w, neuron=spec.SdnnNeuron(vth_mant=2))
        kwargs = {"reset_interval": 8}
        key = "neuron/type"
    elif case == "sdnn_activation":
        layer = spec.DenseLayer(shape=(3,), weight=w,
                                neuron=spec.SdnnNeuron(vth_mant=2, activation="sigmoid"))
        key = "neuron/activation"
    elif case == "comp_with_cuba":
        layer = spec.ComplexDenseLayer(shape=(3,), weight=w, weight_imag=w, neuron=cuba)
        key = "neuron"
    else:
        first, layer = after_conv(case, cuba)
        key = "type"
        kwargs = {"input_shape": (4, 4, 1)}
    with pytest.raises(NetxFormatError) as err:
        hdf5.Network(net_config=spec.Network(layers=[first, layer]), **kwargs)
    assert err.value.layer == 1 and err.value.key == key, str(err.value)
    # the engine refuses the same layer with the same key (input_shape in C, H, W)
    if "input_shape" in kwargs:
        kwargs = {"input_shape": (1, 4, 4)}
    with pytest.raises(EngineError) as err:
        Engine(spec.Network(layers=[first, layer]), **kwargs)
    assert err.value.layer == 1 and err.value.key == key, str(err.value)
