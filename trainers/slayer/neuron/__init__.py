"""SLAYER neurons (lava-dl's ``slayer.neuron``): ``cuba`` plus shared ``norm`` and ``dropout``."""

from . import base, cuba, dropout, norm

__all__ = ["base", "cuba", "dropout", "norm"]
