"""Blocks of the resonate-and-fire (``RF_PHASE``) neuron (lava-dl's ``slayer.block.rf``),
generated from the generic blocks of :mod:`.base` with
:class:`trainers.slayer.neuron.rf.Neuron`: ``Input, Flatten, Average, Dense, Conv, Pool,
Recurrent, KWTA``.  Arguments and export keys: :mod:`.base` (the neuron group carries the
neuron's own keys).

The synapses are real (they drive the real part of the resonator, imaginary input 0),
except ``ComplexDense`` (``slayer.synapse.complex``; exported as ``dense_comp``).

"""

from ..neuron.rf import Neuron as _Neuron
from . import base as _base
from .complex import ComplexDense as _ComplexDense
from .base import make_family

_family = make_family(_Neuron, __name__,
                      blocks=(_base.Input, _base.Flatten, _base.Average, _base.Dense, _base.Conv,
                              _base.Pool, _base.Recurrent, _base.KWTA,
                              _ComplexDense))

Input = _family.Input
Flatten = _family.Flatten
Average = _family.Average
Dense = _family.Dense
Conv = _family.Conv
Pool = _family.Pool
Recurrent = _family.Recurrent
KWTA = _family.KWTA
ComplexDense = _family.ComplexDense

__all__ = ["Input", "Flatten", "Average", "Dense", "Conv", "Pool", "Recurrent", "KWTA",
           "ComplexDense"]
