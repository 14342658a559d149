"""Normalization of a neuron's synaptic input (pass the class as ``norm=`` to a neuron)."""

from __future__ import annotations

from typing import Optional

import torch

Tensor = torch.Tensor


class MeanOnlyBatchNorm(torch.nn.Module):
    """Subtract the per-channel mean of the input and add a learnable per-channel bias.

    Input ``(N, C, ..., T)``.  Training: the mean is taken over batch, space and time and
    folded into ``running_mean`` (``momentum``); eval: ``running_mean`` is used.  Output
    ``x - mean + bias``.  The channel count is taken from the first input when
    ``num_features`` is ``None``.

    Export: the constant ``bias - running_mean`` (training units) times 64 is the layer's
    ``bias`` key.  It is added to the synaptic input (the current); Lava adds a bias to the
    voltage, which is the same thing when ``current_decay`` is 1 (``iDecay`` 4096).
    """

    def __init__(self, num_features: Optional[int] = None, momentum: float = 0.1) -> None:
        super().__init__()
        self.momentum = float(momentum)
        self.num_features = num_features
        self.bias = torch.nn.Parameter(torch.zeros(num_features or 1))
        self.register_buffer("running_mean", torch.zeros(num_features or 1))

    def _init(self, channels: int) -> None:
        if self.num_features is None:
            self.num_features = channels
            if self.bias.numel() != channels:
                self.bias.data = torch.zeros(channels, device=self.bias.device)
                self.running_mean = torch.zeros(channels, device=self.bias.device)
        elif self.num_features != channels:
            raise ValueError(f"MeanOnlyBatchNorm: {channels} channels, expected "
                             f"{self.num_features}")

    def forward(self, x: Tensor) -> Tensor:
        self._init(x.shape[1])
        view = (1, -1) + (1,) * (x.dim() - 2)
        if self.training:
            dims = [0] + list(range(2, x.dim()))
            mean = x.mean(dim=dims)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean.detach())
        else:
            mean = self.running_mean
        return x - mean.reshape(view) + self.bias.reshape(view)

    @property
    def effective_bias(self) -> Tensor:
        """``bias - running_mean`` per channel (training units)."""
        return (self.bias - self.running_mean).detach()
