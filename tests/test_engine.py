"""The batched engine (netx.engine, netx.run) reproduces lava-dl's ground truth exactly.

Alignment facts used below (see the fixture README and docs/engine.md): every synapse delays
by one step; SLAYER's recordings lead Lava's by one step; Lava's first step is 1.
"""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pytest
import torch

import netx
from netx import fixed_point as fp
from netx import spec
from netx.engine import Engine, EngineError
from netx.errors import NetxFormatError

HAS_LAVA = importlib.util.find_spec("lava") is not None


def _nchwt_to_lava(a: np.ndarray) -> np.ndarray:
    """SLAYER (1, C, H, W, T) -> Lava (W, H, C, T)."""
    return a[0].transpose(2, 1, 0, 3)


@pytest.fixture(scope="module")
def tiny(fixtures_dir):
    return spec.read(fixtures_dir / "tiny.net")


@pytest.fixture(scope="module")
def mnist(fixtures_dir):
    return spec.read(fixtures_dir / "mnist.net")


# --------------------------------------------------------------------------- ground truth
def test_dense_ground_truth_2000_steps(fixtures_dir):
    gts = fixtures_dir / "gts" / "dense"
    weight = np.load(gts / "weight.npy")
    net = spec.Network(layers=[spec.DenseLayer(
        shape=(256,), weight=weight,
        neuron=spec.CubaNeuron(i_decay=4096, v_decay=415, vth_mant=6))])  # LIF du=4095
    out, traces = Engine(net).run(np.load(gts / "in.npy"), return_layers=True)
    gt = np.load(gts / "out.npy")
    assert out.shape == (256, 2000) and out.dtype == bool
    assert int(out.sum()) == int(gt.sum()) == 1826
    np.testing.assert_array_equal(out, gt.astype(bool))
    np.testing.assert_array_equal(traces[0].u, (np.load(gts / "current.npy") * 64).astype(np.int64))


def test_tinynet_conv_layer1_spikes_and_current(fixtures_dir, tiny):
    gts = fixtures_dir / "gts" / "tinynet"
    layer1 = tiny.layers[1]
    # our kernel conversion gives exactly the kernel lava-dl handed to Lava's Conv
    np.testing.assert_array_equal(fp.lava_conv_kernel(layer1.weight).numpy(),
                                  np.load(gts / "layer1_kernel.npy"))
    net = spec.Network(layers=[layer1])  # spikes enter through the conv synapse
    inp = _nchwt_to_lava(np.load(gts / "input.npy"))  # (16, 16, 3, 16); step 0 is empty
    # SLAYER starts the neuron with the first real input step: reset layer 0 at step 3
    eng = Engine(net, reset_interval=17, reset_offset=2)
    out, traces = eng.run(inp, return_layers=True)
    gt_s = _nchwt_to_lava(np.load(gts / "layer1.npy")).astype(bool)
    gt_u = (_nchwt_to_lava(np.load(gts / "current.npy")) * 64).astype(np.int64)
    assert out.shape == (6, 6, 24, 16)
    np.testing.assert_array_equal(out[..., 2:], gt_s[..., 1:15])
    assert int(out[..., 2:].sum()) == int(gt_s[..., 1:15].sum())
    np.testing.assert_array_equal(traces[0].u[..., 1:], gt_u[..., :-1])


def test_tiny_net_output_with_bias_input_and_reset(fixtures_dir, tiny):
    gts = fixtures_dir / "gts" / "tinynet"
    bias = np.load(gts / "input_bias.npy")  # (16, 16, 3) = (W, H, C)
    out = netx.run(fixtures_dir / "tiny.net", bias, steps=17, input_mode="bias",
                   reset_interval=17)
    gt = _nchwt_to_lava(np.load(gts / "output.npy")).astype(bool)  # (1, 1, 36, 16)
    assert out.shape == (1, 1, 36, 17)
    np.testing.assert_array_equal(out[..., 2:17], gt[..., 1:])
    assert int(gt[..., 1:].sum()) > 0


