"""The rest of the SLAYER neuron family: sigma-delta, ALIF, RF, RF-Izhikevich, ADRF, ADRF-Iz.

* hand-computed dynamics for a few steps of each neuron (exact values in fixed point);
* fixed mode bit exact against the referee equations of :mod:`netx.fixed_point` on random input;
* gradients against analytic values / finite differences on tiny cases;
* persistent state, generated block families (Recurrent state packing), export read back by
  :func:`netx.spec.read` with the right neuron dataclass;
* the mixed example network (sigma_delta Input/Conv, rf_iz Conv with delay, Flatten, alif Dense
  with delay, cuba Recurrent, cuba KWTA) runs forward/backward and exports.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from netx import fixed_point as fxp
from netx import spec
from trainers import slayer
from trainers.slayer.neuron import adrf, adrf_iz, alif, rf, rf_iz, sigma_delta

T0 = torch.tensor


def seq(values, n: int = 1) -> torch.Tensor:
    """(1, n, T) float input repeating ``values`` over n neurons."""
    return torch.tensor(values, dtype=torch.float32).reshape(1, 1, -1).repeat(1, n, 1)


# --------------------------------------------------------------------------- sigma-delta
@pytest.mark.parametrize("mode", ["fixed", "float"])
def test_delta_encoder_hand_values(mode):
    """Input (delta only), threshold 0.25: act 0.5, 0.5, 0.5625, 0.8125, 0.8125 sends 0.5 at
    t=0, keeps 0.0625 at t=2, sends 0.25 + 0.0625 at t=3."""
    blk = slayer.block.sigma_delta.Input({"threshold": 0.25, "mode": mode})
    out = blk(seq([0.5, 0.5, 0.5625, 0.8125, 0.8125]))
    assert out[0, 0].tolist() == [0.5, 0.0, 0.0, 0.3125, 0.0]
    assert blk.neuron.v_th_mant == 16


@pytest.mark.parametrize("mode", ["fixed", "float"])
def test_sigma_delta_hidden_hand_values(mode):
    """sigma = 0.5, 0.25, 0.25, -0.25; relu -> 0.5, 0.25, 0.25, 0; deltas sent with threshold
    0.125: 0.5, -0.25, 0, -0.25."""
    n = sigma_delta.Neuron(threshold=0.125, activation="relu", mode=mode)
    out = n(seq([0.5, -0.25, 0.0, -0.5]))
    assert out[0, 0].tolist() == [0.5, -0.25, 0.0, -0.25]
    ident = sigma_delta.Neuron(threshold=0.125, activation=None, mode=mode)
    assert ident(seq([0.5, -0.25, 0.0, -0.5]))[0, 0].tolist() == [0.5, -0.25, 0.0, -0.5]


def test_sigma_delta_fixed_bit_exact_with_lava_equations():
    """Hidden neuron == fxp.sigma_delta_step and input neuron == fxp.delta_step (messages
    x 4096), random integer drive, vThMant 6."""
    torch.manual_seed(1)
    num, steps = 20, 30
    a_in = torch.randint(-3000, 3000, (1, num, steps)) * 16  # on the 2**18 grid
    n = sigma_delta.Neuron(threshold=0.1)
    out = n(a_in.double() / 2 ** 18)
    vth = fxp.sigma_delta_scale(n.v_th_mant)
    st, ref = fxp.sigma_delta_zero_state((1, num)), []
    for t in range(steps):
        st, m = fxp.sigma_delta_step(st, a_in[..., t], vth)
        ref.append(m)
    ref = torch.stack(ref, -1)
    assert int((ref != 0).sum()) > 50
    assert torch.equal((out * 4096).to(torch.int64), ref)

    x = torch.randint(-20, 60, (1, num, steps))  # Lava input units (1/64 training unit)
    inp = slayer.block.sigma_delta.Input({"threshold": 0.1})
    out = inp(x.float() / 64)
    st, ref = fxp.sigma_delta_zero_state((1, num)), []
    for t in range(steps):
        st, m = fxp.delta_step(st, x[..., t], vth)
        ref.append(m)
    assert torch.equal((out * 4096).to(torch.int64), torch.stack(ref, -1))


def test_sigma_delta_gradient_is_activation_derivative():
    """Straight-through delta: d(sum_t out[t]) / d z[t'] = relu'(sigma[T-1]) for every t'."""
    torch.manual_seed(0)
    z = torch.randn(1, 6, 8, dtype=torch.float64, requires_grad=True)
    n = sigma_delta.Neuron(threshold=0.3, mode="float").double()
    n(z).sum().backward()
    expected = (z.detach().sum(-1, keepdim=True) > 0).double().expand_as(z)
    assert torch.equal(z.grad, expected)


def test_sigma_delta_threshold_learns_and_persistent_state():
    """The threshold gets a (negative: lower threshold, more sent) gradient; a persistent
    neuron run in two chunks equals one run."""
    torch.manual_seed(2)
    n = sigma_delta.Neuron(threshold=0.25, requires_grad=True, mode="float")
    z = torch.randn(2, 5, 12)
    (n(z) * torch.sign(z.cumsum(-1))).sum().backward()
    g = n.delta.threshold.grad
    assert g is not None and float(g) != 0.0 and math.isfinite(float(g))
    full = sigma_delta.Neuron(threshold=0.125)(z)
    part = sigma_delta.Neuron(threshold=0.125, persistent_state=True)
    chunks = torch.cat([part(z[..., :5]), part(z[..., 5:])], dim=-1)
    assert torch.equal(full, chunks)


def test_sigma_delta_output_block_is_running_sum_and_exports(tmp_path):
    """Output = cumulative sum of W x (training units); file: SDNN neurons, sigma_output on
    the readout, input layer SDNN."""
    params = {"threshold": 0.125}
    blocks = [slayer.block.sigma_delta.Input(params),
              slayer.block.sigma_delta.Dense(params, 3, 4),
              slayer.block.sigma_delta.Output(params, 4, 2, delay_shift=False)]
    with torch.no_grad():
        blocks[2].synapse.weight.copy_(torch.tensor([[0.5, 0.25, 0, 0], [-1, 0, 0, 0.125]]))
    x = torch.rand(1, 3, 6)
    y = blocks[1](blocks[0](x))
    out = blocks[2](y)
    w = torch.tensor([[0.5, 0.25, 0, 0], [-1, 0, 0, 0.125]])
    assert torch.allclose(out, torch.einsum("oi,nit->not", w, y).cumsum(-1), atol=1e-6)
    path = tmp_path / "sd.net"
    slayer.block.export_hdf5(blocks, str(path))
    net = spec.read(path)
    assert [type(layer.neuron) for layer in net.layers] == [spec.SdnnNeuron] * 3
    n0, n1, n2 = (layer.neuron for layer in net.layers)
    assert (n0.vth_mant, n0.activation, n0.message_bits) == (8, "relu", 16)
    assert not n1.sigma_output and n2.sigma_output is True
    assert np.array_equal(net.layers[2].weight, np.array([[32, 16, 0, 0], [-64, 0, 0, 8]]))


def test_sigma_delta_fixed_mode_rejects_unknown_activation():
    with pytest.raises(ValueError, match="fixed-point"):
        sigma_delta.Neuron(threshold=0.1, activation=torch.tanh, mode="fixed")
    n = sigma_delta.Neuron(threshold=0.1, activation=torch.tanh, mode="float")
    assert n.device_params["activation"] == "tanh"
    # lava-dl trains any activation: without a mode, such a neuron trains in float mode
    with pytest.warns(UserWarning, match="netx will refuse to deploy it"):
        n = sigma_delta.Neuron(threshold=0.1, activation=torch.tanh)
    assert n.mode == "float"
    assert sigma_delta.Neuron(threshold=0.1, activation=F.relu).mode == "fixed"
    with pytest.raises(ValueError, match="cum_error"):
        sigma_delta.Neuron(threshold=0.1, cum_error=True)


# --------------------------------------------------------------------------- ALIF
ALIF = dict(threshold=1.0, threshold_step=0.5, current_decay=1.0, voltage_decay=0.0,
            threshold_decay=0.5, refractory_decay=0.5)


@pytest.mark.parametrize("mode", ["fixed", "float"])
def test_alif_hand_values(mode):
    """u = z (iDecay 4096), v integrates; theta relaxes halfway to 1 each step, ref halves;
    spike when v - ref >= theta (inclusive at t=2: 2.25 - 1 == 1.25)."""
    n = alif.Neuron(**ALIF, mode=mode)
    z = seq([0.75, 0.75, 0.75, 0.75, 0, 0])
    out, cur, (u, packed) = n.evolve(z)
    assert out[0, 0].tolist() == [0, 1, 1, 0, 1, 1]
    assert cur[0, 0].tolist() == [0.75, 0.75, 0.75, 0.75, 0, 0]
    v, theta, ref = packed[:, 0, 0].tolist()
    # t=5: theta 1.34375 -> spike adds 0.5; ref 6656/4096 -> += 2 * 1.34375
    assert (v, theta, ref) == (3.0, 1.84375, 1.625 + 2 * 1.34375)


def test_alif_fixed_bit_exact_with_lava_equations():
    torch.manual_seed(1)
    a = torch.randint(-20, 50, (1, 30, 40))
    n = alif.Neuron(1.0, 0.5, 0.25, 0.125, 0.1, 0.2)
    out = n(a.float() / 64)
    st, ref = fxp.alif_zero_state((1, 30), 64), []
    for t in range(40):
        st, f = fxp.alif_step(st, a[..., t], 1024, 512, 410, 819, 64, 32)
        ref.append(f)
    ref = torch.stack(ref, -1).float()
    assert int(ref.sum()) > 100
    assert torch.equal(out, ref)


def test_alif_surrogate_gradient_one_step():
    """One step: spike = H(z - theta); d spike / dz = 0.1 scale_grad exp(-|z - theta| /
    (100 tau_grad theta)) (lava-dl's multipliers)."""
    n = alif.Neuron(**ALIF, tau_grad=0.005, scale_grad=20.0, mode="float")
    z = torch.tensor([[[0.7], [1.2], [1.0]]], requires_grad=True)
    n(z).sum().backward()
    expected = 2.0 * torch.exp(-torch.abs(z.detach() - 1.0) / 0.5)
    assert torch.allclose(z.grad, expected)


def test_alif_decay_gradient_finite_difference():
    """Non-spiking ALIF (CUBA integrator): autograd == central differences for both decays."""
    torch.manual_seed(3)
    n = alif.Neuron(**{**ALIF, "current_decay": 0.3, "voltage_decay": 0.2},
                    requires_grad=True, mode="float").double()
    z = torch.randn(1, 3, 7, dtype=torch.float64)
    _, v = n.dynamics(z)
    (v ** 2).sum().backward()
    for name in ("current_decay", "voltage_decay"):
        p = getattr(n, name)
        with torch.no_grad():
            p += 1e-3
            hi = (n.dynamics(z)[1] ** 2).sum()
            p -= 2e-3
            lo = (n.dynamics(z)[1] ** 2).sum()
            p += 1e-3
        assert float(p.grad) == pytest.approx(float(hi - lo) / 2e-3, rel=1e-5)


FAMILY_PARAMS = {
    "alif": dict(ALIF, current_decay=0.25, voltage_decay=0.1, threshold_decay=0.1,
                 refractory_decay=0.2),
    "rf_iz": dict(threshold=0.25, period=7, decay=0.05),
    "adrf": dict(threshold=0.25, threshold_step=0.125, period=7, decay=0.05,
                 threshold_decay=0.1, refractory_decay=0.2),
}


@pytest.mark.parametrize("family", sorted(FAMILY_PARAMS))
def test_recurrent_with_zero_feedback_equals_dense_and_persistent_chunks(family):
    """Recurrent carries the neuron state as a pair (ALIF/ADRF pack their extra states): with
    W_rec = 0 it equals Dense; a persistent Dense run in two chunks equals one run."""
    torch.manual_seed(4)
    mod, params = getattr(slayer.block, family), FAMILY_PARAMS[family]
    dense = mod.Dense(params, 6, 5, weight_scale=2)
    rec = mod.Recurrent(params, 6, 5)
    with torch.no_grad():
        rec.input_synapse.weight.copy_(dense.synapse.weight)
        rec.recurrent_synapse.weight.zero_()
    x = (torch.rand(2, 6, 25) < 0.5).float()
    ref = dense(x)
    assert ref.sum() > 10
    assert torch.equal(rec(x), ref)
    part = mod.Dense({**params, "persistent_state": True}, 6, 5)
    with torch.no_grad():
        part.synapse.weight.copy_(dense.synapse.weight)
    assert torch.equal(torch.cat([part(x[..., :11]), part(x[..., 11:])], -1), ref)


# --------------------------------------------------------------------------- RF family
@pytest.mark.parametrize("mode", ["fixed", "float"])
def test_rf_iz_hand_values(mode):
    """Period 4, no decay: the state turns 90 degrees a step (sinDecay 4096, cosDecay 0).
    z = 1 at t=0: (1, 0) -> (0, 1) spikes (imag >= 0.5), resets to (0, 0.5 - 1/4096) ->
    (-2047/4096, 0) -> (0, -2047/4096) -> (2047/4096, 0)."""
    n = rf_iz.Neuron(threshold=0.5, period=4, decay=0.0, mode=mode)
    out, real, (re, im) = n.evolve(seq([1, 0, 0, 0, 0]))
    assert out[0, 0].tolist() == [0, 1, 0, 0, 0]
    if mode == "fixed":
        assert (real[0, 0] * 4096).tolist() == [4096, 0, -2047, 0, 2047]
        assert n.device_params["sinDecay"] == 4096 and n.device_params["cosDecay"] == 0
    else:
        assert torch.allclose(real[0, 0] * 4096, T0([4096., 0, -2047, 0, 2047]), atol=1e-3)


def test_rf_phase_hand_values():
    """Period 4: the state comes back to (1, 0) every 4 steps; a spike when imag crosses zero
    upward with real >= threshold, i.e. at t = 4 and t = 8 (not at t = 0: imag was 0)."""
    n = rf.Neuron(threshold=0.5, period=4, decay=0.0)
    out = n(seq([1, 0, 0, 0, 0, 0, 0, 0, 0]))
    assert out[0, 0].tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 1]


