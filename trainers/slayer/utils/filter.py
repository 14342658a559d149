"""Causal filters along the time axis (the last axis) of spike tensors.

Layout: inputs are ``(..., T)`` -- typically NCT ``(batch, neurons, time)`` or NCHWT -- and
every filter acts on each ``(..., t)`` trace independently, returning the same shape.
Time is counted in steps of ``sampling_time`` (ms by convention; only the product
``step * sampling_time`` matters, so any unit works if time constants use the same one).

Convention (one for the whole module): filtering with a kernel ``h`` of ``K`` taps is the
causal convolution

    y[..., t] = sampling_time * sum_{k=0}^{K-1} h[k] * x[..., t - k],   x[..., t < 0] = 0,

i.e. a Riemann sum of the continuous convolution ``integral h(s) x(t - s) ds`` with the spike
train ``x`` holding per-step amplitudes.  :func:`corr` is its adjoint (anti-causal) partner.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

Tensor = torch.Tensor
KernelLike = Union[Tensor, Sequence[float]]

__all__ = ["conv", "corr", "exp_kernel", "psp_kernel", "exponential", "psp", "FIR"]


def _kernel_tensor(kernel: KernelLike, like: Tensor) -> Tensor:
    k = torch.as_tensor(kernel, dtype=like.dtype if like.is_floating_point() else torch.float32,
                        device=like.device)
    if k.dim() != 1 or k.numel() == 0:
        raise ValueError(f"filter kernel must be a non-empty 1D tensor of taps; got shape {tuple(k.shape)}")
    return k


def _as_float(x: Tensor) -> Tensor:
    return x if x.is_floating_point() else x.float()


def conv(input: Tensor, kernel: KernelLike, sampling_time: float = 1) -> Tensor:
    """Causal convolution along time: ``y[t] = Ts * sum_k kernel[k] * input[t - k]``.

    Args:
        input: ``(..., T)`` tensor (NCT, NCHWT, ...); non-float input is cast to float32.
        kernel: ``(K,)`` filter taps, ``kernel[0]`` applied to the current step.
        sampling_time: step length ``Ts`` multiplying the sum.

    Returns:
        ``(..., T)`` filtered tensor (differentiable in ``input`` and ``kernel``).
    """
    x = _as_float(input)
    k = _kernel_tensor(kernel, x)
    shape = x.shape
    flat = x.reshape(-1, 1, shape[-1])
    flat = F.pad(flat, (k.numel() - 1, 0))
    y = F.conv1d(flat, torch.flip(k, dims=[0]).reshape(1, 1, -1))
    return (y * sampling_time).reshape(shape)


def corr(input: Tensor, kernel: KernelLike, sampling_time: float = 1) -> Tensor:
    """Anti-causal correlation along time: ``y[t] = Ts * sum_k kernel[k] * input[t + k]``.

    The adjoint of :func:`conv` (``<conv(x), g> == <x, corr(g)>``); same layouts and units.
    """
    x = _as_float(input)
    k = _kernel_tensor(kernel, x)
    shape = x.shape
    flat = F.pad(x.reshape(-1, 1, shape[-1]), (0, k.numel() - 1))
    y = F.conv1d(flat, k.reshape(1, 1, -1))
    return (y * sampling_time).reshape(shape)


def exp_kernel(time_constant: float, length: int, filter_order: int = 1,
               sampling_time: float = 1) -> Tensor:
    """Taps of an ``filter_order``-th order exponential low-pass filter, shape ``(length,)``.

    ``h[k] = (k Ts / tau)^(n-1) / (n-1)! * exp(-k Ts / tau)`` with ``n = filter_order``,
    ``tau = time_constant`` (same unit as ``Ts = sampling_time``).  Order 1 is the plain
    decaying exponential ``exp(-k Ts / tau)`` (``h[0] = 1``); order ``n`` is ``n`` cascaded
    first-order low-pass stages (the gamma kernel), truncated to ``length`` taps.
    """
    if time_constant <= 0:
        raise ValueError(f"time_constant must be > 0; got {time_constant}")
    if int(length) < 1 or int(filter_order) < 1:
        raise ValueError(f"length and filter_order must be >= 1; got {length}, {filter_order}")
    s = torch.arange(int(length), dtype=torch.float64) * sampling_time / time_constant
    n = int(filter_order)
    h = s ** (n - 1) / math.factorial(n - 1) * torch.exp(-s)
    return h.float()


def psp_kernel(time_constant: float, length: Optional[int] = None,
               sampling_time: float = 1) -> Tensor:
    """Alpha (SRM post-synaptic potential) kernel ``h[k] = (k Ts / tau) * exp(1 - k Ts / tau)``.

    Peaks at exactly 1 when ``k Ts = tau``; ``h[0] = 0`` (a spike affects the next step on).
    ``length`` defaults to the number of taps until the kernel falls below 1e-2 of its peak.
    """
    if time_constant <= 0:
        raise ValueError(f"time_constant must be > 0; got {time_constant}")
    if length is None:
        s_max = 1.0
        while s_max * math.exp(1 - s_max) >= 1e-2:
            s_max += 1.0
        length = int(math.ceil(s_max * time_constant / sampling_time)) + 1
    s = torch.arange(int(length), dtype=torch.float64) * sampling_time / time_constant
    return (s * torch.exp(1 - s)).float()


def exponential(input: Tensor, time_constant: float, sampling_time: float = 1) -> Tensor:
    """First-order exponential filter with infinite memory (recursive form).

    ``y[t] = exp(-Ts / tau) * y[t - 1] + Ts * input[t]``, ``y[-1] = 0``: identical to
    :func:`conv` with :func:`exp_kernel` (order 1) of length ``T``.  Layout ``(..., T)``.
    """
    if time_constant <= 0:
        raise ValueError(f"time_constant must be > 0; got {time_constant}")
    x = _as_float(input)
    alpha = math.exp(-sampling_time / time_constant)
    out = []
    y = torch.zeros_like(x[..., 0])
    for t in range(x.shape[-1]):
        y = alpha * y + sampling_time * x[..., t]
        out.append(y)
    return torch.stack(out, dim=-1)


def psp(input: Tensor, time_constant: float, length: Optional[int] = None,
        sampling_time: float = 1) -> Tensor:
    """Filter a spike train with the alpha PSP kernel :func:`psp_kernel` (causal, ``(..., T)``)."""
    return conv(input, psp_kernel(time_constant, length, sampling_time), sampling_time)


class FIR(torch.nn.Module):
    """Fixed (non-learnable) finite-impulse-response filter along time.

    Args:
        fir_response: explicit taps ``(K,)``; when given the other shape arguments are ignored.
        time_constant: ``tau`` of the exponential response (same unit as ``sampling_time``).
        length: number of taps ``K``.
        filter_order: order of the exponential low-pass response (see :func:`exp_kernel`).
        sampling_time: step length ``Ts``.

    ``forward(x)`` with ``x`` of shape ``(..., T)`` returns ``conv(x, taps, Ts)`` of the same shape.
    """

    def __init__(self, fir_response: Optional[KernelLike] = None, time_constant: float = 1,
                 length: int = 20, filter_order: int = 1, sampling_time: float = 1) -> None:
        super().__init__()
        if fir_response is None:
            taps = exp_kernel(time_constant, length, filter_order, sampling_time)
        else:
            taps = torch.as_tensor(fir_response, dtype=torch.float32).flatten()
        self.register_buffer("fir_response", taps)
        self.sampling_time = sampling_time

    def forward(self, input: Tensor) -> Tensor:
        """Filtered ``(..., T)`` tensor."""
        return conv(input, self.fir_response, self.sampling_time)
