"""Dendrite accumulators (lava-dl's ``slayer.dendrite``) on time-last tensors."""

from __future__ import annotations

from typing import Optional

import torch

Tensor = torch.Tensor

__all__ = ["Sigma"]


class Sigma(torch.nn.Module):
    """Sigma decoder: running sum over time, ``out[..., t] = sum_{k <= t} input[..., k]``.

    Reconstructs an activation from the deltas a sigma-delta neuron sends.  With
    ``persistent_state`` the sum continues from the last step of the previous call
    (reset with :meth:`reset_state`, or when the batch shape changes).
    """

    def __init__(self, persistent_state: bool = False) -> None:
        super().__init__()
        self.persistent_state = bool(persistent_state)
        self.state: Optional[Tensor] = None

    def reset_state(self) -> None:
        self.state = None

    def forward(self, input: Tensor) -> Tensor:
        out = torch.cumsum(input, dim=-1)
        if self.persistent_state:
            if self.state is not None and self.state.shape == input.shape[:-1]:
                out = out + self.state.unsqueeze(-1)
            self.state = out[..., -1].detach().clone()
        return out
