"""Neuron dropout that silences the same neurons for a whole sample (all time steps)."""

from __future__ import annotations

import torch

Tensor = torch.Tensor


class Dropout(torch.nn.Module):
    """Drop each neuron of each sample with probability ``p`` for all time steps.

    Input ``(N, C..., T)``; the mask has shape ``(N, C..., 1)``.  Kept values are scaled by
    ``1 / (1 - p)`` during training; identity in eval mode.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1); got {p}")
        self.p = float(p)
        self.inplace = bool(inplace)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.empty(x.shape[:-1] + (1,), dtype=x.dtype, device=x.device)
        keep.bernoulli_(1 - self.p).div_(1 - self.p)
        return x.mul_(keep) if self.inplace else x * keep