def test_adrf_iz_hand_values():
    """ADRF-Iz, period 4, threshold 0.5 (2048), step 0.25, theta/ref decays 0.5: spikes at
    t=1 (imag 1 >= 0.5) and t=5 (1 - ref 256/4096 >= theta 2112/4096)."""
    n = adrf_iz.Neuron(threshold=0.5, threshold_step=0.25, period=4, decay=0.0,
                       threshold_decay=0.5, refractory_decay=0.5)
    out, _, (_, packed) = n.evolve(seq([1, 0, 0, 0, 0, 0]))
    assert out[0, 0].tolist() == [0, 1, 0, 0, 0, 1]
    im, theta, ref = (packed[:, 0, 0] * 4096).tolist()
    assert (im, theta, ref) == (4096, 2112 + 1024, 256 + 2 * 2112)


@pytest.mark.parametrize("module,izhikevich", [(rf, False), (rf_iz, True), (adrf, False),
                                               (adrf_iz, True)])
def test_resonators_fixed_bit_exact_with_lava_equations(module, izhikevich):
    torch.manual_seed(5)
    a = torch.randint(-20, 50, (1, 30, 40))
    adaptive = module in (adrf, adrf_iz)
    if adaptive:
        n = module.Neuron(0.3, 0.125, 7, 0.05, 0.1, 0.2)
    else:
        n = module.Neuron(0.3, 7, 0.05)
    out = n(a.float() / 64)
    p = n.device_params
    assert (p["sinDecay"], p["cosDecay"]) == (3042, 2426)  # 3891 * (sin, cos)(2 pi / 7)
    zero = torch.zeros(1, 30, dtype=torch.int64)
    ref = []
    if adaptive:
        st = fxp.AdrfState(zero, zero, zero + fxp.threshold(p["vThMant"]), zero)
        for t in range(40):
            st, f = fxp.adrf_step(st, a[..., t], zero, p["sinDecay"], p["cosDecay"],
                                  p["thDecay"], p["refDecay"], p["vThMant"], p["vThStep"],
                                  izhikevich=izhikevich)
            ref.append(f)
    else:
        st = fxp.RfState(zero, zero)
        step = fxp.rf_iz_step if izhikevich else fxp.rf_step
        for t in range(40):
            st, f = step(st, a[..., t], zero, p["sinDecay"], p["cosDecay"],
                         fxp.threshold(p["vThMant"]))
            ref.append(f)
    ref = torch.stack(ref, -1).float()
    assert int(ref.sum()) > 50
    assert torch.equal(out, ref)


