"""Weight / parameter quantization with straight-through gradients (lava-dl's ``slayer.utils``).

``quantize(x, step, mode)`` puts a tensor on a grid of ``step`` in the forward pass and lets the
gradient through unchanged (straight-through estimator).  ``quantize_8bit`` is the default
``pre_hook_fx`` of every weighted SLAYER block: it maps float weights to what an 8-bit Loihi
synapse can hold.

Units: a float weight ``w`` (as used in training) corresponds to the integer weight
``w * scale`` written to the ``.net`` file (``scale`` = 64 by default, the neuron's ``w_scale``).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Union

import torch

Tensor = torch.Tensor

__all__ = ["MODE", "quantize", "quantize_8bit"]


class MODE(IntEnum):
    """Rounding mode of :func:`quantize`."""

    ROUND = 0  # nearest grid point (ties to even, as ``torch.round``)
    FLOOR = 1  # grid point below


class _Quantize(torch.autograd.Function):
    """``step * round(x / step)`` (or floor) forward; identity backward."""

    @staticmethod
    def forward(ctx, x: Tensor, step: float, mode: int) -> Tensor:  # type: ignore[override]
        scaled = x / step
        scaled = torch.floor(scaled) if mode == MODE.FLOOR else torch.round(scaled)
        return scaled * step

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        return grad, None, None


def quantize(input: Tensor, step: Union[int, float] = 1, mode: MODE = MODE.ROUND) -> Tensor:
    """Quantize ``input`` to multiples of ``step`` with a straight-through gradient.

    Args:
        input: any float tensor.
        step: grid spacing (same unit as ``input``).
        mode: :attr:`MODE.ROUND` (nearest) or :attr:`MODE.FLOOR`.

    Returns:
        Tensor of ``input``'s shape; ``d out / d input = 1`` everywhere.
    """
    return _Quantize.apply(input, float(step), int(mode))


class _Quantize8bit(torch.autograd.Function):
    """``2/scale * clamp(round(x * scale/2), -128, 127)``; gradient 1 where not clamped.

    One fused pass-through function (4 in-place passes forward, a few backward) because the
    hook runs on every weight at every forward pass.
    """

    @staticmethod
    def forward(ctx, x: Tensor, scale: float) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.half_scale = scale / 2.0
        return torch.mul(x, scale / 2.0).round_().clamp_(-128, 127).mul_(2.0 / scale)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        (x,) = ctx.saved_tensors
        # the rounded value r is in [-128, 127]  <=>  |r + 0.5| <= 127.5
        r = torch.mul(x, ctx.half_scale).round_().add_(0.5).abs_()
        inside = torch.le(r, 127.5, out=r)  # float 0/1 in place
        return inside.mul_(grad), None


def quantize_8bit(x: Tensor, scale: int = 1 << 6, descale: bool = False) -> Tensor:
    """The default 8-bit weight hook of SLAYER blocks.

    Rounds to multiples of ``2 / scale`` (straight-through) and clamps to
    ``[-256 / scale, 254 / scale]``; the gradient is 1 where the rounded value lies in that
    range (bounds included) and 0 where it was clamped.  With ``scale`` = 64 the file weights
    ``w * 64`` are even integers in ``[-256, 254]``.

    Args:
        x: float weights (training units).
        scale: weight scale (the neuron's ``scale`` / ``w_scale``), a power of two.
        descale: return the file (integer-valued) weights ``w_q * scale`` instead of ``w_q``.
    """
    q = _Quantize8bit.apply(x, float(scale))
    return q * scale if descale else q
