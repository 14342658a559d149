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

from typing import NamedTuple, Union

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
