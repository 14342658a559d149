"""Axonal delays (lava-dl's ``slayer.axon``) on time-last tensors ``(N, C..., T)``.

* :func:`delay_shift` shifts by whole steps (a fixed delay; differentiable in the input);
* :class:`Delay` is a learnable per-neuron delay (fractional in training, linear
  interpolation between the two neighbouring whole-step shifts; exported as its floor).
"""

from __future__ import annotations

from typing import Optional, Union

import torch

from .utils.time import shift as _shift

Tensor = torch.Tensor

__all__ = ["delay_shift", "Delay", "Delta", "delay", "delta"]


class _TimeShift(torch.autograd.Function):
    """Shift along the last axis by a whole number of steps, keeping the memory layout.

    ``torch.empty_like`` keeps the strides, so a time-last view of a time-major buffer (what
    synapses and neurons produce) stays time-major and each shifted slab is one contiguous
    copy; the backward is the opposite shift.
    """

    @staticmethod
    def forward(ctx, x: Tensor, steps: int) -> Tensor:  # type: ignore[override]
        ctx.steps = steps
        return _shift_steps(x, steps)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        return _shift_steps(grad, -ctx.steps), None


def _shift_steps(x: Tensor, s: int) -> Tensor:
    out = torch.empty_like(x)
    num = x.shape[-1]
    if abs(s) >= num:
        return out.zero_()
    if s >= 0:
        out[..., s:].copy_(x[..., :num - s])
        out[..., :s].zero_()
    else:
        out[..., :num + s].copy_(x[..., -s:])
        out[..., num + s:].zero_()
    return out


def delay_shift(input: Tensor, delay: Union[int, float, Tensor], sampling_time: float = 1
                ) -> Tensor:
    """Delay ``input`` along its last axis by ``delay / sampling_time`` whole steps.

    ``out[..., t] = input[..., t - d]`` (zero before the start; events pushed past the end are
    dropped).  ``delay`` is one value or a tensor broadcastable to ``input.shape[:-1]``
    (e.g. ``(C,)`` per neuron); values are rounded to whole steps.  Negative delays advance.
    Differentiable in ``input``.
    """
    if torch.is_tensor(delay) and delay.numel() > 1:
        return _shift(input, delay / sampling_time)
    steps = int(round(float(delay) / sampling_time))
    if steps == 0:
        return input
    return _TimeShift.apply(input, steps)


def delay(input: Tensor, delay_val: Tensor, sampling_time: float = 1) -> Tensor:
    """Fractional delay by linear interpolation (differentiable in ``input`` and ``delay_val``).

    With ``d = delay_val / sampling_time`` (per neuron, broadcastable to ``input.shape[:-1]``),
    ``k = floor(d)``, ``f = d - k``: ``out = (1 - f) * shift(input, k) + f * shift(input, k + 1)``.
    """
    d = delay_val / sampling_time
    k = torch.floor(d.detach())
    f = (d - k).unsqueeze(-1)
    lo = _shift(input, k)
    hi = _shift(input, k + 1)
    return lo + f * (hi - lo)


class Delay(torch.nn.Module):
    """Learnable axonal delay, one per neuron channel (initialised to 0).

    Args:
        sampling_time: step length (delay units per step).
        max_delay: clamp bound applied by :meth:`clamp` (``None``: only ``>= 0``).
        grad_scale: multiplies the gradient of the delay.

    Input ``(N, C..., T)``; the delay parameter gets shape ``(C,)`` on the first call.
    """

    def __init__(self, sampling_time: float = 1, max_delay: Optional[float] = None,
                 grad_scale: float = 1) -> None:
        super().__init__()
        self.sampling_time = float(sampling_time)
        self.max_delay = max_delay
        self.grad_scale = float(grad_scale)
        self.delay = torch.nn.Parameter(torch.zeros(1))
        self.shape: Optional[torch.Size] = None

    def clamp(self) -> None:
        """Keep delays in ``[0, max_delay]``."""
        with torch.no_grad():
            self.delay.clamp_(0, self.max_delay if self.max_delay is not None else None)

    def forward(self, input: Tensor) -> Tensor:
        if self.shape is None:
            self.shape = input.shape[1:-1]
            if self.delay.numel() == 1 and self.shape[0] != 1:
                self.delay.data = self.delay.data * torch.ones(self.shape[0],
                                                               device=self.delay.device)
        d = self.delay
        if self.grad_scale != 1:
            d = d * self.grad_scale + (d * (1 - self.grad_scale)).detach()
        d = d.reshape((-1,) + (1,) * (input.dim() - 3))
        return delay(input, d, self.sampling_time)


# lava-dl's ``slayer.axon.delta`` (the sigma-delta encoder) lives in its own module
from . import axon_delta as delta  # noqa: E402
Delta = delta.Delta
