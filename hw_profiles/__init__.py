"""Hardware profiles of Loihi-style chips and their loader.

A profile is a small TOML file of per-core limits and numeric formats (``loihi1.toml`` and
``loihi2.toml`` ship here; each value cites its source).  Users add their own chip or system by
writing a file with the same keys and passing its path::

    import hw_profiles
    p = hw_profiles.load("loihi2")                 # bundled profile, by name
    p = hw_profiles.load("my_system.toml")          # a user's file, by path

Every key listed in :class:`HwProfile` without a default is required; unknown keys, missing
keys and wrong types raise :class:`ProfileError` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

try:  # Python >= 3.11
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as _toml

__all__ = ["HwProfile", "ProfileError", "load", "available", "PROFILE_DIR"]

PROFILE_DIR = Path(__file__).resolve().parent


class ProfileError(ValueError):
    """A hardware profile file is malformed.  ``.path`` and ``.key`` name the culprit."""

    def __init__(self, message: str, path: Union[str, os.PathLike, None] = None,
                 key: Optional[str] = None) -> None:
        self.path = None if path is None else str(path)
        self.key = key
        where = []
        if self.path is not None:
            where.append(f"file {self.path}")
        if key is not None:
            where.append(f"key '{key}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


@dataclass(frozen=True)
class HwProfile:
    """Limits and numeric formats of one chip type (and how many chips the system has).

    Per-core limits (the partitioner respects all four):
        neurons_per_core: compartments per core.
        synaptic_memory_bits_per_core: synapse memory in bits; a synapse costs its weight width
            (plus ``delay_bits`` when the layer has delays).
        input_axons_per_core: distinct presynaptic neurons a core can receive spikes from.
        output_axons_per_core: (neuron, destination core) routes a core can send on.

    Numerics (used by the quantizer):
        weight_bits: synapse weight field width including sign (Lava ``num_weight_bits``).
        weight_exp_min / weight_exp_max: shared weight exponent range; a synapse adds
            ``mantissa * 2**(6 + exp)`` to the current on the 24-bit state grid.
        threshold_mant_bits: unsigned threshold mantissa width (threshold = mant << 6).
        decay_bits: decay width; decays are fractions out of ``2**decay_bits``.
        state_bits: signed width of the current and voltage.
        bias_mant_bits / bias_exp_bits: signed bias mantissa and unsigned exponent widths.
        delay_bits: synaptic/axonal delay width (steps).
        graded_spike_bits: payload bits of a graded spike (0: binary spikes only).

    Optional costs (``None`` when unpublished): energy in pJ, time in ns per operation.
    """

    name: str
    chips: int
    cores_per_chip: int
    neurons_per_core: int
    synaptic_memory_bits_per_core: int
    input_axons_per_core: int
    output_axons_per_core: int
    weight_bits: int
    weight_exp_min: int
    weight_exp_max: int
    threshold_mant_bits: int
    decay_bits: int
    state_bits: int
    bias_mant_bits: int
    bias_exp_bits: int
    delay_bits: int
    graded_spike_bits: int
    description: str = ""
    energy_per_synop_pj: Optional[float] = None
    time_per_synop_ns: Optional[float] = None
    energy_per_neuron_update_pj: Optional[float] = None
    time_per_neuron_update_ns: Optional[float] = None
    energy_per_spike_pj: Optional[float] = None
    source: Optional[str] = None  # the file it was loaded from (not a TOML key)

    @property
    def total_cores(self) -> int:
        """Neuromorphic cores in the whole system (``chips * cores_per_chip``)."""
        return self.chips * self.cores_per_chip

    @property
    def core_limits(self) -> dict[str, int]:
        """The four per-core limits keyed by the names the compiler reports."""
        return {
            "neurons": self.neurons_per_core,
            "synaptic_memory_bits": self.synaptic_memory_bits_per_core,
            "input_axons": self.input_axons_per_core,
            "output_axons": self.output_axons_per_core,
        }


_NOT_KEYS = {"source"}
_INT_MIN = {  # smallest allowed value of each integer key
    "chips": 1, "cores_per_chip": 1, "neurons_per_core": 1, "synaptic_memory_bits_per_core": 1,
    "input_axons_per_core": 1, "output_axons_per_core": 1, "weight_bits": 1,
    "threshold_mant_bits": 1, "decay_bits": 1, "state_bits": 2, "bias_mant_bits": 1,
    "bias_exp_bits": 0, "delay_bits": 0, "graded_spike_bits": 0,
    "weight_exp_min": -7, "weight_exp_max": -7,
}
#: the .net format's weight exponent range (``neuron/wgtExp``, docs/spec.md)
WEIGHT_EXP_RANGE = (-7, 7)


def available() -> list[str]:
    """Names of the profiles bundled with the package (``loihi1``, ``loihi2``, ...)."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def _check(data: dict, path: Path) -> HwProfile:
    fields = {f.name: f for f in dataclasses.fields(HwProfile) if f.name not in _NOT_KEYS}
    for key in data:
        if key not in fields:
            raise ProfileError(f"unknown key (known keys: {', '.join(sorted(fields))})",
                               path, key)
    values = {}
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING
        if name not in data:
            if required:
                raise ProfileError("missing required key", path, name)
            continue
        v = data[name]
        if name in ("name", "description"):
            if not isinstance(v, str):
                raise ProfileError(f"must be a string, got {type(v).__name__} {v!r}", path, name)
        elif name in _INT_MIN:
            if isinstance(v, bool) or not isinstance(v, int):
                raise ProfileError(f"must be an integer, got {type(v).__name__} {v!r}",
                                   path, name)
            if v < _INT_MIN[name]:
                raise ProfileError(f"must be >= {_INT_MIN[name]}, got {v}", path, name)
        else:  # optional costs
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                    or v < 0:
                raise ProfileError(f"must be a non-negative number, got {v!r}", path, name)
            v = float(v)
        values[name] = v
    if values["weight_exp_min"] > values["weight_exp_max"]:
        raise ProfileError(f"weight_exp_min ({values['weight_exp_min']}) > weight_exp_max "
                           f"({values['weight_exp_max']})", path, "weight_exp_min")
    if values["weight_exp_max"] > WEIGHT_EXP_RANGE[1]:
        raise ProfileError(f"must be <= {WEIGHT_EXP_RANGE[1]} (the .net format's wgtExp range is "
                           f"{WEIGHT_EXP_RANGE[0]}..{WEIGHT_EXP_RANGE[1]}), got "
                           f"{values['weight_exp_max']}", path, "weight_exp_max")
    return HwProfile(**values, source=str(path))


def load(name_or_path: Union[str, os.PathLike, HwProfile]) -> HwProfile:
    """Load a hardware profile.

    Args:
        name_or_path: a bundled profile name (``"loihi1"``, ``"loihi2"``), a path to a TOML file
            with the keys of :class:`HwProfile`, or an :class:`HwProfile` (returned unchanged).

    Raises:
        ProfileError: the file does not exist, is not valid TOML, or has an unknown, missing or
            mistyped key (the message names the file and key).
    """
    if isinstance(name_or_path, HwProfile):
        return name_or_path
    text = os.fspath(name_or_path)
    path = Path(text)
    if not path.suffix and os.sep not in text and "/" not in text:
        bundled = PROFILE_DIR / f"{text}.toml"
        if not bundled.exists():
            raise ProfileError(f"no bundled profile '{text}' (available: "
                               f"{', '.join(available())}; or give a path to a .toml file)")
        path = bundled
    if not path.is_file():
        raise ProfileError("profile file not found", path)
    try:
        with open(path, "rb") as fh:
            data = _toml.load(fh)
    except _toml.TOMLDecodeError as exc:
        raise ProfileError(f"not valid TOML: {exc}", path) from None
    return _check(data, path)
