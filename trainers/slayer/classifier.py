"""Spike-based classifiers: turn output spike trains into class predictions.

Layout: every function takes a spike tensor ``spike`` of shape ``(N, C, T)`` (batch,
neurons/classes, time steps) or ``(N, C, H, W, T)``; all non-batch, non-time axes are
flattened into one class axis (class index = row-major position).  Spikes are counted per
time step, so the spike *rate* of a neuron is ``spikes / step`` (a number in ``[0, 1]`` for
binary spikes), not spikes per second.

Two readouts, with lava-dl SLAYER's names and arguments:

* :class:`Rate` -- one decision per sample from the rate over the whole window.
* :class:`MovingWindow` -- one decision per time step from the rate over the last
  ``time_window`` steps (a causal moving average).

Confidence modes (``mode``), with ``r`` the rates of one sample (length ``C``):

* ``'probability'``: ``p_i = r_i / (sum_j r_j + eps)``  (rates normalised to sum to ~1),
* ``'softmax'``:     ``p_i = exp(r_i) / sum_j exp(r_j)``,
* ``'logsoftmax'``:  ``log(softmax(r))_i``.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

Tensor = torch.Tensor

CONFIDENCE_MODES = ("probability", "softmax", "logsoftmax")


def _flat_classes(spike: Tensor) -> Tensor:
    """``(N, ..., T)`` -> float ``(N, C, T)`` with all middle axes flattened into ``C``."""
    if spike.dim() < 2:
        raise ValueError(f"spike tensor must be (N, C, T) or (N, C, ..., T); got shape {tuple(spike.shape)}")
    if not spike.is_floating_point():
        spike = spike.float()
    if spike.dim() == 2:  # (N, T): a single output neuron
        return spike.unsqueeze(1)
    return spike.reshape(spike.shape[0], -1, spike.shape[-1])


def _confidence_from_rate(rate: Tensor, mode: str, eps: float) -> Tensor:
    """Confidence along axis 1 of a rate tensor ``(N, C)`` or ``(N, C, T)``."""
    if mode == "probability":
        return rate / (torch.sum(rate, dim=1, keepdim=True) + eps)
    if mode == "softmax":
        return F.softmax(rate, dim=1)
    if mode == "logsoftmax":
        return F.log_softmax(rate, dim=1)
    raise ValueError(f"unknown confidence mode {mode!r}; expected one of {CONFIDENCE_MODES}")


def moving_window_rate(spike: Tensor, time_window: int) -> Tensor:
    """Causal moving-average spike rate along the last (time) axis.

    ``rate[..., t] = (1 / W) * sum_{k=0}^{W-1} spike[..., t - k]`` with ``W = time_window``
    and ``spike[..., t] = 0`` for ``t < 0`` (so the first ``W - 1`` steps are under-counted,
    as a causal hardware counter would be).  Output has the input's shape; units spikes/step.
    """
    if int(time_window) < 1:
        raise ValueError(f"time_window must be a positive number of steps; got {time_window}")
    w = int(time_window)
    csum = torch.cumsum(spike, dim=-1)
    shifted = F.pad(csum, (w, 0))[..., : csum.shape[-1]]
    return (csum - shifted) / w


class Rate(torch.nn.Module):
    """Rate classifier: the class is the output neuron with the highest spike rate.

    ``rate(spike)[n, c] = (1/T) * sum_t spike[n, c, t]`` (spikes per step);
    ``predict(spike)[n] = argmax_c rate[n, c]`` (ties go to the lowest index);
    calling the module is ``predict``.
    """

    def __init__(self) -> None:
        super().__init__()

    def forward(self, spike: Tensor) -> Tensor:
        """Predicted class per sample, shape ``(N,)`` int64."""
        return self.predict(spike)

    @staticmethod
    def rate(spike: Tensor) -> Tensor:
        """Mean spike rate over time, shape ``(N, C)`` (spikes per step)."""
        return torch.mean(_flat_classes(spike), dim=-1)

    @staticmethod
    def confidence(spike: Tensor, mode: str = "probability", eps: float = 1e-6) -> Tensor:
        """Per-class confidence ``(N, C)`` from the rates; see the module docstring for modes."""
        return _confidence_from_rate(Rate.rate(spike), mode, eps)

    @staticmethod
    def predict(spike: Tensor) -> Tensor:
        """Class with the highest rate, shape ``(N,)`` int64."""
        return torch.argmax(Rate.rate(spike), dim=1)


class MovingWindow(torch.nn.Module):
    """Moving-window classifier: a decision at every time step.

    Args:
        time_window: width ``W`` of the causal moving average, in time steps.
        mode: default confidence mode (``'probability'``, ``'softmax'`` or ``'logsoftmax'``).
        eps: small number keeping the ``'probability'`` normalisation finite.

    ``rate(spike)`` is :func:`moving_window_rate` on the ``(N, C, T)`` view;
    ``predict(spike)[n, t] = argmax_c rate[n, c, t]``; calling the module returns
    ``confidence(spike)`` of shape ``(N, C, T)``.
    """

    def __init__(self, time_window: int, mode: str = "probability", eps: float = 1e-6) -> None:
        super().__init__()
        if int(time_window) < 1:
            raise ValueError(f"time_window must be a positive number of steps; got {time_window}")
        if mode not in CONFIDENCE_MODES:
            raise ValueError(f"unknown confidence mode {mode!r}; expected one of {CONFIDENCE_MODES}")
        self.time_window = int(time_window)
        self.mode = mode
        self.eps = eps

    def forward(self, spike: Tensor) -> Tensor:
        """Per-step confidence, shape ``(N, C, T)``."""
        return self.confidence(spike)

    def rate(self, spike: Tensor) -> Tensor:
        """Causal moving-average rate, shape ``(N, C, T)`` (spikes per step)."""
        return moving_window_rate(_flat_classes(spike), self.time_window)

    def confidence(self, spike: Tensor, mode: Optional[str] = None) -> Tensor:
        """Per-step confidence ``(N, C, T)`` in ``mode`` (default: the module's mode)."""
        return _confidence_from_rate(self.rate(spike), self.mode if mode is None else mode, self.eps)

    def predict(self, spike: Tensor) -> Tensor:
        """Class with the highest windowed rate at every step, shape ``(N, T)`` int64."""
        return torch.argmax(self.rate(spike), dim=1)
