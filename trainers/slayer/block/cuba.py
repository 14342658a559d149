"""CUBA-LIF blocks (lava-dl's ``slayer.block.cuba``), generated from the generic blocks.

``Input, Flatten, Average, Affine, Dense, Conv, Pool, Recurrent, KWTA`` with
:class:`trainers.slayer.neuron.cuba.Neuron`; see :mod:`.base` for arguments and export keys.
"""

from ..neuron.cuba import Neuron as _Neuron
from .base import populate

populate(globals(), _Neuron)