def test_rf_parameter_gradients_finite_difference():
    """Non-spiking RF (real part out): autograd == central differences for frequency and
    decay (float mode, float64)."""
    torch.manual_seed(6)
    n = rf.Neuron(threshold=0.5, period=6.0, decay=0.1, requires_grad=True,
                  mode="float").double()
    z = torch.randn(1, 2, 9, dtype=torch.float64)
    _, out = n.dynamics(z)
    (out ** 2).sum().backward()
    for name, eps in (("frequency", 1e-6), ("decay", 1e-3)):
        p = getattr(n, name)
        with torch.no_grad():
            p += eps
            hi = (n.dynamics(z)[1] ** 2).sum()
            p -= 2 * eps
            lo = (n.dynamics(z)[1] ** 2).sum()
            p += eps
        assert float(p.grad) == pytest.approx(float(hi - lo) / (2 * eps), rel=1e-4)


def test_rf_complex_input_drives_imaginary_part():
    """A complex input z = i: (0, 1) -> rotated (-1, 0) with period 4, no decay."""
    n = rf.Neuron(threshold=0.5, period=4, decay=0.0)
    z = torch.complex(torch.zeros(1, 1, 2), torch.tensor([[[1.0, 0.0]]]))
    _, real, (re, im) = n.evolve(z, spiking=False)
    assert real[0, 0].tolist() == [0.0, -1.0] and float(im) == 0.0