def test_tiny_net_reset_offsets_matter(fixtures_dir, tiny):
    """Without the per-layer reset phases (offset 0 -> groups reset at steps 1, 2, 3) the
    output differs from the ground truth: the reset semantics are really exercised."""
    gts = fixtures_dir / "gts" / "tinynet"
    bias = np.load(gts / "input_bias.npy")
    gt = _nchwt_to_lava(np.load(gts / "output.npy")).astype(bool)
    wrong = Engine(tiny, reset_interval=17, reset_offset=5).run(bias, steps=17,
                                                                 input_mode="bias")
    assert not np.array_equal(wrong[..., 2:17], gt[..., 1:])


# --------------------------------------------------------------------------- hand computed
def _one_neuron(weight, i_decay=4096, v_decay=0, vth=1, bias=None):
    return spec.Network(layers=[spec.DenseLayer(
        shape=(1,), weight=np.array([[weight]], dtype=np.float32),
        bias=None if bias is None else np.array([bias], dtype=np.float32),
        neuron=spec.CubaNeuron(i_decay=i_decay, v_decay=v_decay, vth_mant=vth))])


def test_one_step_lag_and_reset_by_hand():
    # a spike at step index 0 reaches the neuron at index 1: u = 64 * 10 = 640 > 64 = vth<<6
    x = np.zeros((1, 5), dtype=bool)
    x[0, 0] = True
    out, tr = Engine(_one_neuron(10)).run(x, return_layers=True)
    np.testing.assert_array_equal(out[0], [False, True, False, False, False])
    np.testing.assert_array_equal(tr[0].u[0], [0, 640, 0, 0, 0])
    np.testing.assert_array_equal(tr[0].v[0], [0, 0, 0, 0, 0])  # reset on the spike


def test_decay_rounds_toward_zero_by_hand():
    # i_decay 2048 halves u each step, toward zero; v integrates u (v_decay 0), no spike
    x = np.zeros((1, 4), dtype=np.int64)
    x[0, 0] = -3  # graded input: a = -3 * 7 = -21 -> u = -1344
    out, tr = Engine(_one_neuron(7, i_decay=2048, vth=10 ** 5)).run(x, return_layers=True)
    np.testing.assert_array_equal(tr[0].u[0], [0, -1344, -672, -336])
    np.testing.assert_array_equal(tr[0].v[0], [0, -1344, -2016, -2352])
    assert not out.any()


def test_bias_exp_6_by_hand():
    # bias mantissa 3 -> 3 << 6 = 192 per step; vth 5 -> 320; v: 192, 384 (spike), 192, ...
    out, tr = Engine(_one_neuron(1, vth=5, bias=3)).run(np.zeros((1, 4)), return_layers=True)
    np.testing.assert_array_equal(out[0], [False, True, False, True])
    np.testing.assert_array_equal(tr[0].v[0], [192, 0, 192, 0])


def test_current_wraps_and_voltage_saturates():
    # weight 255 x graded 400 -> a = 102000, 64 a = 6528000 (< 2^23): current as is;
    # second step adds again (i_decay 0 keeps u): 13056000 > 2^23 wraps by -2^24
    x = np.zeros((1, 3), dtype=np.int64)
    x[0, :2] = 400
    _, tr = Engine(_one_neuron(255, i_decay=0, vth=2 ** 17 - 1)).run(x, return_layers=True)
    np.testing.assert_array_equal(tr[0].u[0], [0, 6528000, 13056000 - 2 ** 24])
    assert tr[0].v[0, 1] == 6528000
    assert tr[0].v[0, 2] == 6528000 + 13056000 - 2 ** 24


def test_voltage_saturates_at_24_bits():
    x = np.full((1, 4), 400, dtype=np.int64)
    _, tr = Engine(_one_neuron(255, i_decay=4096, vth=2 ** 17)).run(x, return_layers=True)
    # u = 6528000 each step from index 1; v saturates at 2^23 - 1 on the second add
    # (vth 2^17 << 6 = 2^23 is above every 24-bit voltage: no spike)
    np.testing.assert_array_equal(tr[0].v[0], [0, 6528000, 2 ** 23 - 1, 2 ** 23 - 1])


