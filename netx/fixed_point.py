"""Loihi fixed-point arithmetic: the one home of the integer neuron and synapse equations.

Everything that must agree spike for spike with Lava's ``fixed_pt`` process models calls
these functions: the trainers' quantized forward (``trainers.slayer.neuron``), the batched
engine (``netx.engine``) and the tests.  Lava (lava-nc 0.10.0) is the external referee.

All functions take and return ``torch.int64`` tensors holding integer values (any shape; the
neuron axis is broadcast against per-neuron parameters).  int64 leaves room for the 36-bit
products ``state * decay`` before they are shifted back into 24 bits.

Units (the "Loihi grid"):

* decays ``i_decay`` / ``v_decay`` are fractions out of ``DECAY_UNITY`` = 4096, in the
  exchange-format convention: the state is multiplied by ``(4096 - decay) / 4096`` each
  step.  (Lava's LIF takes ``du = i_decay - 1`` because it adds a 1-bit offset to ``du``.)
* synaptic input ``a`` is the integer weighted spike sum; it enters the current as
  ``a << ACT_SHIFT`` (x64).
* the threshold is a mantissa: the voltage is compared with ``vth_mant << VTH_SHIFT``.
* the bias is ``bias_mant << bias_exp`` and is added to the voltage every step.
* current ``u`` wraps once into signed 24 bits; voltage ``v`` saturates to +-(2^23 - 1).
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Union

import torch

Tensor = torch.Tensor
IntLike = Union[int, Tensor]

STATE_BITS = 24
STATE_MAX = 2 ** (STATE_BITS - 1)  # 2^23: the wrap point of the current
DECAY_BITS = 12
DECAY_UNITY = 2 ** DECAY_BITS  # 4096
ACT_SHIFT = 6  # synaptic input is MSB-aligned by 6 bits
VTH_SHIFT = 6  # threshold mantissa is MSB-aligned by 6 bits
WEIGHT_BITS = 8  # Dense weights live in 8 (+ sign) bits on Loihi


def shift_toward_zero(x: Tensor, bits: int) -> Tensor:
    """``x / 2**bits`` rounded toward zero (sign kept, magnitude shifted right)."""
    return torch.sign(x) * (torch.abs(x) >> bits)


def decay(x: Tensor, d: IntLike) -> Tensor:
    """Decay a state on the Loihi grid: ``x * (4096 - d) / 4096`` rounded toward zero."""
    return shift_toward_zero(x * (DECAY_UNITY - d), DECAY_BITS)


def wrap_int32(x: Tensor) -> Tensor:
    """Two's-complement wrap into int32, as numpy's int32 arithmetic in Lava does."""
    return ((x + 2 ** 31) % 2 ** 32) - 2 ** 31


def wrap_state(x: Tensor) -> Tensor:
    """Wrap once into the signed 24-bit range (Lava's current: ``x > 2^23`` -> ``x - 2^24``)."""
    x = torch.where(x > STATE_MAX, x - 2 * STATE_MAX, x)
    return torch.where(x <= -STATE_MAX, x + 2 * STATE_MAX, x)


def saturate_state(x: Tensor) -> Tensor:
    """Clip into ``[-(2^23 - 1), 2^23 - 1]`` (Lava's voltage saturates, it does not wrap)."""
    return torch.clamp(x, -(STATE_MAX - 1), STATE_MAX - 1)


def scaled_bias(bias_mant: IntLike, bias_exp: IntLike) -> Tensor:
    """Bias added to the voltage each step: ``bias_mant << bias_exp`` (``>>`` if negative)."""
    bias_mant = torch.as_tensor(bias_mant, dtype=torch.int64)
    bias_exp = torch.as_tensor(bias_exp, dtype=torch.int64)
    return torch.where(bias_exp >= 0, bias_mant << bias_exp.clamp(min=0),
                       bias_mant >> (-bias_exp).clamp(min=0))


def threshold(vth_mant: IntLike) -> Tensor:
    """Voltage threshold on the state grid: ``vth_mant << 6``."""
    return torch.as_tensor(vth_mant, dtype=torch.int64) << VTH_SHIFT


class CubaState(NamedTuple):
    """State of a layer of CUBA-LIF neurons on the Loihi grid (int64, any shape)."""

    u: Tensor  # synaptic current, signed 24 bits
    v: Tensor  # membrane voltage, signed 24 bits


def cuba_current(u: Tensor, a_in: Tensor, i_decay: IntLike) -> Tensor:
    """Current update: ``u <- wrap24(decay(u, i_decay) + (a_in << 6))``."""
    x = wrap_int32(decay(u, i_decay) + (a_in << ACT_SHIFT))
    return wrap_state(x)


def cuba_voltage(v: Tensor, u: Tensor, v_decay: IntLike, bias: IntLike = 0) -> Tensor:
    """Voltage update: ``v <- sat24(decay(v, v_decay) + u + bias)`` (bias already scaled)."""
    return saturate_state(decay(v, v_decay) + u + bias)


def cuba_step(state: CubaState, a_in: Tensor, i_decay: IntLike, v_decay: IntLike,
              vth: IntLike, bias: IntLike = 0) -> tuple[CubaState, Tensor]:
    """One time step of Loihi CUBA-LIF (Lava ``LIF`` ``fixed_pt``), bit exact.

    Args:
        state: ``(u, v)`` before the step.
        a_in: integer synaptic input of this step (weighted spike sum, before the x64 shift).
        i_decay, v_decay: decays out of 4096 (exchange-format convention), scalar or per neuron.
        vth: threshold on the state grid (``vth_mant << 6``, see :func:`threshold`).
        bias: bias on the state grid (``bias_mant << bias_exp``, see :func:`scaled_bias`).

    Returns:
        ``(new_state, spikes)`` with boolean spikes; the voltage of spiking neurons is reset
        to 0, the current is not.
    """
    u = cuba_current(state.u, a_in, i_decay)
    v = cuba_voltage(state.v, u, v_decay, bias)
    spikes = v > vth
    v = torch.where(spikes, torch.zeros_like(v), v)
    return CubaState(u, v), spikes


def cuba_step_float(state: CubaState, a_in: Tensor, du: float, dv: float, vth: float,
                    bias: float = 0.0) -> tuple[CubaState, Tensor]:
    """One step of Lava's ``floating_pt`` LIF: ``u = u(1-du) + a``, ``v = v(1-dv) + u + b``.

    ``du`` and ``dv`` are fractions in [0, 1]; the voltage resets to 0 on a spike (``v > vth``).
    """
    u = state.u * (1 - du) + a_in
    v = state.v * (1 - dv) + u + bias
    spikes = v > vth
    v = torch.where(spikes, torch.zeros_like(v), v)
    return CubaState(u, v), spikes


# --------------------------------------------------------------------------- synapses
def sign_mode(weights: Tensor) -> str:
    """Lava's inferred sign mode: ``'excitatory'`` (all >= 0), ``'inhibitory'`` (all <= 0)
    or ``'mixed'``."""
    if bool((weights >= 0).all()):
        return "excitatory"
    if bool((weights <= 0).all()):
        return "inhibitory"
    return "mixed"


def dense_weights(weights: Tensor, num_weight_bits: int = WEIGHT_BITS) -> Tensor:
    """The weights a Lava ``Dense`` (``fixed_pt``) really uses, from what it was given.

    Clip to 8 bits for the inferred sign mode (mixed: [-256, 255]), then drop
    ``8 - num_weight_bits + mixed`` low bits of the magnitude (floor for mixed weights,
    toward zero for inhibitory ones, as Lava negates those around the shift).
    """
    w = torch.as_tensor(weights).to(torch.int64)
    mode = sign_mode(w)
    mixed = int(mode == "mixed")
    if mode == "inhibitory":
        w = -w
    lo = -(2 ** WEIGHT_BITS) * mixed
    w = torch.clamp(w, lo, 2 ** WEIGHT_BITS - 1)
    k = WEIGHT_BITS - num_weight_bits + mixed
    w = (w >> k) << k
    return -w if mode == "inhibitory" else w


def apply_weight_exp(a: Tensor, weight_exp: int) -> Tensor:
    """Scale an accumulated synaptic input by ``2**weight_exp`` (right shift floors)."""
    return a << weight_exp if weight_exp > 0 else a >> (-weight_exp)


# --------------------------------------------------------------------------- fitting and
# exact integer accumulation (added for the batched engine, netx.engine)
def fit_dense_weights(weights) -> tuple[Tensor, int, int]:
    """Fit integer weights to Lava's Dense format: ``(mantissas, num_weight_bits, weight_exp)``.

    The same choice Lava's ``optimize_weight_bits`` makes (and lava-dl's netx applies when it
    builds a ``Dense``): the sign mode picks a scale (mixed: ``min(127/max, -128/min)``,
    excitatory: ``255/max``, inhibitory: ``-255/min``), ``scale_bits = floor(log2(scale))``
    (+1 when mixed), ``weight_exp = -scale_bits``; ``n`` is the number of trailing zero bits
    shared by all weights (at most 8, minus 1 when mixed) and
    ``num_weight_bits = 8 - scale_bits - n``.  The mantissas are ``weights * 2**scale_bits``
    (rounded to nearest when the weights must shrink, i.e. ``weight_exp > 0``).

    Integer weights that fit Loihi's 8-bit range come out exactly: feeding the result to
    :func:`dense_weights` and :func:`apply_weight_exp` gives back ``weights @ s``.

    Args:
        weights: (n_out, n_in) integer-valued array (numpy or torch).
    """
    w = torch.as_tensor(weights).to(torch.float64)
    mode = sign_mode(w)
    mixed = int(mode == "mixed")
    w_max, w_min = float(w.max()) if w.numel() else 0.0, float(w.min()) if w.numel() else 0.0
    if w_max == 0 and w_min == 0:
        return w.to(torch.int64), WEIGHT_BITS, 0
    if mode == "mixed":
        scale = min(127 / w_max if w_max > 0 else float("inf"),
                    -128 / w_min if w_min < 0 else float("inf"))
    elif mode == "inhibitory":
        scale = -255 / w_min
    else:
        scale = 255 / w_max
    scale_bits = int(torch.floor(torch.log2(torch.tensor(scale, dtype=torch.float64)))) + mixed
    n = WEIGHT_BITS
    while n > 0 and bool(((w / 2 ** n) != torch.round(w / 2 ** n)).any()):
        n -= 1
    n -= mixed
    num_weight_bits = min(WEIGHT_BITS - scale_bits - n, WEIGHT_BITS + mixed)
    mant = torch.round(w * 2.0 ** scale_bits).to(torch.int64)
    return mant, int(num_weight_bits), -scale_bits


def exact_float_dtype(bound: float) -> torch.dtype | None:
    """A float dtype whose sums of integers stay exact when every partial sum is bounded by
    ``bound`` in magnitude (float32 below 2^24, float64 below 2^53), else ``None`` (use int64)."""
    if bound < 2 ** 24:
        return torch.float32
    if bound < 2 ** 53:
        return torch.float64
    return None


def int_matmul(x: Tensor, weight_t: Tensor) -> Tensor:
    """Exact ``x @ weight_t`` of integer values, returned as int64.

    ``x`` (B, n_in) and ``weight_t`` (n_in, n_out) must already share a dtype; float dtypes
    are exact when chosen with :func:`exact_float_dtype` (all partial sums are integers
    below the mantissa limit, so summation order does not matter).
    """
    return torch.matmul(x, weight_t).to(torch.int64)


def dense_accumulate(s: Tensor, weight_t: Tensor, weight_exp: int = 0) -> Tensor:
    """Lava ``Dense`` (fixed_pt) accumulation for a batch: ``(s @ W^T)`` scaled by
    ``weight_exp`` (see :func:`apply_weight_exp`).

    Args:
        s: (B, n_in) spikes (0/1) or graded values, in ``weight_t``'s dtype.
        weight_t: (n_in, n_out) effective weights (from :func:`dense_weights`), transposed.
    Returns:
        (B, n_out) int64 synaptic input for the next step.
    """
    return apply_weight_exp(int_matmul(s, weight_t), weight_exp)


def conv_accumulate(s: Tensor, weight: Tensor, stride: tuple[int, int] = (1, 1),
                    padding: tuple[int, int] = (0, 0), dilation: tuple[int, int] = (1, 1),
                    groups: int = 1) -> Tensor:
    """Lava ``Conv`` (fixed_pt) accumulation for a batch, on NCHW tensors.

    Lava convolves its (X, Y, C) input with a kernel (C_out, W, H, C_in) that lava-dl made by
    flipping the PyTorch kernel; a true convolution with the flipped kernel is the
    cross-correlation ``torch.nn.functional.conv2d`` computes with the PyTorch kernel, so
    this takes the PyTorch kernel directly (see :func:`lava_conv_kernel`).  Lava ignores
    ``weight_exp`` and ``num_weight_bits`` for Conv and wraps the result to signed 24 bits.

    Args:
        s: (B, C_in, H, W) input in ``weight``'s dtype (exact per :func:`exact_float_dtype`).
        weight: (C_out, C_in/groups, kH, kW) PyTorch-order kernel; (y, x) geometry pairs.
    Returns:
        (B, C_out, H_out, W_out) int64.
    """
    out = torch.nn.functional.conv2d(s, weight, stride=tuple(stride), padding=tuple(padding),
                                     dilation=tuple(dilation), groups=groups)
    return wrap_bits(out.to(torch.int64), STATE_BITS)


def wrap_bits(x: Tensor, bits: int) -> Tensor:
    """Two's-complement wrap into signed ``bits`` (Lava's ``signed_clamp``)."""
    half = 2 ** (bits - 1)
    return ((x + half) % (2 * half)) - half


def lava_conv_kernel(weight) -> Tensor:
    """The kernel Lava's ``Conv`` takes, (C_out, W, H, C_in), from a PyTorch-order kernel
    (C_out, C_in, kH, kW): spatial axes flipped, then axes (0, 3, 2, 1)."""
    w = torch.as_tensor(weight)
    return torch.flip(w, dims=(2, 3)).permute(0, 3, 2, 1).contiguous()


# --------------------------------------------------------------------------- fast batched
# variants for the engine: the same equations, evaluated in float64 holding integers
# (exact: every intermediate is an integer below 2^53) and in place (no allocation per step).
#: synaptic inputs must stay below this for :func:`cuba_step_f64_` (then 64 a < 2^24 and
#: Lava's single 24-bit wrap of the current equals a modular wrap, and no int32 wrap occurs).
F64_INPUT_LIMIT = 2 ** 18


def keep_factor(d: IntLike) -> Tensor:
    """``(4096 - d) / 4096`` in float64 (exact: 12-bit numerator over a power of two)."""
    return (DECAY_UNITY - torch.as_tensor(d, dtype=torch.float64)) / DECAY_UNITY


def _trunc_(x: Tensor, work: Tensor) -> Tensor:
    """``x.trunc_()`` as ``x - frac(x)`` (exact; two vectorised passes, where ``trunc`` is a
    scalar loop on some CPU builds).  May turn ``-0.0`` into ``+0.0`` (equal values)."""
    torch.frac(x, out=work)
    return x.sub_(work)


def _wrap_state_f64_(x: Tensor, work: Tensor) -> None:
    """:func:`wrap_state` in place on float64 integers with ``|x| < 2^24 + 2^23``:
    ``x - 2^24 floor((x + 2^23 - 1) / 2^24)`` (every step exact: powers of two, integers
    below 2^53), i.e. ``((x + 2^23 - 1) mod 2^24) - (2^23 - 1)``."""
    torch.add(x, STATE_MAX - 1, out=work).mul_(1.0 / (2 * STATE_MAX)).floor_()
    x.add_(work, alpha=-2 * STATE_MAX)


def cuba_step_f64_(u: Tensor, v: Tensor, a_in: Tensor, keep_u: Tensor, keep_v: Tensor,
                   vth: Tensor, bias: Union[Tensor, float], spikes: Tensor,
                   decay_u: Optional[list] = None, wrap_u: Optional[list] = None,
                   work: Optional[Tensor] = None) -> None:
    """:func:`cuba_step` in place on float64 tensors holding integers (bit-identical).

    ``u``, ``v``, ``a_in`` (B, N) float64; ``keep_u``, ``keep_v`` (N,) from
    :func:`keep_factor` of ``i_decay`` and ``v_decay``; ``vth``, ``bias`` on the state grid
    as in :func:`cuba_step` (``bias`` may be the number 0: skipped); ``spikes`` (B, N)
    output: bool, or a floating tensor that receives 0/1.  ``work``: optional (B, N) float64
    scratch buffer (else one is allocated).

    Exact when ``|a_in| < F64_INPUT_LIMIT``: ``u * keep`` equals ``u (4096 - d) / 4096``
    exactly (a 36-bit integer over a power of two), ``x - frac(x)`` rounds toward zero like
    :func:`shift_toward_zero`, and with ``|decayed u| <= 2^23`` and ``|64 a| < 2^24`` the
    single wrap of :func:`wrap_state` equals ``((x + 2^23 - 1) mod 2^24) - (2^23 - 1)``.
    The reset ``v - v * s`` gives exactly 0 where ``s = 1``.  Zeros may come out as ``-0.0``
    or ``+0.0`` (equal values; ``.long()`` gives the same integers).

    Optional work-saving hints (column ``slice`` lists; ``None`` means all neurons):
    ``decay_u`` where ``keep_u != 0`` (elsewhere the decayed current is 0), ``wrap_u`` where
    the current can leave 24 bits (elsewhere the wrap is the identity).  Hints that do not
    hold give wrong results; the engine derives them from the weights.
    """
    if work is None:
        work = torch.empty_like(v)
    if decay_u is None:
        torch.mul(u, keep_u, out=u)
        _trunc_(u, work)
        u.add_(a_in, alpha=2 ** ACT_SHIFT)
    else:
        for sl in decay_u:  # decayed current into the scratch columns, then the input
            part = work[:, sl]
            torch.mul(u[:, sl], keep_u[sl], out=part)
            part.sub_(torch.frac(part))
        torch.mul(a_in, 2 ** ACT_SHIFT, out=u)
        for sl in decay_u:
            u[:, sl] += work[:, sl]
    if wrap_u is None:
        _wrap_state_f64_(u, work)
    else:
        for sl in wrap_u:
            _wrap_state_f64_(u[:, sl], work[:, sl])
    torch.mul(v, keep_v, out=v)
    _trunc_(v, work)
    v.add_(u)
    if torch.is_tensor(bias) or bias != 0:
        v.add_(bias)
    v.clamp_(-(STATE_MAX - 1), STATE_MAX - 1)
    torch.gt(v, vth, out=work)           # 0/1 in float64
    v.addcmul_(v, work, value=-1.0)      # reset: v - v * s
    spikes.copy_(work)


def fold_weight_exp(weights: Tensor, weight_exp: int) -> tuple[Tensor, int]:
    """Fold ``weight_exp`` into integer weights when that is exact.

    Returns ``(w, e)`` with ``apply_weight_exp(w @ s, e) == apply_weight_exp(weights @ s,
    weight_exp)`` for every integer ``s``: a positive exponent always folds (``w << k``); a
    negative one folds when every weight is a multiple of ``2**-weight_exp`` (the floor then
    never drops bits), else it is returned unchanged.
    """
    if weight_exp >= 0:
        return weights << weight_exp, 0
    k = -weight_exp
    if bool(((weights % (1 << k)) == 0).all()):
        return weights >> k, 0
    return weights, weight_exp


# --------------------------------------------------------------------------- sigma-delta
# (Lava ``lava.proc.sdn`` fixed_pt models, as lava-dl's netx configures them; added for the
# SDNN neuron family)
#: lava-dl's ``state_exp`` for sigma-delta neurons: states carry 6 extra fraction bits.
SD_STATE_EXP = 6
#: lava-dl's default ``spike_exp``: graded messages carry 6 fraction bits.
SD_SPIKE_EXP = 6


class SigmaDeltaState(NamedTuple):
    """State of a layer of sigma-delta units (int64, any shape), on the scaled grid
    (``2**(spike_exp + state_exp)`` per unit of activation).

    ``sigma``: accumulated input (unused by the Delta encoder); ``act``: activation sent so
    far (the encoder's reference); ``residue``: change not sent yet (below threshold).
    """

    sigma: Tensor
    act: Tensor
    residue: Tensor


def sigma_delta_zero_state(shape, device=None) -> SigmaDeltaState:
    """All-zero :class:`SigmaDeltaState` of the given shape (Lava's initial values)."""
    z = torch.zeros(shape, dtype=torch.int64, device=device)
    return SigmaDeltaState(z, z.clone(), z.clone())


def sigma_delta_scale(x: IntLike, spike_exp: int = SD_SPIKE_EXP,
                      state_exp: int = SD_STATE_EXP) -> Tensor:
    """A threshold or bias mantissa on the sigma-delta state grid:
    ``x << (spike_exp + state_exp)`` (what Lava's ``Delta``/``SigmaDelta`` do at construction
    to ``vth`` and ``bias``; lava-dl passes ``vThMant`` and the bias mantissa)."""
    return torch.as_tensor(x, dtype=torch.int64) << (spike_exp + state_exp)


def delta_encode(act: Tensor, act_prev: Tensor, residue: Tensor,
                 vth: IntLike) -> tuple[Tensor, Tensor]:
    """Delta encoder (``cum_error`` off): ``delta = act - act_prev + residue``; send
    ``s = delta`` where ``|delta| >= vth`` (inclusive, as Lava's code does), else 0; keep
    ``residue = delta - s``.  All on the scaled grid; int32 wrap as Lava's arithmetic.

    Returns:
        ``(s, residue)``.
    """
    delta = wrap_int32(act - act_prev + residue)
    s = torch.where(torch.abs(delta) >= vth, delta, torch.zeros_like(delta))
    return s, delta - s


def delta_step(state: SigmaDeltaState, x: Tensor, vth: IntLike,
               spike_exp: int = SD_SPIKE_EXP,
               state_exp: int = SD_STATE_EXP) -> tuple[SigmaDeltaState, Tensor]:
    """One step of Lava's ``Delta`` (fixed_pt), the SDNN *input* encoder, bit exact.

    Args:
        state: previous state (``sigma`` is passed through unchanged).
        x: integer input of this step (units of 1; e.g. pixel values).
        vth: threshold on the scaled grid, ``sigma_delta_scale(vThMant)``.
    Returns:
        ``(new_state, message)``; the graded message is ``s >> state_exp`` (floor), i.e. the
        sent change in units of ``2**-spike_exp`` (``64 * change`` for the defaults).
    """
    act = wrap_int32(x.to(torch.int64) << (spike_exp + state_exp))
    s, residue = delta_encode(act, state.act, state.residue, vth)
    return SigmaDeltaState(state.sigma, act, residue), s >> state_exp


def sigma_delta_step(state: SigmaDeltaState, a_in: Tensor, vth: IntLike, bias: IntLike = 0,
                     relu: bool = True,
                     state_exp: int = SD_STATE_EXP) -> tuple[SigmaDeltaState, Tensor]:
    """One step of Lava's ``SigmaDelta`` (fixed_pt), bit exact.

    ``sigma += a_in``; ``act = relu(sigma + bias)`` (identity when ``relu`` is False);
    delta-encode ``act`` (:func:`delta_encode`); message ``s >> state_exp`` (floor; the
    dropped bits are not kept).

    Args:
        a_in: integer synaptic input of this step (weights x messages; for weights on the
            x64 grid and messages in units of ``2**-spike_exp`` it is on the scaled grid).
        vth, bias: on the scaled grid (:func:`sigma_delta_scale`); bias per neuron or scalar.
    Returns:
        ``(new_state, message)``.
    """
    sigma = wrap_int32(state.sigma + a_in)
    act = wrap_int32(sigma + bias)
    if relu:
        act = torch.clamp(act, min=0)
    s, residue = delta_encode(act, state.act, state.residue, vth)
    return SigmaDeltaState(sigma, act, residue), s >> state_exp


def sigma_step(sigma: Tensor, a_in: Tensor) -> Tensor:
    """One step of Lava's ``Sigma`` readout (fixed_pt): ``sigma + a_in``, which it also sends
    (int32 wrap)."""
    return wrap_int32(sigma + a_in)


def synapse_messages(s: Tensor, num_message_bits: int) -> Tensor:
    """What a Lava synapse (``Dense``, ``Sparse``, ``DelayDense``, ``Conv``) multiplies its
    weights with: the graded messages ``s`` when ``num_message_bits > 0``; else every
    non-zero message counts as a spike of 1 (Lava casts the input to bool).  Same dtype as
    ``s``."""
    if num_message_bits > 0:
        return s
    return (s != 0).to(s.dtype)


def graded_dense_accumulate(s: Tensor, weights: Tensor, num_message_bits: int,
                            weight_exp: int = 0) -> Tensor:
    """Lava ``Dense`` (fixed_pt) input for one step, graded or binary.

    ``num_message_bits > 0``: ``W @ s`` (graded messages multiply); ``0``: every non-zero
    message counts as a spike of 1 (Lava casts the input to bool), so a sigma-delta message
    sent over a binary synapse only says *that* something changed.  Then scaled by
    ``weight_exp`` (:func:`apply_weight_exp`).

    Args:
        s: (..., n_in) integer messages.
        weights: (n_out, n_in) effective integer weights (:func:`dense_weights`).
    Returns:
        (..., n_out) int64.
    """
    x = synapse_messages(s.to(torch.int64), num_message_bits)
    return apply_weight_exp(x @ weights.to(torch.int64).T, weight_exp)


# --------------------------------------------------------------------------- resonate and fire
# (Lava ``lava.proc.rf`` / ``lava.proc.rf_iz`` fixed_pt models with lava-dl's settings)
#: lava-dl's ``state_exp`` and ``decay_bits`` for RF neurons.
RF_STATE_EXP = 6
RF_DECAY_BITS = 12


class RfState(NamedTuple):
    """Complex state of a layer of resonate-and-fire neurons (int64, signed 24 bits)."""

    real: Tensor
    imag: Tensor


def rf_rotate(state: RfState, a_real: Tensor, a_imag: Tensor, sin_decay: IntLike,
              cos_decay: IntLike, state_exp: int = RF_STATE_EXP,
              decay_bits: int = RF_DECAY_BITS) -> RfState:
    """Decayed rotation of the RF state plus input, saturated to signed 24 bits.

    ``re' = sat(c*re >> 12 - s*im >> 12 + (a_re << 6))``, ``im' = sat(s*re >> 12 + c*im >> 12
    + (a_im << 6))`` with every product shifted toward zero (:func:`shift_toward_zero`).
    ``sin_decay`` / ``cos_decay`` are the exchange-format ``sinDecay`` / ``cosDecay``
    (``(1 - alpha) sin|cos(2 pi / period)`` out of 4096; Lava's ints are the same numbers).
    """
    s = torch.as_tensor(sin_decay, dtype=torch.int64)
    c = torch.as_tensor(cos_decay, dtype=torch.int64)
    re, im = state.real, state.imag
    new_re = (shift_toward_zero(c * re, decay_bits) - shift_toward_zero(s * im, decay_bits)
              + (a_real.to(torch.int64) << state_exp))
    new_im = (shift_toward_zero(s * re, decay_bits) + shift_toward_zero(c * im, decay_bits)
              + (a_imag.to(torch.int64) << state_exp))
    return RfState(saturate_state(new_re), saturate_state(new_im))


def rf_step(state: RfState, a_real: Tensor, a_imag: Tensor, sin_decay: IntLike,
            cos_decay: IntLike, vth: IntLike) -> tuple[RfState, Tensor]:
    """One step of Lava's ``RF`` (phase-crossing resonate-and-fire, ``RF_PHASE``), bit exact.

    Spike where ``re' >= vth`` and the imaginary part crosses zero upward (``im' >= 0`` and
    ``im < 0``); no reset.  ``vth`` on the state grid (``vThMant << 6``, :func:`threshold`).
    Returns ``(new_state, spikes)``.
    """
    new = rf_rotate(state, a_real, a_imag, sin_decay, cos_decay)
    spikes = (new.real >= vth) & (new.imag >= 0) & (state.imag < 0)
    return new, spikes


def rf_iz_step(state: RfState, a_real: Tensor, a_imag: Tensor, sin_decay: IntLike,
               cos_decay: IntLike, vth: IntLike) -> tuple[RfState, Tensor]:
    """One step of Lava's ``RF_IZ`` (resonate-and-fire Izhikevich, ``RF_IZHIKEVICH``), bit
    exact: spike where ``im' >= vth``; spiking neurons reset ``re`` to 0 and ``im`` to
    ``vth - 1``.  Returns ``(new_state, spikes)``."""
    new = rf_rotate(state, a_real, a_imag, sin_decay, cos_decay)
    spikes = new.imag >= vth
    vth_t = torch.as_tensor(vth, dtype=torch.int64)
    re = torch.where(spikes, torch.zeros_like(new.real), new.real)
    im = torch.where(spikes, (vth_t - 1).expand_as(new.imag), new.imag)
    return RfState(re, im), spikes


# --------------------------------------------------------------------------- adaptive LIF
# (Lava ``lava.proc.atrlif`` ``ATRLIF`` fixed_pt model: adaptive threshold and refractoriness,
# the exchange format's ``ALIF`` neuron)
class AlifState(NamedTuple):
    """State of a layer of ALIF neurons on the Loihi grid (int64, any shape): current ``u``,
    voltage ``v``, threshold ``theta`` and refractory state ``r`` (all on the x64 grid)."""

    u: Tensor
    v: Tensor
    theta: Tensor
    r: Tensor


def alif_zero_state(shape, vth_mant: IntLike, device=None) -> AlifState:
    """Initial ALIF state: zeros, threshold at its resting value ``vth_mant << 6``."""
    z = torch.zeros(shape, dtype=torch.int64, device=device)
    return AlifState(z, z.clone(), z + threshold(vth_mant).to(z.device), z.clone())


def alif_step(state: AlifState, a_in: Tensor, i_decay: IntLike, v_decay: IntLike,
              th_decay: IntLike, ref_decay: IntLike, vth_mant: IntLike, vth_step: IntLike,
              bias: IntLike = 0) -> tuple[AlifState, Tensor]:
    """One step of the adaptive-threshold/refractory LIF (``ALIF``; Lava ``ATRLIF``
    fixed_pt), bit exact.

    Current and voltage as :func:`cuba_step` (current wraps to 24 bits, voltage saturates;
    decays out of 4096 in the exchange-format convention).  Then
    ``theta = theta0 + shift_toward_zero((theta - theta0) * (4096 - th_decay), 12)`` with
    ``theta0 = vth_mant << 6`` and ``r = decay(r, ref_decay)``.  Spike where
    ``v - r >= theta`` (inclusive); spiking neurons get ``r += 2 * theta`` and
    ``theta += vth_step << 6``.  The voltage is *not* reset (the refractory state ``r``
    holds the neuron back instead).

    Args:
        a_in: integer synaptic input of this step (before the x64 shift).
        bias: on the state grid (:func:`scaled_bias`).
    Returns:
        ``(new_state, spikes)`` with boolean spikes.
    """
    u = cuba_current(state.u, a_in, i_decay)
    v = saturate_state(wrap_int32(decay(state.v, v_decay) + u + bias))
    theta0 = threshold(vth_mant)
    theta = shift_toward_zero((state.theta - theta0) * (DECAY_UNITY - th_decay),
                              DECAY_BITS) + theta0
    r = decay(state.r, ref_decay)
    spikes = (v - r) >= theta
    r = torch.where(spikes, r + 2 * theta, r)
    theta = torch.where(spikes, theta + threshold(vth_step), theta)
    return AlifState(u, v, theta, r), spikes


# --------------------------------------------------------------------------- adaptive RF
# (the exchange format's ADRF_PHASE / ADRF_IZHIKEVICH neurons; no Lava process exists, so this
# is the reference the trainers' fixed-point forward uses; added for trainers.slayer.neuron.adrf)
class AdrfState(NamedTuple):
    """State of a layer of adaptive resonate-and-fire neurons (int64, state grid): the
    resonator ``real``/``imag``, threshold ``theta`` and refractory state ``r``."""

    real: Tensor
    imag: Tensor
    theta: Tensor
    r: Tensor


def adrf_step(state: AdrfState, a_real: Tensor, a_imag: Tensor, sin_decay: IntLike,
              cos_decay: IntLike, th_decay: IntLike, ref_decay: IntLike, vth_mant: IntLike,
              vth_step: IntLike, izhikevich: bool = False) -> tuple[AdrfState, Tensor]:
    """One step of an adaptive RF neuron: :func:`rf_rotate`, then the threshold and
    refractory adaptation of :func:`alif_step`.

    ``theta = theta0 + shift_toward_zero((theta - theta0) * (4096 - th_decay), 12)`` with
    ``theta0 = vth_mant << 6``; ``r = decay(r, ref_decay)``.  The tested value ``x`` is the
    new real part (``ADRF_PHASE``, which also needs the upward zero crossing of the imaginary
    part, as :func:`rf_step`) or the new imaginary part (``ADRF_IZHIKEVICH``).  Spike where
    ``x - r >= theta``; spiking neurons get ``r += 2 * theta`` and ``theta += vth_step << 6``.
    The resonator is not reset (the refractory state holds the neuron back).

    Returns:
        ``(new_state, spikes)`` with boolean spikes.
    """
    new = rf_rotate(RfState(state.real, state.imag), a_real, a_imag, sin_decay, cos_decay)
    theta0 = threshold(vth_mant)
    theta = shift_toward_zero((state.theta - theta0) * (DECAY_UNITY - th_decay),
                              DECAY_BITS) + theta0
    r = decay(state.r, ref_decay)
    if izhikevich:
        spikes = (new.imag - r) >= theta
    else:
        spikes = ((new.real - r) >= theta) & (new.imag >= 0) & (state.imag < 0)
    r = torch.where(spikes, r + 2 * theta, r)
    theta = torch.where(spikes, theta + threshold(vth_step), theta)
    return AdrfState(new.real, new.imag, theta, r), spikes


# --------------------------------------------------------------------------- scalar form
# The CUBA step of one neuron on plain integers, for compiled per-neuron loops: the event-
# driven CPU engine (``netx.engine.event``) compiles these with numba.  They are the same
# equations as :func:`decay`, :func:`cuba_current`, :func:`cuba_voltage` and
# :func:`cuba_step`, written without tensors (only integer operators), and the tests assert
# they agree with the tensor form bit for bit.  They also run as ordinary Python.
#
# Every intermediate value fits in 32 bits and passes through :func:`int32`, which the
# compiled kernel replaces by a native int32 cast: the compiler then keeps the loops in
# 32-bit SIMD lanes (twice the lanes of int64, with native multiplies and arithmetic
# shifts, which AVX2 lacks for int64).
def int32(x: int) -> int:
    """``x`` wrapped into signed 32 bits (two's complement): :func:`wrap_int32` of one
    integer.  In the scalar form below it changes a value only where Lava's int32
    arithmetic wraps (the current update); elsewhere the value already fits."""
    return ((x + 2 ** 31) & (2 ** 32 - 1)) - 2 ** 31


def decay_int(x: int, d: int) -> int:
    """:func:`decay` of one integer: ``x * (4096 - d) / 4096`` rounded toward zero, for
    ``|x| < 2^31`` and ``0 <= d <= 4096`` (the state is 24 bits).

    With ``k = 4096 - d`` it is ``(x >> 12) * k + (((x & 4095) * k + c) >> 12)``, where
    ``c = 4095`` for negative ``x`` turns the floor into rounding toward zero: the product
    ``x * k`` (up to 2^36) is never formed, and every term fits in 32 bits.
    """
    k = int32(DECAY_UNITY - d)
    high = int32(int32(x >> DECAY_BITS) * k)
    low = int32(int32((x & (DECAY_UNITY - 1)) * k) + (DECAY_UNITY - 1 if x < 0 else 0))
    return int32(high + int32(low >> DECAY_BITS))


def cuba_neuron_step(u: int, v: int, a_in: int, i_decay: int, v_decay: int, vth: int,
                     bias: int) -> tuple[int, int, bool]:
    """:func:`cuba_step` of one neuron: returns ``(u, v, spike)`` after the step.

    ``u`` and ``v`` are 24-bit state; ``vth`` and ``bias`` on the state grid (as
    :func:`threshold` and :func:`scaled_bias`), ``|bias| < 2^30``; ``a_in`` any integer
    (only ``a_in mod 2^32`` matters, as in Lava's int32 arithmetic).
    """
    x = int32(decay_int(u, i_decay) + int32(a_in << ACT_SHIFT))  # wrap_int32
    if x > STATE_MAX:  # wrap_state (a single wrap)
        x = int32(x - 2 * STATE_MAX)
    elif x <= -STATE_MAX:
        x = int32(x + 2 * STATE_MAX)
    y = int32(int32(decay_int(v, v_decay) + x) + bias)  # |y| < 2^24 + |bias|: no wrap
    if y > STATE_MAX - 1:  # saturate_state
        y = int32(STATE_MAX - 1)
    elif y < -(STATE_MAX - 1):
        y = int32(-(STATE_MAX - 1))
    if y > vth:
        return x, int32(0), True
    return x, y, False


def shift_int(a: int, weight_exp: int) -> int:
    """:func:`apply_weight_exp` of one integer (a right shift floors)."""
    if weight_exp > 0:
        return a << weight_exp
    if weight_exp < 0:
        return a >> (-weight_exp)
    return a