def test_complex_dense_block_feeds_both_parts_and_exports(tmp_path):
    """ComplexDense = neuron driven by W_real x + i W_imag x; file type dense_comp with
    weight/real and weight/imag (x64), read back as ComplexDenseLayer."""
    torch.manual_seed(7)
    params = {"threshold": 0.25, "period": 7, "decay": 0.05}
    inp, blk = slayer.block.rf_iz.Input(None), slayer.block.rf_iz.ComplexDense(params, 5, 3)
    x = (torch.rand(1, 5, 20) < 0.4).float()
    out = blk(inp(x))
    wr = blk.synapse.real.effective_weight().detach()
    wi = blk.synapse.imag.effective_weight().detach()
    z = torch.complex(torch.einsum("oi,nit->not", wr, x), torch.einsum("oi,nit->not", wi, x))
    ref = slayer.axon.delay_shift(rf_iz.Neuron(**params)(z), 1)
    assert out.sum() > 0 and torch.equal(out.detach(), ref)
    out.sum().backward()
    assert float(blk.synapse.imag.weight.grad.abs().sum()) > 0
    path = tmp_path / "comp.net"
    slayer.block.export_hdf5([inp, blk], str(path))
    layer = spec.read(path).layers[1]
    assert isinstance(layer, spec.ComplexDenseLayer) and layer.kind == "dense_comp"
    assert np.array_equal(layer.weight, (wr * 64).numpy())
    assert np.array_equal(layer.weight_imag, (wi * 64).numpy())
    assert layer.neuron.type == "RF_IZHIKEVICH"


