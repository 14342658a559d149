"""SLAYER blocks: generic definitions in ``base``, one generated family per neuron type."""

from . import base, cuba
from .base import export_hdf5, make_family

__all__ = ["base", "cuba", "export_hdf5", "make_family"]
