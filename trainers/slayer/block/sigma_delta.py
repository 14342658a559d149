"""Sigma-delta (SDNN) blocks (lava-dl's ``slayer.block.sigma_delta``), generated from the
generic blocks of :mod:`.base` with :class:`trainers.slayer.neuron.sigma_delta.Neuron`.

``Input, Flatten, Average, Dense, Conv, Pool`` as in :mod:`.base`, plus:

* ``Input``: its neuron is a delta encoder only (the input is the activation; Lava ``Delta``);
* ``Output``: a dense block whose neuron only accumulates (``sigma_output``; Lava ``Sigma``):
  the output is the reconstructed value ``sum_k W x[k]`` (training units), and the file's
  neuron group carries ``sigma_output``.

Tensors are NCT / NCHWT; inputs and outputs of hidden blocks are deltas (graded messages).
Export keys: :mod:`.base` plus the SDNN neuron keys (``type`` SDNN, ``activation``,
``vThMant``, ``messageBits``, [``sigma_output``]).
"""

from typing import Any, Dict, Optional

from ..neuron.sigma_delta import Neuron as _Neuron
from . import base as _base
from .base import make_family

_family = make_family(_Neuron, __name__, blocks=(_base.Flatten, _base.Average, _base.Dense,
                                                 _base.Conv, _base.Pool))

Flatten = _family.Flatten
Average = _family.Average
Dense = _family.Dense
Conv = _family.Conv
Pool = _family.Pool


class Input(_base.Input):
    """SDNN input block: ``delta(weight * x + bias)`` (the input is the activation; no
    sigma, no activation function).  Args as :class:`.base.Input`."""

    neuron_class = _Neuron

    def __init__(self, neuron_params: Optional[Dict[str, Any]] = None,
                 weight: Optional[float] = None, bias: Optional[float] = None,
                 delay_shift: bool = False, count_log: bool = False) -> None:
        super().__init__(neuron_params, weight, bias, delay_shift, count_log)
        if self.neuron is not None:
            self.neuron.delta_only = True


class Output(_base.Dense):
    """SDNN readout: dense synapse -> sigma (running sum) -> one-step delay.  Output
    ``(N, out, T)`` is the reconstructed value; exported as ``dense`` with an SDNN neuron group
    carrying ``sigma_output``.  Args as :class:`.base.Dense`."""

    neuron_class = _Neuron

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.neuron.sigma_output = True


__all__ = ["Input", "Flatten", "Average", "Dense", "Conv", "Pool", "Output"]
