"""SLAYER blocks: generic definitions in ``base``, one generated family per neuron type."""

from . import base, cuba
from . import adrf, adrf_iz, alif, rf, rf_iz, sigma_delta
from .base import export_hdf5, make_family

__all__ = ["adrf", "adrf_iz", "alif", "base", "cuba", "export_hdf5", "make_family", "rf",
           "rf_iz", "sigma_delta"]
