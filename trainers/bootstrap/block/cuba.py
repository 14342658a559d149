"""Bootstrap CUBA-LIF blocks (lava-dl's ``bootstrap.block.cuba``): ``Input, Flatten, Average,
Affine, Dense, Conv, Pool``, derived from :mod:`trainers.slayer.block.cuba`.

Constructor arguments and ``export_hdf5`` are the SLAYER blocks'; ``forward(x, mode=m)`` runs
per :class:`trainers.bootstrap.Mode` (see :mod:`.base`).
"""

from ...slayer.block import cuba as _slayer_cuba
from .base import make_family

_family = make_family(_slayer_cuba, __name__)

Input = _family.Input
Flatten = _family.Flatten
Average = _family.Average
Affine = _family.Affine
Dense = _family.Dense
Conv = _family.Conv
Pool = _family.Pool

__all__ = ["Input", "Flatten", "Average", "Affine", "Dense", "Conv", "Pool"]
