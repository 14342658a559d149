"""Complex synapses (lava-dl's ``slayer.synapse.complex``), exposed as
``slayer.synapse.complex``.

A complex synapse holds two real weights of the same layout, ``real`` and ``imag``, applied to
the same (real) input; the output is the complex tensor ``W_real x + i W_imag x`` that the
resonate-and-fire neurons (:mod:`trainers.slayer.neuron.resonator`) take: the real part
drives the resonator's real state, the imaginary part its imaginary state.

Layout: input ``(N, in..., T)``, output ``(N, out, T)`` complex (time last).  The file keeps
``weight/real`` and ``weight/imag`` (``w * 64`` float32), layer type ``dense_comp``.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch

from . import synapse as _synapse

Tensor = torch.Tensor

__all__ = ["Dense"]


class Dense(torch.nn.Module):
    """Complex dense synapse: two :class:`trainers.slayer.synapse.Dense` (``real``, ``imag``).

    Args: as :class:`trainers.slayer.synapse.Dense` (each part initialised independently).
    """

    def __init__(self, in_neurons: Union[int, Sequence[int]], out_neurons: int,
                 weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Optional[Callable] = None) -> None:
        super().__init__()
        self.real = _synapse.Dense(in_neurons, out_neurons, weight_scale, weight_norm,
                                   pre_hook_fx)
        self.imag = _synapse.Dense(in_neurons, out_neurons, weight_scale, weight_norm,
                                   pre_hook_fx)
        self.in_channels = self.real.in_channels
        self.out_channels = self.real.out_channels

    @property
    def weight(self) -> Tensor:
        """Complex weight ``real + i imag`` (training units, before the hook)."""
        return torch.complex(self.real.weight, self.imag.weight)

    def disable_weight_norm(self) -> None:
        self.real.disable_weight_norm()
        self.imag.disable_weight_norm()

    def file_weight(self, scale: int = 64) -> "tuple[np.ndarray, np.ndarray]":
        """``(real, imag)`` weights as written to the file (float32, ``x scale``)."""
        return self.real.file_weight(scale), self.imag.file_weight(scale)

    def forward(self, x: Tensor) -> Tensor:
        return torch.complex(self.real(x), self.imag(x))
