"""Blocks of the adaptive LIF (``ALIF``) neuron (lava-dl's ``slayer.block.alif``), generated from
the generic blocks of :mod:`.base` with :class:`trainers.slayer.neuron.alif.Neuron`: ``Input,
Flatten, Average, Affine, Dense, Conv, Pool, Recurrent, KWTA``.  Arguments and export keys:
:mod:`.base` (the neuron group carries the neuron's own keys).
"""

from ..neuron.alif import Neuron as _Neuron
from . import base as _base
from .base import make_family

_family = make_family(_Neuron, __name__,
                      blocks=(_base.Input, _base.Flatten, _base.Average, _base.Affine, _base.Dense,
                              _base.Conv, _base.Pool, _base.Recurrent,
                              _base.KWTA))

Input = _family.Input
Flatten = _family.Flatten
Average = _family.Average
Affine = _family.Affine
Dense = _family.Dense
Conv = _family.Conv
Pool = _family.Pool
Recurrent = _family.Recurrent
KWTA = _family.KWTA

__all__ = ["Input", "Flatten", "Average", "Affine", "Dense", "Conv", "Pool", "Recurrent", "KWTA"]