def test_complex_spike_function_hand_values_and_surrogate():
    """slayer.spike.complex: fires where imag crosses zero upward with real >= threshold;
    surrogate 2 exp(-|real - 0.5| / 0.25) on those steps only."""
    real = torch.tensor([[[1.0, 0.75, 0.25, 0.5, 0.5]]], requires_grad=True)
    imag = torch.tensor([[[-1.0, 0.0, 0.5, -0.5, 0.0]]])
    s = slayer.spike.complex.spike(real, imag, 0.5, tau_rho=0.25, scale_rho=2.0)
    assert s[0, 0].tolist() == [0, 1, 0, 0, 1]
    s.sum().backward()
    expected = [0, 2 * math.exp(-1.0), 0, 0, 2.0]
    assert real.grad[0, 0].tolist() == pytest.approx(expected)


# --------------------------------------------------------------------------- export
@pytest.mark.parametrize("family,params,cls,expected", [
    ("alif", dict(ALIF, current_decay=[0.25, 0.5, 0.75], shared_param=False), spec.AlifNeuron,
     {"type": "ALIF", "i_decay": [1024, 2048, 3072], "v_decay": 0, "th_decay": 2048,
      "ref_decay": 2048, "vth_mant": 64, "vth_step": 32}),
    ("rf", dict(threshold=0.5, period=4, decay=0.0), spec.RfNeuron,
     {"type": "RF_PHASE", "sin_decay": 4096, "cos_decay": 0, "vth_mant": 32}),
    ("rf_iz", dict(threshold=0.25, period=[8, 4], decay=0.5, shared_param=False), spec.RfNeuron,
     {"type": "RF_IZHIKEVICH", "sin_decay": [1448, 2048], "cos_decay": [1448, 0],
      "vth_mant": 16}),
    ("adrf", dict(threshold=0.5, threshold_step=0.25, period=4, decay=0.0,
                  threshold_decay=0.125, refractory_decay=0.25), spec.AdrfNeuron,
     {"type": "ADRF_PHASE", "sin_decay": 4096, "th_decay": 512, "ref_decay": 1024,
      "vth_step": 16}),
    ("adrf_iz", dict(threshold=0.5, threshold_step=0.25, period=4, decay=0.0,
                     threshold_decay=0.125, refractory_decay=0.25), spec.AdrfNeuron,
     {"type": "ADRF_IZHIKEVICH", "vth_mant": 32}),
])
def test_family_dense_export_reads_back(tmp_path, family, params, cls, expected):
    mod = getattr(slayer.block, family)
    n_out = 3 if family == "alif" else 2
    inp, block = mod.Input(None), mod.Dense(params, 4, n_out)
    block(inp(torch.rand(1, 4, 5)))
    path = tmp_path / f"{family}.net"
    slayer.block.export_hdf5([inp, block], str(path))
    net = spec.read(path)
    neuron = net.layers[1].neuron
    assert type(neuron) is cls
    for key, value in expected.items():
        got = getattr(neuron, key)
        if isinstance(value, list):
            assert np.asarray(got).tolist() == value, key
        else:  # scalar, or one value per neuron when shared_param=False
            assert np.all(np.asarray(got) == value), key
    assert net.layers[1].weight.shape == (n_out, 4)