def test_affine_readout_sums_current_over_time(mnist):
    rng = np.random.default_rng(3)
    img = rng.integers(0, 2, (2, 784)) * rng.integers(0, 200, (2, 784))
    out, tr = Engine(mnist).run(img, steps=12, input_mode="bias", return_layers=True)
    assert out.shape == (2, 10, 12) and out.dtype == np.int64
    w3 = mnist.layers[3].weight.astype(np.int64)
    s2 = tr[2].spikes.astype(np.int64)  # (2, 512, 12)
    a = np.einsum("oi,bit->bot", w3, s2)  # arrives one step later
    expect = np.concatenate([np.zeros((2, 10, 1), np.int64), np.cumsum(a, axis=-1)[..., :-1]],
                            axis=-1) * 64
    assert np.abs(expect).max() < 2 ** 23  # no wrap in this range
    np.testing.assert_array_equal(out, expect)
    assert tr[1].spikes.sum() > 0 and tr[2].spikes.sum() > 0
    assert not tr[3].spikes.any()


# --------------------------------------------------------------------------- batching
def test_batch_equals_single_runs(mnist):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 2, (3, 784)) * rng.integers(0, 200, (3, 784))
    imgs = np.concatenate([imgs, imgs[:1]])  # a repeated sample too
    eng = Engine(mnist)
    batch_out, batch_tr = eng.run(imgs, steps=10, input_mode="bias", return_layers=True)
    assert batch_out.shape == (4, 10, 10)
    for b in range(4):
        single, tr = eng.run(imgs[b], steps=10, input_mode="bias", return_layers=True)
        np.testing.assert_array_equal(batch_out[b], single)
        for k in range(4):
            np.testing.assert_array_equal(batch_tr[k].spikes[b], tr[k].spikes)
            np.testing.assert_array_equal(batch_tr[k].v[b], tr[k].v)
    np.testing.assert_array_equal(batch_out[0], batch_out[3])
    assert not np.array_equal(batch_out[0], batch_out[1])


def test_conv_batch_equals_single_runs(fixtures_dir, tiny):
    gts = fixtures_dir / "gts" / "tinynet"
    inp = _nchwt_to_lava(np.load(gts / "input.npy"))
    batch = np.stack([inp, inp[::-1], np.roll(inp, 3, axis=-1)])
    net = spec.Network(layers=[tiny.layers[1], tiny.layers[2]])
    eng = Engine(net)
    out = eng.run(batch)
    assert out.shape == (3, 1, 1, 36, 16)
    for b in range(3):
        np.testing.assert_array_equal(out[b], eng.run(batch[b]))


def test_torch_input_and_progress_bar(mnist):
    x = torch.zeros(784, 5, dtype=torch.bool)
    out = netx.run(mnist, x, progress=True)
    np.testing.assert_array_equal(out, np.zeros((10, 5), np.int64))


def test_floating_pt_mode_by_hand():
    # float model on the x64 grid: u = u (1 - 2048/4096) + 64 a, v = v + u; no rounding
    x = np.zeros((1, 4))
    x[0, 0] = 1
    _, tr = Engine(_one_neuron(3, i_decay=2048, vth=10 ** 5), mode="floating_pt").run(
        x, return_layers=True)
    np.testing.assert_allclose(tr[0].u[0], [0, 192, 96, 48])
    np.testing.assert_allclose(tr[0].v[0], [0, 192, 288, 336])


def test_floating_pt_close_to_fixed_pt(mnist):
    rng = np.random.default_rng(5)
    img = rng.integers(0, 2, (2, 784)) * rng.integers(0, 200, (2, 784))
    fx = Engine(mnist).run(img, steps=16, input_mode="bias")
    fl = Engine(mnist, mode="floating_pt").run(img, steps=16, input_mode="bias")
    # same argmax of the readout at the end, currents within a few percent
    np.testing.assert_array_equal(fx[..., -1].argmax(-1), fl[..., -1].argmax(-1))


