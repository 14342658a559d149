"""Load a ``.net`` file as a Lava process (lava-dl's ``netx.hdf5`` API).

>>> from netx import hdf5
>>> net = hdf5.Network(net_config="tiny.net")                    # doctest: +SKIP
>>> print(net)                                                     # doctest: +SKIP
>>> net.run(condition=RunSteps(17), run_cfg=hdf5.run_config())     # doctest: +SKIP

This module imports Lava.  See ``docs/netx-lava.md`` for how each layer kind maps onto Lava
processes, the one-step lag per synapse and the reset semantics.
"""

from __future__ import annotations

import importlib.util
import typing as ty

from lava.magma.core.run_configs import (Loihi1HwCfg, Loihi1SimCfg, Loihi2HwCfg, Loihi2SimCfg,
                                         RunConfig)

from .blocks.network import SUPPORTED_KINDS, SUPPORTED_NEURONS, Network, summary
from .errors import NetxFormatError

__all__ = ["Network", "NetxFormatError", "LavaLoihiUnavailable", "run_config", "summary",
           "SUPPORTED_KINDS", "SUPPORTED_NEURONS", "lava_loihi_available"]

TARGETS = ("fixed_pt", "floating_pt", "loihi1_sim", "loihi2_hw", "loihi1_hw")


class LavaLoihiUnavailable(RuntimeError):
    """A hardware run config was asked for but Intel's lava-loihi extension is missing."""


def lava_loihi_available() -> bool:
    """Whether the closed lava-loihi extension (Loihi hardware process models) is installed."""
    try:
        return importlib.util.find_spec("lava.magma.core.model.nc") is not None
    except (ImportError, ValueError):
        return False


def run_config(target: str = "fixed_pt", **kwargs: ty.Any) -> RunConfig:
    """The Lava run config for a target, one argument away from hardware.

    Args:
        target: ``'fixed_pt'`` (default: bit-accurate simulation, ``Loihi2SimCfg``),
            ``'floating_pt'`` (float simulation on the same grid), ``'loihi1_sim'``
            (``Loihi1SimCfg``, bit-accurate), ``'loihi2_hw'`` / ``'loihi1_hw'`` (Loihi chips;
            need lava-loihi).
        **kwargs: passed to the run config (e.g. ``select_sub_proc_model``,
            ``exception_proc_model_map``).

    Raises:
        LavaLoihiUnavailable: a hardware target without lava-loihi installed.
        ValueError: unknown target.
    """
    if target == "fixed_pt":
        return Loihi2SimCfg(select_tag="fixed_pt", **kwargs)
    if target == "floating_pt":
        return Loihi2SimCfg(select_tag="floating_pt", **kwargs)
    if target == "loihi1_sim":
        return Loihi1SimCfg(select_tag="fixed_pt", **kwargs)
    if target in ("loihi2_hw", "loihi1_hw"):
        if not lava_loihi_available():
            raise LavaLoihiUnavailable(
                f"run_config('{target}') needs Intel's lava-loihi extension (Loihi hardware "
                "process models, INRC members only), which is not installed; simulate with "
                "run_config('fixed_pt') instead")
        cfg = Loihi2HwCfg if target == "loihi2_hw" else Loihi1HwCfg
        return cfg(**kwargs)
    raise ValueError(f"unknown run-config target {target!r}; choose one of {TARGETS}")
