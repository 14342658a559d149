"""SLAYER neurons (lava-dl's ``slayer.neuron``): ``cuba``, ``sigma_delta``, ``alif``, ``rf``,
``rf_iz``, ``adrf``, ``adrf_iz``, plus shared ``norm`` and ``dropout``."""

from . import base, cuba, dropout, norm
from . import adrf, adrf_iz, alif, rf, rf_iz, sigma_delta
from .dropout import Dropout

__all__ = ["Dropout", "adrf", "adrf_iz", "alif", "base", "cuba", "dropout", "norm", "rf",
           "rf_iz", "sigma_delta"]