# --------------------------------------------------------------------------- fixed point
def test_cuba_step_f64_matches_cuba_step():
    g = torch.Generator().manual_seed(1)
    for _ in range(50):
        shape = (3, 40)
        u = torch.randint(-2 ** 23 + 1, 2 ** 23 + 1, shape, generator=g)
        v = torch.randint(-2 ** 23 + 1, 2 ** 23, shape, generator=g)
        a = torch.randint(-2 ** 18 + 1, 2 ** 18, shape, generator=g)
        di = torch.randint(0, 4097, (40,), generator=g)
        dv = torch.randint(0, 4097, (40,), generator=g)
        vth = fp.threshold(torch.randint(0, 2 ** 17, (40,), generator=g))
        bias = fp.scaled_bias(torch.randint(-4096, 4096, (40,), generator=g), 6)
        state, s = fp.cuba_step(fp.CubaState(u, v), a, di, dv, vth, bias)
        uf, vf = u.double(), v.double()
        sf = torch.empty(shape, dtype=torch.bool)
        fp.cuba_step_f64_(uf, vf, a.double(), fp.keep_factor(di), fp.keep_factor(dv),
                          vth.double(), bias.double(), sf)
        assert torch.equal(uf.long(), state.u) and torch.equal(vf.long(), state.v)
        assert torch.equal(sf, s)


def test_fold_weight_exp_is_exact():
    w = torch.tensor([[4, -8, 12], [0, 4, -4]])
    folded, e = fp.fold_weight_exp(w, -2)
    assert e == 0 and folded.tolist() == [[1, -2, 3], [0, 1, -1]]
    odd = torch.tensor([[3, -5]])
    same, e = fp.fold_weight_exp(odd, -1)
    assert e == -1 and torch.equal(same, odd)
    s = torch.tensor([[1, 1]])
    # floor((3 - 5) / 2) = -1 either way
    assert int(fp.apply_weight_exp(s @ same.t(), e)) == -1


@pytest.mark.parametrize("weights", [
    [[6.0, 6.0], [6.0, 0.0]], [[3.0, -5.0], [7.0, 1.0]], [[-3.0, -5.0], [-7.0, -1.0]],
    [[200.0, -5.0]], [[-38.0, 30.0, 2.0]]])
def test_fit_dense_weights_reproduces_integer_weights(weights):
    w = torch.tensor(weights, dtype=torch.float64)
    mant, bits, exp = fp.fit_dense_weights(w)
    eff = fp.dense_weights(mant, bits)
    s = torch.eye(w.shape[1], dtype=torch.int64)
    np.testing.assert_array_equal(fp.apply_weight_exp(eff @ s, exp).numpy(),
                                  np.asarray(weights, dtype=np.int64))


@pytest.mark.skipif(not HAS_LAVA, reason="needs lava-nc")
@pytest.mark.parametrize("weights", [
    [[6.0, 6.0], [6.0, 0.0]], [[3.0, -5.0], [7.0, 1.0]], [[-3.0, -5.0], [-7.0, -1.0]],
    [[200.0, -5.0]]])
def test_fit_dense_weights_equals_lava_optimize_weight_bits(weights):
    from lava.utils.weightutils import determine_sign_mode, optimize_weight_bits
    w = np.asarray(weights)
    ref = optimize_weight_bits(w, determine_sign_mode(w))
    mant, bits, exp = fp.fit_dense_weights(w)
    assert (bits, exp) == (ref.num_weight_bits, ref.weight_exp)
    np.testing.assert_array_equal(mant.numpy(), ref.weights)


@pytest.mark.skipif(not HAS_LAVA, reason="needs lava-nc")
def test_conv_accumulate_equals_lava_conv_utils():
    from lava.proc.conv import utils as conv_utils
    rng = np.random.default_rng(0)
    w = rng.integers(-20, 20, (4, 2, 3, 3)).astype(np.float64)  # (C_out, C_in, kH, kW)
    x = (rng.random((2, 9, 7)) < 0.4).astype(np.float64)  # (C, H, W)
    ours = fp.conv_accumulate(torch.tensor(x)[None], torch.tensor(w), stride=(2, 1),
                              padding=(1, 0)).numpy()[0]  # (C_out, H', W')
    lava = conv_utils.conv(x.transpose(2, 1, 0), fp.lava_conv_kernel(w).numpy(),
                           kernel_size=(3, 3), stride=(1, 2), padding=(0, 1),
                           dilation=(1, 1), groups=1)  # (W', H', C_out)
    np.testing.assert_array_equal(ours, lava.transpose(2, 1, 0))


