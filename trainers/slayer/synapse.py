"""SLAYER synapses (lava-dl's ``slayer.synapse``) on time-last tensors.

Every synapse applies one weight to all time steps: time is folded into the batch so a whole
sequence costs ONE matmul / convolution.  Inputs are ``(N, C, T)`` (dense) or
``(N, C, H, W, T)`` (conv, pool); outputs have the same layout, returned as a view of a
time-major buffer (``(T, N, ...)`` contiguous) that the neurons consume without a copy.

Weights are float "training units": the ``.net`` file holds ``w * 64`` (see
:func:`trainers.slayer.utils.quantize.quantize_8bit`).  ``pre_hook_fx`` (e.g. the 8-bit
quantizer) is applied to the weight on every forward pass.

Weight layouts (PyTorch order, no trailing time axis): Dense ``(out, in)``, Conv
``(C_out, C_in / groups, kH, kW)``, ConvTranspose ``(C_in, C_out / groups, kH, kW)``, Pool and
Unpool one shared ``(1, 1, kH, kW)`` kernel applied to every channel.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

Tensor = torch.Tensor
Pair = Union[int, Sequence[int]]

__all__ = ["Dense", "Conv", "Pool", "ConvTranspose", "Unpool", "complex"]


def _pair(value: Pair) -> Tuple[int, int]:
    """``k`` -> ``(k, k)``; ``(y, x)`` kept (first = rows/height)."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"expected an int or a (y, x) pair; got {value}")
    return value  # type: ignore[return-value]


def _num(shape: Union[int, Sequence[int]]) -> int:
    return int(np.prod(shape)) if not isinstance(shape, (int, np.integer)) else int(shape)


def _time_major(x: Tensor, dims: int) -> Tuple[Tensor, int, int]:
    """``(N, *F, T)`` -> ``(T * N, *F)`` (a view when ``x`` came from a time-major buffer)."""
    n, t = x.shape[0], x.shape[-1]
    xt = x.movedim(-1, 0)
    return xt.reshape((t * n,) + tuple(xt.shape[2:])), n, t


def _time_last(y: Tensor, n: int, t: int) -> Tensor:
    """``(T * N, *F)`` -> ``(N, *F, T)`` view of the time-major result."""
    return y.reshape((t, n) + tuple(y.shape[1:])).movedim(0, -1)


class _Synapse(torch.nn.Module):
    """Weight, hook and weight norm shared by all synapses."""

    def __init__(self, weight: Tensor, weight_norm: bool, pre_hook_fx: Optional[Callable],
                 trainable: bool = True) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(weight, requires_grad=trainable)
        self.pre_hook_fx = pre_hook_fx
        self.weight_norm_enabled = False
        if weight_norm:
            self.enable_weight_norm()

    def enable_weight_norm(self) -> None:
        """Reparametrize ``weight = g * v / |v|`` (norm over all but the output axis)."""
        if not self.weight_norm_enabled:
            torch.nn.utils.parametrizations.weight_norm(self, "weight", dim=0)
            self.weight_norm_enabled = True

    def disable_weight_norm(self) -> None:
        """Fold the weight norm back into a plain ``weight`` parameter."""
        if self.weight_norm_enabled:
            torch.nn.utils.parametrize.remove_parametrizations(self, "weight")
            self.weight_norm_enabled = False

    @property
    def grad_norm(self) -> float:
        """Size of the weight gradient per element, ``|grad| / numel`` (0 before the first
        backward pass): lava-dl's gradient-flow monitor.  With weight norm on, the gradient
        of the magnitude ``g`` is measured."""
        if self.weight_norm_enabled:
            param = self.parametrizations.weight.original0
        else:
            param = self.weight
        if param.grad is None:
            return 0.0
        return float(torch.norm(param.grad).item() / param.grad.numel())

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:  # type: ignore[override]
        # lava-dl's synapses are Conv3d modules: their checkpoints hold weights with trailing
        # axes of 1 ((out, in, 1, 1, 1) dense, (out, in, kH, kW, 1) conv); drop them.  Its
        # weight norm is stored as weight_g / weight_v (torch maps those names later).
        params = dict(self.named_parameters(recurse=True))
        if self.weight_norm_enabled:
            params["weight_g"] = params["parametrizations.weight.original0"]
            params["weight_v"] = params["parametrizations.weight.original1"]
        for name, param in params.items():
            key = prefix + name
            value = state_dict.get(key)
            if (isinstance(value, Tensor) and value.dim() > param.dim()
                    and all(n == 1 for n in value.shape[param.dim():])
                    and value.shape[:param.dim()] == param.shape):
                state_dict[key] = value.reshape(param.shape)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def effective_weight(self) -> Tensor:
        """The weight used in the forward pass (after ``pre_hook_fx``), training units."""
        w = self.weight
        return self.pre_hook_fx(w) if self.pre_hook_fx is not None else w

    def file_weight(self, scale: int = 64) -> np.ndarray:
        """Weight as written to the file: ``hook(w, descale=True)`` or ``w * scale`` (float32)."""
        with torch.no_grad():
            w = self.weight
            if self.pre_hook_fx is not None:
                try:
                    w = self.pre_hook_fx(w, descale=True)
                except TypeError:  # a user hook without ``descale``
                    w = self.pre_hook_fx(w) * scale
            else:
                w = w * scale
        return w.detach().cpu().numpy().astype(np.float32)


