"""Blocks of the adaptive LIF (``ALIF``) neuron (lava-dl's ``slayer.block.alif``), generated from
the generic blocks of :mod:`.base` with :class:`trainers.slayer.neuron.alif.Neuron`: ``Input,
Flatten, Average, Affine, Dense, Conv, Pool, Recurrent, KWTA``.  Arguments and export keys:
:mod:`.base` (the neuron group carries the neuron's own keys).
"""

from ..neuron.alif import Neuron as _Neuron
from .base import populate

populate(globals(), _Neuron)