# --------------------------------------------------------------------------- errors
def test_unsupported_layer_names_layer_and_key():
    net = spec.Network(layers=[spec.InputLayer(shape=(4,), neuron=spec.CubaNeuron(
        i_decay=0, v_decay=0, vth_mant=1)), spec.ConcatLayer(shape=(4,))])
    with pytest.raises(NetxFormatError) as info:
        Engine(net)
    assert info.value.layer == 1 and info.value.key == "type"
    assert "concat" in str(info.value)


def test_average_readout_means_groups_of_the_last_layer():
    rng = np.random.default_rng(2)
    dense = spec.DenseLayer(shape=(6,), weight=rng.integers(-3, 9, (6, 4)).astype(np.float32),
                            neuron=spec.CubaNeuron(i_decay=4096, v_decay=1024, vth_mant=4))
    x = rng.random((4, 30)) < 0.5
    spikes = Engine(spec.Network(layers=[dense])).run(x)
    out = Engine(spec.Network(layers=[dense, spec.AverageLayer(shape=(2,))])).run(x)
    assert out.shape == (2, 30) and out.dtype == np.float64
    np.testing.assert_array_equal(out, spikes.reshape(2, 3, 30).mean(axis=1))
    assert 0 < out.mean() < 1
    with pytest.raises(EngineError, match="last layer") as info:
        Engine(spec.Network(layers=[dense, spec.AverageLayer(shape=(6,)), dataclasses.replace(
            dense, weight=np.ones((6, 6), np.float32))]))
    assert info.value.layer == 1


def test_bad_input_shape_is_reported(mnist):
    with pytest.raises(EngineError, match="does not fit the network input"):
        Engine(mnist).run(np.zeros((783, 4)))


def test_non_integer_fixed_point_input_is_rejected(mnist):
    with pytest.raises(EngineError, match="integers"):
        Engine(mnist).run(np.full((784, 2), 0.5))


def test_adrf_neuron_is_rejected_with_location(mnist):
    """ALIF runs now (tests/test_engine_family.py); ADRF has no Lava process and stays
    refused, like netx's Lava builder refuses it."""
    layers = list(mnist.layers)
    n = layers[1].neuron
    layers[1] = dataclasses.replace(layers[1], neuron=spec.AdrfNeuron(
        sin_decay=100, cos_decay=3000, vth_mant=n.vth_mant))
    with pytest.raises(EngineError) as info:
        Engine(spec.Network(layers=layers))
    assert info.value.layer == 1 and info.value.key == "neuron/type"
    assert "ADRF_PHASE" in str(info.value)


# --------------------------------------------------------------------------- vs Lava
@pytest.mark.lava
@pytest.mark.skipif(not HAS_LAVA, reason="needs lava-nc")
def test_engine_equals_lava_on_mnist(fixtures_dir):
    rng = np.random.default_rng(11)
    imgs = rng.integers(0, 2, (2, 784)) * rng.integers(0, 200, (2, 784))
    path = fixtures_dir / "mnist.net"
    lava = netx.run(path, imgs, steps=20, input_mode="bias", backend="lava")
    ours = netx.run(path, imgs, steps=20, input_mode="bias")
    assert lava.shape == ours.shape == (2, 10, 20)
    assert np.abs(ours).max() > 0
    np.testing.assert_array_equal(ours, lava)


@pytest.mark.lava
@pytest.mark.skipif(not HAS_LAVA, reason="needs lava-nc")
def test_engine_equals_lava_on_recurrent_example_all_layers(fixtures_dir):
    rng = np.random.default_rng(12)
    x = rng.random((2, 6, 25)) < 0.6
    path = fixtures_dir / "recurrent_example.net"
    lava, lava_tr = netx.run(path, x, backend="lava", return_layers=True)
    ours, our_tr = netx.run(path, x, return_layers=True)
    assert ours.sum() > 0
    np.testing.assert_array_equal(ours, lava)
    for a, b in zip(our_tr, lava_tr):
        np.testing.assert_array_equal(a.spikes, b.spikes)
        np.testing.assert_array_equal(a.u, b.u)
        np.testing.assert_array_equal(a.v, b.v)


