"""Report dataclasses of the compiler passes, printable as a text table or JSON.

Units: synaptic memory in bits; utilisation as a fraction of the per-core limit (1.0 = full);
spike counts are "spikes per wave": messages sent if every neuron fired once (inter-core =
between different cores).  Quantization errors are in weight units of the file (the x64 grid
of the exchange format: one unit adds 64 to the 24-bit current).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return obj.item()
    return obj


def _table(headers: List[str], rows: List[List[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def _pct(x: Optional[float]) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


class _Report:
    def to_dict(self) -> Dict[str, Any]:
        """Plain dict (JSON types only)."""
        return _plain(self)

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)


# --------------------------------------------------------------------------- quantize
@dataclass
class QuantLayerReport(_Report):
    """Quantization of one layer.

    ``weight_exp``: chosen shared exponent (effective weight = mantissa * 2**(6 + exp) on the
    24-bit state grid); ``weight_bits``: Lava ``num_weight_bits``; ``clipped_fraction``: share
    of weights outside the representable range; errors in file weight units (x64 grid).
    """

    index: int
    kind: str
    action: str  # 'quantized' | 'unchanged'
    weight_exp: Optional[int] = None
    weight_bits: Optional[int] = None
    sign_mode: Optional[str] = None
    clipped_fraction: float = 0.0
    max_abs_error: float = 0.0
    rms_error: float = 0.0
    bias_clipped_fraction: float = 0.0
    notes: List[str] = field(default_factory=list)


@dataclass
class QuantizeReport(_Report):
    """Outcome of the quantize pass: ``float_input`` says whether the file was float (and
    ``reason`` why); already fixed-point files pass through unchanged, with ``warnings`` for
    what in them does not fit the profile (``--force-quantize`` requantizes them)."""

    float_input: bool
    reason: str
    layers: List[QuantLayerReport] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)

    def to_table(self) -> str:
        head = f"quantize: {'float network quantized' if self.float_input else 'unchanged'}" \
               f" ({self.reason})"
        if not self.float_input:
            lines = [f"warning: {w}" for w in self.warnings]
            if lines:
                lines.append("warning: --force-quantize requantizes the network to fit")
            return "\n".join([head] + lines)
        rows = [[str(r.index), r.kind, r.action, "-" if r.weight_exp is None else str(r.weight_exp),
                 "-" if r.weight_bits is None else str(r.weight_bits), r.sign_mode or "-",
                 _pct(r.clipped_fraction), f"{r.max_abs_error:.4g}", f"{r.rms_error:.4g}",
                 _pct(r.bias_clipped_fraction)]
                for r in self.layers]
        notes = [f"note: layer {r.index}: {n}" for r in self.layers for n in r.notes]
        return "\n".join([head, _table(["layer", "kind", "action", "exp", "bits", "sign",
                                        "clipped", "max_err", "rms_err", "bias_clip"], rows)]
                         + notes)


# --------------------------------------------------------------------------- partition
@dataclass
class PartitionLayerReport(_Report):
    """Mapping of one layer: its tiles (``tile_shape`` = largest tile C, H, W), the cores
    holding them, the limit that bounded the tile size, and the highest utilisation of each
    per-core limit among its tiles."""

    index: int
    kind: str
    neurons: int
    tiles: int
    tile_shape: Tuple[int, int, int]
    cores: int
    first_core: int
    last_core: int
    fan_in: int
    synapse_bits: int
    limiting: str
    utilisation: Dict[str, float]
    input_axons: int
    output_axons: int
    notes: List[str] = field(default_factory=list)


@dataclass
class PartitionReport(_Report):
    """Outcome of the partition pass for the whole network."""

    profile: str
    cores_used: int
    cores_available: int
    chips_used: int
    chips_available: int
    neurons: int
    utilisation_mean: Dict[str, float]
    utilisation_max: Dict[str, float]
    inter_core_spikes: int
    intra_core_spikes: int
    inter_chip_spikes: int
    host_input_axons: int
    core_graph_edges: int
    energy_upper_bound_pj: Optional[float] = None
    layers: List[PartitionLayerReport] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def to_table(self) -> str:
        rows = []
        for r in self.layers:
            u = r.utilisation
            rows.append([str(r.index), r.kind, str(r.neurons), str(r.fan_in),
                         str(r.synapse_bits), "x".join(map(str, r.tile_shape)), str(r.tiles),
                         str(r.cores), f"{r.first_core}-{r.last_core}",
                         _pct(u["neurons"]), _pct(u["synaptic_memory_bits"]),
                         _pct(u["input_axons"]), _pct(u["output_axons"]), r.limiting])
        out = [f"partition on {self.profile}: {self.neurons} neurons on {self.cores_used} of "
               f"{self.cores_available} cores, {self.chips_used} of {self.chips_available} "
               f"chip(s)",
               _table(["layer", "kind", "neurons", "fan_in", "bits", "tile", "tiles", "cores",
                       "core ids", "neur%", "syn%", "in_ax%", "out_ax%", "limiting"], rows),
               "core utilisation (mean / max): " + ", ".join(
                   f"{k} {_pct(self.utilisation_mean[k])} / {_pct(self.utilisation_max[k])}"
                   for k in self.utilisation_mean),
               f"spikes per wave: inter-core {self.inter_core_spikes}, intra-core "
               f"{self.intra_core_spikes}, inter-chip {self.inter_chip_spikes}; host input "
               f"axons {self.host_input_axons}; core graph edges {self.core_graph_edges}"]
        if self.energy_upper_bound_pj is not None:
            out.append(f"energy per step if every neuron fired once: "
                       f"{self.energy_upper_bound_pj / 1e6:.3f} uJ (profile costs)")
        out += [f"note: {n}" for n in self.notes]
        return "\n".join(out)


# --------------------------------------------------------------------------- compile
@dataclass
class CompileReport(_Report):
    """Both passes of :func:`compiler.compile`."""

    source: str
    output: Optional[str]
    quantize: QuantizeReport
    partition: PartitionReport

    def to_table(self) -> str:
        head = f"compile {self.source}" + (f" -> {self.output}" if self.output else "")
        return "\n\n".join([head, self.quantize.to_table(), self.partition.to_table()])
