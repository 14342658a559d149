"""Blocks of the resonate-and-fire Izhikevich (``RF_IZHIKEVICH``) neuron (lava-dl's
``slayer.block.rf_iz``), generated from the generic blocks of :mod:`.base` with
:class:`trainers.slayer.neuron.rf_iz.Neuron`: ``Input, Flatten, Average, Dense, Conv, Pool,
Recurrent, KWTA``.  Arguments and export keys: :mod:`.base` (the neuron group carries the
neuron's own keys).

The synapses are real (they drive the real part of the resonator, imaginary input 0),
except ``ComplexDense`` (``slayer.synapse.complex``; exported as ``dense_comp``).

"""

from ..neuron.rf_iz import Neuron as _Neuron
from .base import populate
from .complex import RESONATOR_BLOCKS

populate(globals(), _Neuron, RESONATOR_BLOCKS)
