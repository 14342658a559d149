"""Spike-train losses with lava-dl SLAYER's names, arguments and semantics.

Layout: ``input`` is the network's output spike tensor, NCT ``(batch, classes, time)`` or
NCHWT (the non-batch, non-time axes are flattened into the class axis).  ``label`` holds
class indices: ``(N,)`` (one label per sample) or, with a moving window, ``(N, T)`` (one per
step).  Rates are spikes per time step.  ``reduction`` is ``'sum'`` (default, as in lava-dl)
or ``'mean'`` and applies to the element-wise terms listed in each class.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from .classifier import CONFIDENCE_MODES, MovingWindow, Rate, _flat_classes
from .utils.filter import FIR

Tensor = torch.Tensor

_REDUCTIONS = ("sum", "mean")


def _check_reduction(reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}; got {reduction!r}")
    return reduction


def _per_step_label(label: Tensor, num_steps: int) -> Tensor:
    """``(N,)`` labels broadcast to ``(N, T)``; ``(N, T)`` labels are kept."""
    label = label.long()
    if label.dim() == 1:
        return label.reshape(-1, 1).expand(-1, num_steps)
    if label.dim() == 2 and label.shape[1] == num_steps:
        return label
    raise ValueError(f"label must be (N,) or (N, T={num_steps}); got shape {tuple(label.shape)}")


class SpikeRate(torch.nn.Module):
    """Mean-square error between output spike rates and target rates.

    Target rate of class ``c`` for a sample with label ``l``:
    ``r_hat_c = true_rate if c == l else false_rate``.

    * without a window: ``r_c = (1/T) sum_t s_c[t]`` and the loss is
      ``reduce_{n,c} (r_{n,c} - r_hat_{n,c})^2``;
    * with ``moving_window = W``: ``r_c[t]`` is the causal ``W``-step moving average
      (:class:`~trainers.slayer.classifier.MovingWindow`), the label may change per step,
      and the loss is ``reduce_{n,c,t} (r_{n,c}[t] - r_hat_{n,c}[t])^2``.

    Args:
        true_rate: target rate of the labelled class, in ``[0, 1]`` spikes/step.
        false_rate: target rate of every other class, in ``[0, 1]`` spikes/step.
        moving_window: window width in steps, or ``None`` for the whole-window rate.
        reduction: ``'sum'`` or ``'mean'`` over the squared errors.
    """

    def __init__(self, true_rate: float, false_rate: float, moving_window: Optional[int] = None,
                 reduction: str = "sum") -> None:
        super().__init__()
        for name, value in (("true_rate", true_rate), ("false_rate", false_rate)):
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be in [0, 1] spikes per step; got {value}")
        self.true_rate = float(true_rate)
        self.false_rate = float(false_rate)
        self.window = None if moving_window is None else MovingWindow(moving_window)
        self.reduction = _check_reduction(reduction)

    def forward(self, input: Tensor, label: Tensor) -> Tensor:
        """Scalar loss for spikes ``input`` (NCT/NCHWT) and class indices ``label``."""
        num_classes = _flat_classes(input).shape[1]
        if self.window is None:
            rate = Rate.rate(input)  # (N, C)
            one_hot = F.one_hot(label.long().reshape(-1), num_classes).to(rate.dtype)
        else:
            rate = self.window.rate(input)  # (N, C, T)
            step_label = _per_step_label(label, rate.shape[-1])
            one_hot = F.one_hot(step_label, num_classes).transpose(1, 2).to(rate.dtype)
        target = self.true_rate * one_hot + self.false_rate * (1 - one_hot)
        return F.mse_loss(rate.flatten(), target.flatten(), reduction=self.reduction)


class SpikeTime(torch.nn.Module):
    """Mean-square error between low-pass filtered output and desired spike trains.

    ``L = reduce_{n,c,t} ( (h * s)_{n,c}[t] - (h * s_hat)_{n,c}[t] )^2`` where ``*`` is the
    causal convolution of :func:`~trainers.slayer.utils.filter.conv` and ``h`` the
    ``filter_order``-th order exponential kernel of :func:`~trainers.slayer.utils.filter.exp_kernel`
    (``h[k] = exp(-k / time_constant)`` for order 1), truncated to ``length`` taps.

    Args:
        time_constant: filter time constant, in time steps.
        length: number of filter taps.
        filter_order: order of the low-pass filter (cascaded first-order stages).
        reduction: ``'sum'`` or ``'mean'`` over the squared errors.

    ``forward(input, desired)``: both spike tensors of the same shape ``(..., T)``.
    """

    def __init__(self, time_constant: float = 5, length: int = 100, filter_order: int = 1,
                 reduction: str = "sum") -> None:
        super().__init__()
        self.filter = FIR(time_constant=time_constant, length=length, filter_order=filter_order)
        self.reduction = _check_reduction(reduction)

    def forward(self, input: Tensor, desired: Tensor) -> Tensor:
        """Scalar loss between spike trains ``input`` and ``desired`` (same shape, time last)."""
        if input.shape != desired.shape:
            raise ValueError(f"SpikeTime: input shape {tuple(input.shape)} != desired shape "
                             f"{tuple(desired.shape)}")
        return F.mse_loss(self.filter(input).flatten(), self.filter(desired).flatten(),
                          reduction=self.reduction)


class SpikeMax(torch.nn.Module):
    """Negative log-likelihood of the labelled class under a spike-rate confidence.

    With ``p`` the confidence of :class:`~trainers.slayer.classifier.Rate` (or, with a
    moving window, of :class:`~trainers.slayer.classifier.MovingWindow` at every step):

    * ``mode='probability'``: ``p_c = r_c / (sum_j r_j + eps)``, term ``-log(p_label + eps)``;
    * ``mode='softmax'``:     ``p = softmax(r)``, term ``-log(p_label + eps)``;
    * ``mode='logsoftmax'``:  term ``-log_softmax(r)_label`` (the usual cross entropy on rates).

    The loss reduces the terms over samples (and steps with a window).  ``eps = 1e-6``
    keeps a silent labelled neuron's loss finite (``-log(1e-6) ~ 13.8``).

    Args:
        moving_window: window width in steps, or ``None`` for the whole-window rate.
        mode: ``'probability'``, ``'softmax'`` or ``'logsoftmax'``.
        reduction: ``'sum'`` or ``'mean'``.
    """

    def __init__(self, moving_window: Optional[int] = None, mode: str = "probability",
                 reduction: str = "sum", eps: float = 1e-6) -> None:
        super().__init__()
        if mode not in CONFIDENCE_MODES:
            raise ValueError(f"unknown confidence mode {mode!r}; expected one of {CONFIDENCE_MODES}")
        self.window = None if moving_window is None else MovingWindow(moving_window, mode, eps)
        self.mode = mode
        self.eps = eps
        self.reduction = _check_reduction(reduction)

    def forward(self, input: Tensor, label: Tensor) -> Tensor:
        """Scalar loss for spikes ``input`` (NCT/NCHWT) and class indices ``label``."""
        if self.window is None:
            confidence = Rate.confidence(input, self.mode, self.eps)  # (N, C)
            target = label.long().reshape(-1)
        else:
            confidence = self.window.confidence(input, self.mode)  # (N, C, T)
            target = _per_step_label(label, confidence.shape[-1])
        log_p = confidence if self.mode == "logsoftmax" else torch.log(confidence + self.eps)
        return F.nll_loss(log_p, target, reduction=self.reduction)
