"""Complex (phase) spike function (lava-dl's ``slayer.spike.complex``), exposed as
``slayer.spike.complex``.

A resonate-and-fire neuron with complex state ``real + i imag`` fires when its phase passes
zero (the imaginary part crosses zero upward) with a real part at or above the threshold::

    s[t] = H(real[t] - threshold) * [imag[t] >= 0 and imag[t-1] < 0]      (imag[-1] = 0)

``H`` is inclusive (as Lava's ``RF``) and has the SLAYER surrogate derivative
``scale_rho * exp(-|real - threshold| / tau_rho)``; the phase condition is a constant mask.
Graded spikes output ``real[t] * s[t]``.  The same mask is used step by step by
:mod:`trainers.slayer.neuron.resonator`.  Tensors are time last ``(N, C..., T)``.
"""

from __future__ import annotations

from typing import Union

import torch

from .neuron.stepwise import heaviside

Tensor = torch.Tensor

__all__ = ["phase_cross", "spike"]


def phase_cross(imag: Tensor, imag_prev: Tensor) -> Tensor:
    """Float 0/1 mask (no gradient): the imaginary part crossed zero upward
    (``imag >= 0 > imag_prev``)."""
    return ((imag.detach() >= 0) & (imag_prev.detach() < 0)).to(imag.dtype)


def spike(real: Tensor, imag: Tensor, threshold: Union[float, Tensor],
          tau_rho: float = 1.0, scale_rho: float = 1.0, graded_spike: bool = False) -> Tensor:
    """Phase spikes of a complex state sequence ``(N, C..., T)`` (see the module docstring)."""
    prev = torch.cat([torch.zeros_like(imag[..., :1]), imag[..., :-1]], dim=-1)
    s = heaviside(real - threshold, True, tau_rho, scale_rho) * phase_cross(imag, prev)
    return real * s if graded_spike else s