@pytest.mark.lava
@pytest.mark.skipif(not HAS_LAVA, reason="needs lava-nc")
def test_engine_equals_lava_floating_pt_on_recurrent_example(fixtures_dir):
    rng = np.random.default_rng(13)
    x = rng.random((6, 20)) < 0.6
    path = fixtures_dir / "recurrent_example.net"
    lava, lava_tr = netx.run(path, x, backend="lava", run_cfg="floating_pt",
                             return_layers=True)
    ours, our_tr = netx.run(path, x, run_cfg="floating_pt", return_layers=True)
    assert ours.sum() > 0
    np.testing.assert_array_equal(ours, lava)
    for a, b in zip(our_tr, lava_tr):
        np.testing.assert_array_equal(a.spikes, b.spikes)
        np.testing.assert_allclose(a.u, b.u, rtol=0, atol=1e-9)
        np.testing.assert_allclose(a.v, b.v, rtol=0, atol=1e-9)


@pytest.mark.lava
@pytest.mark.skipif(not HAS_LAVA, reason="needs lava-nc")
def test_affine_readout_and_currents_are_float64_on_both_backends_in_floating_pt(fixtures_dir):
    rng = np.random.default_rng(3)
    img = rng.integers(0, 2, 784) * rng.integers(0, 200, 784)
    path = fixtures_dir / "mnist.net"  # dense layers, affine readout
    kw = dict(steps=8, input_mode="bias", run_cfg="floating_pt", return_layers=True)
    lava, lava_tr = netx.run(path, img, backend="lava", **kw)
    ours, our_tr = netx.run(path, img, **kw)
    assert lava.dtype == ours.dtype == np.float64
    assert np.abs(ours).max() > 0
    np.testing.assert_allclose(ours, lava, rtol=0, atol=1e-6)
    for a, b in zip(our_tr, lava_tr):
        assert a.u.dtype == b.u.dtype == np.float64 and a.v.dtype == b.v.dtype == np.float64
        np.testing.assert_allclose(a.u, b.u, rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- reference
def _reference_run(net: spec.Network, x: np.ndarray, reset=None) -> list:
    """Straightforward per-layer loop with fp.cuba_step in int64 (no fast path): the spikes
    of every layer, (N, T) each, for a chain of dense / dense_rec layers fed spikes ``x``."""
    steps = x.shape[-1]
    states, prev = [], [np.zeros(l.size, bool) for l in net.layers]
    outs = [np.zeros((l.size, steps), bool) for l in net.layers]
    for layer in net.layers:
        z = torch.zeros(layer.size, dtype=torch.int64)
        states.append(fp.CubaState(z, z.clone()))
    x_prev = np.zeros(x.shape[0], np.int64)
    for t in range(steps):
        new = []
        for k, layer in enumerate(net.layers):
            src = x_prev if k == 0 else prev[k - 1].astype(np.int64)
            a = torch.as_tensor(layer.weight.astype(np.int64) @ src)
            if isinstance(layer, spec.RecurrentDenseLayer):
                a = a + torch.as_tensor(layer.weight_rec.astype(np.int64)
                                        @ prev[k].astype(np.int64))
            if reset and (t + 1) % reset == (k + 1) % reset:
                states[k] = fp.CubaState(states[k].u * 0, states[k].v * 0)
            n = layer.neuron
            bias = 0 if layer.bias is None else fp.scaled_bias(
                torch.as_tensor(layer.bias.astype(np.int64)), 6)
            states[k], s = fp.cuba_step(states[k], a, torch.as_tensor(n.i_decay),
                                        torch.as_tensor(n.v_decay),
                                        fp.threshold(torch.as_tensor(n.vth_mant)), bias)
            new.append(s.numpy())
            outs[k][:, t] = s.numpy()
        prev, x_prev = new, x[:, t].astype(np.int64)
    return outs


@pytest.mark.parametrize("seed,scale,reset", [(0, 8, None), (1, 60, 7), (2, 250, None),
                                              (3, 3, 5)])
def test_engine_equals_reference_loop_on_random_chains(seed, scale, reset):
    """Random 3-layer chains (per-neuron decays, biases, a recurrent layer, graded input):
    the engine's fast path (small weights) and its int64 path (weights large enough for
    the current to wrap) both equal a plain fp.cuba_step loop."""
    rng = np.random.default_rng(seed)
    sizes = [7, 12, 9, 5]

    def neuron(n):
        return spec.CubaNeuron(i_decay=rng.integers(0, 4097, n), v_decay=rng.integers(0, 4097, n),
                               vth_mant=int(rng.integers(1, 10 * scale + 5)))
    layers = []
    for k in range(3):
        w = rng.integers(-scale, scale + 1, (sizes[k + 1], sizes[k])).astype(np.float32)
        bias = rng.integers(-30, 30, sizes[k + 1]).astype(np.float32)
        if k == 1:
            wr = rng.integers(-scale, scale + 1, (sizes[2], sizes[2])).astype(np.float32)
            layers.append(spec.RecurrentDenseLayer(shape=(sizes[2],), neuron=neuron(sizes[2]),
                                                   weight=w, bias=bias, weight_rec=wr))
        else:
            layers.append(spec.DenseLayer(shape=(sizes[k + 1],), neuron=neuron(sizes[k + 1]),
                                          weight=w, bias=bias))
    net = spec.validate(spec.Network(layers=layers))
    x = rng.integers(0, 3, (7, 40)) * rng.integers(0, 2, (7, 40)) * (1 + 200 * (scale > 100))
    ref = _reference_run(net, x, reset)
    _, traces = Engine(net, reset_interval=reset).run(x, return_layers=True)
    assert sum(int(r.sum()) for r in ref) > 0
    for r, tr in zip(ref, traces):
        np.testing.assert_array_equal(tr.spikes, r)


@pytest.mark.lava
@pytest.mark.skipif(not HAS_LAVA, reason="needs lava-nc")
def test_engine_equals_lava_on_tiny_conv_net_with_reset(fixtures_dir):
    bias = np.load(fixtures_dir / "gts" / "tinynet" / "input_bias.npy")
    path = fixtures_dir / "tiny.net"
    kw = dict(steps=17, input_mode="bias", reset_interval=17, return_layers=True)
    lava, lava_tr = netx.run(path, bias, backend="lava", **kw)
    ours, our_tr = netx.run(path, bias, **kw)
    assert int(ours.sum()) == 100
    np.testing.assert_array_equal(ours, lava)
    for a, b in zip(our_tr, lava_tr):
        np.testing.assert_array_equal(a.spikes, b.spikes)
        np.testing.assert_array_equal(a.u, b.u)
        np.testing.assert_array_equal(a.v, b.v)


@pytest.mark.lava
@pytest.mark.slow
@pytest.mark.skipif(not HAS_LAVA, reason="needs lava-nc")
def test_engine_equals_lava_on_conv_pool_flatten_dense(fixtures_dir, tiny):
    rng = np.random.default_rng(0)
    pool = spec.PoolLayer(shape=(24, 3, 3), weight=np.full((1, 1, 2, 2), 3, np.float32),
                          neuron=spec.CubaNeuron(i_decay=1024, v_decay=512, vth_mant=3),
                          kernel_size=(2, 2), stride=(2, 2))
    dense = spec.DenseLayer(shape=(7,), weight=rng.integers(-6, 9, (7, 216)).astype(np.float32),
                            neuron=spec.CubaNeuron(i_decay=2048, v_decay=1024, vth_mant=2))
    net = spec.Network(layers=[tiny.layers[0], tiny.layers[1], pool,
                               spec.FlattenLayer(shape=(216,)), dense])
    bias = np.load(fixtures_dir / "gts" / "tinynet" / "input_bias.npy")
    kw = dict(steps=20, input_mode="bias", return_layers=True)
    lava, lava_tr = netx.run(net, bias, backend="lava", **kw)
    ours, our_tr = netx.run(net, bias, **kw)
    assert [t.index for t in our_tr] == [0, 1, 2, 4]
    assert all(int(t.spikes.sum()) > 0 for t in our_tr)
    np.testing.assert_array_equal(ours, lava)
    for a, b in zip(our_tr, lava_tr):
        np.testing.assert_array_equal(a.spikes, b.spikes)
        np.testing.assert_array_equal(a.u, b.u)
        np.testing.assert_array_equal(a.v, b.v)