class Dense(_Synapse):
    """Fully connected synapse: ``z[n, :, t] = W x[n, :, t]``.

    Args:
        in_neurons: input size (int or shape; a ``(C, H, W)`` input is flattened).
        out_neurons: output size.
        weight_scale: initial weights are ``U(-1/sqrt(in), 1/sqrt(in)) * weight_scale``.
        weight_norm: weight normalization.
        pre_hook_fx: weight hook applied every forward pass (``None``: float weights).

    Input ``(N, in..., T)``, output ``(N, out, T)``.
    """

    def __init__(self, in_neurons: Union[int, Sequence[int]], out_neurons: int,
                 weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Optional[Callable] = None) -> None:
        self.in_channels = _num(in_neurons)
        self.out_channels = _num(out_neurons)
        bound = 1.0 / math.sqrt(self.in_channels)
        weight = torch.empty(self.out_channels, self.in_channels).uniform_(-bound, bound)
        super().__init__(weight * weight_scale, weight_norm, pre_hook_fx)

    def forward(self, x: Tensor) -> Tensor:
        n, t = x.shape[0], x.shape[-1]
        x = x.reshape(n, -1, t)
        xt, n, t = _time_major(x, 1)
        # F.linear: the weight gradient comes out as (out, in) directly (``x @ w.t()`` would
        # give a transposed one that autograd copies into the parameter layout, 64 MB at 4k)
        return _time_last(F.linear(xt, self.effective_weight()), n, t)


class Conv(_Synapse):
    """2-D convolution applied at every time step. Input ``(N, C_in, H, W, T)``.

    Args follow lava-dl / ``torch.nn.Conv2d`` (``kernel_size``, ``stride``, ``padding``,
    ``dilation`` as ints or ``(y, x)`` pairs; ``groups``) plus ``weight_scale``,
    ``weight_norm`` and ``pre_hook_fx``.
    """

    def __init__(self, in_features: int, out_features: int, kernel_size: Pair, stride: Pair = 1,
                 padding: Pair = 0, dilation: Pair = 1, groups: int = 1,
                 weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Optional[Callable] = None) -> None:
        self.in_channels = int(in_features)
        self.out_channels = int(out_features)
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = int(groups)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"groups={groups} must divide in ({in_features}) and out "
                             f"({out_features}) channels")
        fan_in = self.in_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]
        bound = 1.0 / math.sqrt(fan_in)
        weight = torch.empty(self.out_channels, self.in_channels // self.groups,
                             *self.kernel_size).uniform_(-bound, bound)
        super().__init__(weight * weight_scale, weight_norm, pre_hook_fx)

    def forward(self, x: Tensor) -> Tensor:
        xt, n, t = _time_major(x, 3)
        y = F.conv2d(xt, self.effective_weight(), stride=self.stride, padding=self.padding,
                     dilation=self.dilation, groups=self.groups)
        return _time_last(y, n, t)


class ConvTranspose(_Synapse):
    """2-D transposed convolution at every time step (weight ``(C_in, C_out/groups, kH, kW)``)."""

    def __init__(self, in_features: int, out_features: int, kernel_size: Pair, stride: Pair = 1,
                 padding: Pair = 0, dilation: Pair = 1, groups: int = 1,
                 weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Optional[Callable] = None) -> None:
        self.in_channels = int(in_features)
        self.out_channels = int(out_features)
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = int(groups)
        fan_in = self.out_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]
        bound = 1.0 / math.sqrt(fan_in)
        weight = torch.empty(self.in_channels, self.out_channels // self.groups,
                             *self.kernel_size).uniform_(-bound, bound)
        super().__init__(weight * weight_scale, weight_norm, pre_hook_fx)

    def forward(self, x: Tensor) -> Tensor:
        xt, n, t = _time_major(x, 3)
        y = F.conv_transpose2d(xt, self.effective_weight(), stride=self.stride,
                               padding=self.padding, dilation=self.dilation, groups=self.groups)
        return _time_last(y, n, t)


class Pool(_Synapse):
    """Sum pooling with one fixed weight: ``z = weight * sum(window)`` per channel.

    ``stride`` defaults to ``kernel_size``.  The weight (``weight_scale``, shape
    ``(1, 1, kH, kW)``) is not trained; ``pre_hook_fx`` still applies to it.
    """

    def __init__(self, kernel_size: Pair, stride: Optional[Pair] = None, padding: Pair = 0,
                 dilation: Pair = 1, weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Optional[Callable] = None) -> None:
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride if stride is not None else kernel_size)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        weight = torch.full((1, 1) + self.kernel_size, float(weight_scale))
        super().__init__(weight, weight_norm, pre_hook_fx, trainable=False)

    def forward(self, x: Tensor) -> Tensor:
        xt, n, t = _time_major(x, 3)
        c = xt.shape[1]
        w = self.effective_weight().expand(c, 1, *self.kernel_size)
        y = F.conv2d(xt, w, stride=self.stride, padding=self.padding, dilation=self.dilation,
                     groups=c)
        return _time_last(y, n, t)


class Unpool(Pool):
    """Inverse of :class:`Pool` (same arguments): each input spreads ``weight`` over a
    ``kernel_size`` window."""

    def forward(self, x: Tensor) -> Tensor:
        xt, n, t = _time_major(x, 3)
        c = xt.shape[1]
        w = self.effective_weight().expand(c, 1, *self.kernel_size)
        y = F.conv_transpose2d(xt, w, stride=self.stride, padding=self.padding,
                               dilation=self.dilation, groups=c)
        return _time_last(y, n, t)


# lava-dl's ``slayer.synapse.complex`` lives in its own module
from . import synapse_complex as complex  # noqa: E402,A001
