"""Resonate-and-fire (phase crossing) neuron, lava-dl's ``slayer.neuron.rf``
(file type ``RF_PHASE``).

Equations, modes, gradients and export keys: :mod:`.resonator`.
``Neuron(threshold, period, decay, tau_grad=1, scale_grad=1, scale=64, norm=None, dropout=None,
shared_param=True, persistent_state=False, requires_grad=False, graded_spike=False,
mode='fixed')``.
"""

from __future__ import annotations

from typing import Callable, Optional

import torch

from . import base
from .resonator import ResonatorNeuron


class Neuron(ResonatorNeuron):
    """Resonate-and-fire (phase crossing) layer; input ``(N, C..., T)`` (real or complex),
    spikes out.  See :class:`.resonator.ResonatorNeuron` for the arguments."""

    device_type = "RF_PHASE"
    izhikevich = False
    adaptive = False

    def __init__(self, threshold: float, period: base.ParamLike, decay: base.ParamLike,
                 tau_grad: float = 1.0, scale_grad: float = 1.0, scale: int = 1 << 6,
                 norm: Optional[Callable[[], torch.nn.Module]] = None,
                 dropout: Optional[base.DropoutLike] = None, shared_param: bool = True,
                 persistent_state: bool = False, requires_grad: bool = False,
                 graded_spike: bool = False, mode: str = "fixed") -> None:
        super().__init__(threshold=threshold, period=period, decay=decay, tau_grad=tau_grad,
                         scale_grad=scale_grad, scale=scale, norm=norm, dropout=dropout,
                         shared_param=shared_param, persistent_state=persistent_state,
                         requires_grad=requires_grad, graded_spike=graded_spike, mode=mode)
