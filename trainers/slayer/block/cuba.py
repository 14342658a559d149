"""CUBA-LIF blocks (lava-dl's ``slayer.block.cuba``), generated from the generic blocks.

``Input, Flatten, Average, Affine, Dense, Conv, Pool, Recurrent, KWTA`` with
:class:`trainers.slayer.neuron.cuba.Neuron`; see :mod:`.base` for arguments and export keys.
"""

from ..neuron.cuba import Neuron as _Neuron
from .base import make_family

_family = make_family(_Neuron, __name__)

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
