"""SLAYER spike function: Heaviside forward, exponential surrogate derivative backward.

Forward (binary): ``s = 1 if v > theta else 0``; graded: ``s = v if v > theta else 0``.
The strict ``>`` matches Lava's fixed-point LIF (on the integer grid it is lava-dl's
``v >= theta + eps``).

Backward (surrogate, the "probability density of a spike change" of SLAYER)::

    rho(v) = scale_rho * exp(-|v - theta| / tau_rho)
    binary:  ds/dv = rho(v)
    graded:  ds/dv = H(v - theta) + v * rho(v)

The neurons build ``tau_rho = 100 * tau_grad * theta`` and ``scale_rho = 0.1 * scale_grad``
from their ``tau_grad`` / ``scale_grad`` arguments (lava-dl's multipliers,
:data:`trainers.slayer.neuron.base.TAU_RHO_MULT` / ``SCALE_RHO_MULT``), so the surrogate width
follows the threshold.
The neuron hot path fuses this derivative into its recurrence (see
:mod:`trainers.slayer.neuron.dynamics`); this module exposes the same function stand-alone.
"""

from __future__ import annotations

from typing import Union

import torch

Tensor = torch.Tensor

__all__ = ["Spike", "complex", "spike", "surrogate"]


def surrogate(voltage: Tensor, threshold: Union[float, Tensor], tau_rho: Union[float, Tensor],
              scale_rho: Union[float, Tensor]) -> Tensor:
    """``rho(v) = scale_rho * exp(-|v - threshold| / tau_rho)`` (same shape as ``voltage``)."""
    return scale_rho * torch.exp(-torch.abs(voltage - threshold) / tau_rho)


class Spike(torch.autograd.Function):
    """``Spike.apply(voltage, threshold, tau_rho, scale_rho, graded_spike=False)``.

    ``voltage`` is any tensor (NCT, NCHWT, ...); ``threshold``, ``tau_rho`` and ``scale_rho``
    are floats or tensors broadcastable to it.  Returns spikes of ``voltage``'s dtype.
    """

    @staticmethod
    def forward(ctx, voltage: Tensor, threshold, tau_rho, scale_rho,  # type: ignore[override]
                graded_spike: bool = False) -> Tensor:
        fired = voltage > threshold
        ctx.save_for_backward(voltage)
        ctx.params = (threshold, tau_rho, scale_rho, bool(graded_spike))
        return voltage * fired if graded_spike else fired.to(voltage.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        (voltage,) = ctx.saved_tensors
        threshold, tau_rho, scale_rho, graded = ctx.params
        rho = surrogate(voltage, threshold, tau_rho, scale_rho)
        if graded:
            rho = (voltage > threshold).to(voltage.dtype) + voltage * rho
        return grad * rho, None, None, None, None


def spike(voltage: Tensor, threshold: Union[float, Tensor], tau_rho: Union[float, Tensor] = 1.0,
          scale_rho: Union[float, Tensor] = 1.0, graded_spike: bool = False) -> Tensor:
    """Functional form of :class:`Spike`."""
    return Spike.apply(voltage, threshold, tau_rho, scale_rho, graded_spike)


# lava-dl's ``slayer.spike.complex`` lives in its own module
from . import spike_complex as complex  # noqa: E402,A001
