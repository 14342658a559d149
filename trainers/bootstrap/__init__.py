"""Bootstrap: accelerated training of rate-coded SNNs (lava-dl's ``lava.lib.dl.bootstrap`` API).

Most iterations train the network as an ANN whose activations are each layer's *measured* SNN
rate transfer function (a piecewise-linear fit of (input current, output rate) samples taken
in SNN mode); a few iterations per sampling epoch run the real SNN to refresh the fit, and the
SNN is what gets evaluated and exported (``.net``, same format as :mod:`trainers.slayer`).

* :mod:`.routine` -- :class:`Mode` and the :class:`~.routine.Scheduler`;
* :mod:`.ann_sampler` -- the sampler / PWL transfer function;
* :mod:`.block` -- ``block.cuba.{Input, Flatten, Average, Affine, Dense, Conv, Pool}`` whose
  ``forward(x, mode=m)`` runs per mode and ``export_hdf5(group)`` writes slayer's format.

>>> from trainers import bootstrap
>>> scheduler = bootstrap.routine.Scheduler()
>>> [m.name for m in scheduler.mode(0, 3, True).modes(2)]
['SAMPLE', 'SAMPLE']
"""

from . import ann_sampler, block, routine
from .routine import Mode

__all__ = ["Mode", "routine", "ann_sampler", "block"]