# --------------------------------------------------------------------------- example network
def test_mixed_example_network_forward_backward_export(tmp_path):
    """sigma_delta Input/Conv -> rf_iz Conv (delay) -> Flatten -> alif Dense (delay) -> cuba
    Recurrent -> cuba KWTA: spikes reach the end, gradients reach the first synapse, the file
    reads back with the right layer kinds and neuron dataclasses."""
    torch.manual_seed(0)
    sd = {"threshold": 0.0625, "tau_grad": 0.5, "requires_grad": True}
    rfp = {"threshold": 0.125, "period": 6, "decay": 0.05}
    alp = dict(ALIF, current_decay=0.5, voltage_decay=0.1, threshold_decay=0.1,
               refractory_decay=0.2, threshold=0.5)
    cub = {"threshold": 0.5, "current_decay": 0.5, "voltage_decay": 0.1}
    blocks = torch.nn.ModuleList([
        slayer.block.sigma_delta.Input(sd),
        slayer.block.sigma_delta.Conv(sd, 2, 4, 3, padding=1, weight_scale=2),
        slayer.block.rf_iz.Conv(rfp, 4, 4, 3, padding=1, stride=2, delay=True, weight_scale=4),
        slayer.block.cuba.Flatten(),
        slayer.block.alif.Dense(alp, 4 * 4 * 4, 20, delay=True, weight_scale=4),
        slayer.block.cuba.Recurrent(cub, 20, 16, weight_scale=4),
        slayer.block.cuba.KWTA(cub, 16, 10, num_winners=2, weight_scale=4),
    ])
    x = torch.rand(2, 2, 8, 8, 16) * 2
    y, counts = x, []
    for b in blocks:
        y = b(y)
        counts.append(int((y != 0).sum()))
    assert all(c > 0 for c in counts), counts
    y.sum().backward()
    g = blocks[1].synapse.weight.grad
    assert g is not None and bool(torch.isfinite(g).all()) and float(g.abs().sum()) > 0
    path = tmp_path / "mixed.net"
    slayer.block.export_hdf5(list(blocks), str(path), simulation={"Ts": 1.0, "tSample": 16})
    net = spec.read(path)
    assert [layer.kind for layer in net.layers] == ["input", "conv", "conv", "flatten", "dense",
                                                    "dense_rec", "dense_rec"]
    assert [type(layer.neuron).__name__ for layer in net.layers] == [
        "SdnnNeuron", "SdnnNeuron", "RfNeuron", "NoneType", "AlifNeuron", "CubaNeuron",
        "CubaNeuron"]
    assert net.layers[2].neuron.type == "RF_IZHIKEVICH" and net.layers[2].shape == (4, 4, 4)
    assert net.layers[4].delay is not None and net.layers[4].delay.shape == (20,)
    assert net.layers[1].neuron.vth_mant == 4
