"""NIR (Neuromorphic Intermediate Representation) <-> ``.net`` networks.

:func:`from_nir` turns a chain-shaped :class:`nir.NIRGraph` (as snnTorch, Norse, Sinabs, Rockpool
or Spyx export it) into a fixed-point :class:`netx.spec.Network` on the Loihi grid;
:func:`to_nir` writes a fixed-point network back out as a float NIR graph whose parameters map
back to the very same integers.  :func:`simulate_nir` is a float64 NumPy reference of a NIR
chain (the Euler steps this module's mapping assumes), used to measure agreement.

The continuous -> discrete mapping and its rounding are derived in ``docs/nir.md``.  In short,
with ``dt`` the step length and ``k`` a per-layer *state scale* (Loihi state units per NIR
voltage unit)::

    iDecay  = round(4096 dt / tau_syn)        vDecay = round(4096 dt / tau_mem)
    gain_m  = R * vDecay/4096                 gain_s = w_in * iDecay/4096
    weight  = round(k * gain_m * gain_s * W / 64 / 2**wgtExp)      (x64 grid)
    vThMant = round(k * v_threshold / 64)
    bias    = round(k * (v_leak * vDecay/4096 + gain_m * w_in * b) / 64)   (bias_exp 6)

Layout conventions: NIR and the exchange format both use PyTorch order — (C, H, W) activations,
(C_out, C_in/groups, kH, kW) kernels, (n_out, n_in) dense weights — so no transposes occur.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

import numpy as np

from . import spec
from .errors import NetxFormatError
from .fixed_point import DECAY_UNITY

if TYPE_CHECKING:  # pragma: no cover
    import nir

__all__ = ["from_nir", "to_nir", "simulate_nir", "NirReport", "LayerReport",
           "DEFAULT_STATE_SCALE", "NONSPIKING_VTH_MANT"]

#: state scale of the "SLAYER units" used by :func:`to_nir`: a NIR voltage of 1 is 4096 on
#: Loihi's state grid, so a NIR weight of 1 is 64 on the x64 weight grid.
DEFAULT_STATE_SCALE = 4096.0
#: threshold mantissa of a neuron that never spikes (lava-dl's convention for affine blocks).
NONSPIKING_VTH_MANT = (1 << 18) - 1
#: largest threshold mantissa Loihi stores (17 bits).
VTH_MANT_MAX = (1 << 17) - 1
#: 13-bit signed bias mantissa (larger values are kept but reported).
BIAS_MANT_MAX = (1 << 12) - 1
#: exported time constant, in steps, of a decay of 0 (no leak): maps back to decay 0.
TAU_NO_DECAY = float(1 << 24)
#: largest axonal delay in steps (lava-dl clamps to 0..62).
DELAY_MAX = 62
META = "netx_"  # prefix of the metadata keys this module writes and reads

SYNAPSES = ("Affine", "Linear", "Conv2d", "SumPool2d", "AvgPool2d")
NEURONS = ("CubaLIF", "CubaLI", "LIF", "LI", "IF", "I", "Threshold")
SPIKING = ("CubaLIF", "LIF", "IF", "Threshold")
LINEAR_OPS = ("Scale", "Delay")

PathType = Union[str, PathLike]


# --------------------------------------------------------------------------- report
@dataclass
class LayerReport:
    """Rounding introduced by :func:`from_nir` in one layer.

    Attributes:
        layer: index in the network.
        kind: the layer kind ('input', 'dense', 'conv', 'pool', 'flatten').
        nodes: the NIR node names merged into this layer.
        state_scale: ``k``, Loihi state units per NIR voltage unit (for a readout: 64 times
            the integer synaptic input per NIR unit of output).
        weight_error: max |quantized - exact| effective weight, relative to the largest one.
        weight_rms_error: RMS of the same, relative to the largest weight.
        weights_clipped: weights that fell outside the 8-bit range (0 unless the scale was
            forced).
        i_decay_error, v_decay_error: largest relative error of ``dt / tau`` (i.e. of the
            decay rate and of the time constant) after rounding to 1/4096.
        threshold_error: largest relative error of the threshold.
        bias_error: largest absolute error of the per-step voltage bias, in NIR voltage units.
        notes: approximations and range warnings worth reading.
    """

    layer: int
    kind: str
    nodes: List[str]
    state_scale: float = float("nan")
    weight_error: float = 0.0
    weight_rms_error: float = 0.0
    weights_clipped: int = 0
    i_decay_error: float = 0.0
    v_decay_error: float = 0.0
    threshold_error: float = 0.0
    bias_error: float = 0.0
    notes: List[str] = field(default_factory=list)

    @property
    def max_error(self) -> float:
        """Largest relative error of this layer (weights, decays, threshold)."""
        return max(self.weight_error, self.i_decay_error, self.v_decay_error,
                   self.threshold_error)


@dataclass
class NirReport:
    """Per-layer quantization report of :func:`from_nir` (``str()`` gives a table)."""

    dt: float
    layers: List[LayerReport] = field(default_factory=list)

    @property
    def max_error(self) -> float:
        return max((r.max_error for r in self.layers), default=0.0)

    def __str__(self) -> str:
        head = (f"{'layer':>5} {'kind':<8} {'scale':>10} {'w err':>8} {'w rms':>8} "
                f"{'iDec err':>8} {'vDec err':>8} {'vth err':>8}  nodes / notes")
        lines = [f"NIR import at dt={self.dt:g} s", head]
        for r in self.layers:
            lines.append(f"{r.layer:>5} {r.kind:<8} {r.state_scale:>10.4g} "
                         f"{r.weight_error:>8.2e} {r.weight_rms_error:>8.2e} "
                         f"{r.i_decay_error:>8.2e} {r.v_decay_error:>8.2e} "
                         f"{r.threshold_error:>8.2e}  {', '.join(r.nodes)}")
            lines.extend(f"{'':>14}note: {n}" for n in r.notes)
        return "\n".join(lines)


# --------------------------------------------------------------------------- helpers
def _nir():
    try:
        import nir  # noqa: WPS433 - optional dependency, imported on use
    except ImportError as exc:  # pragma: no cover - nir is a declared dependency
        raise ImportError("netx.nir needs the 'nir' package (pip install nir)") from exc
    return nir


def _err(reason: str, path: Optional[PathType] = None, layer: Optional[int] = None,
         key: Optional[str] = None) -> NetxFormatError:
    return NetxFormatError(reason, path=path, layer=layer, key=key)


def _node_err(name: str, node: Any, reason: str, path: Optional[PathType]) -> NetxFormatError:
    return _err(f"NIR node '{name}' ({type(node).__name__}): {reason}", path)


def _pair(value: Any, name: str, node_name: str, node: Any, path) -> Tuple[int, int]:
    arr = np.asarray(value).reshape(-1)
    if arr.size == 1:
        arr = np.repeat(arr, 2)
    if arr.size != 2 or arr.dtype.kind not in "biuf" or not np.all(arr == np.round(arr)):
        raise _node_err(node_name, node, f"{name} must be an int or a pair of ints, found "
                        f"{value!r}", path)
    return int(arr[0]), int(arr[1])


def _plain(value: Any) -> Any:
    """numpy scalars/bytes read back from a file -> Python values (arrays stay arrays)."""
    if isinstance(value, bytes):
        return value.decode("utf8")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _scalar_or_array(values: np.ndarray, dtype=None) -> Any:
    """One Python int when all values agree, else the array (per-neuron parameter)."""
    values = np.asarray(values).reshape(-1)
    if values.size and np.all(values == values[0]):
        return int(values[0])
    return values.astype(dtype) if dtype is not None else values


def _chain(graph: Any, path: Optional[PathType]) -> List[Tuple[str, Any]]:
    """The nodes of a chain graph in order, from its Input to its Output."""
    import networkx as nx

    nir = _nir()
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    for edge in graph.edges:
        src, dst = (e.decode() if isinstance(e, bytes) else e for e in edge)
        for end in (src, dst):
            if end not in graph.nodes:
                raise _err(f"NIR edge ({src!r}, {dst!r}) names the unknown node {end!r}",
                           path)
        g.add_edge(src, dst)
    for name, node in graph.nodes.items():
        if isinstance(node, nir.NIRGraph):
            raise _node_err(name, node, "nested graphs (e.g. recurrent cells) are not "
                            "supported: the exchange format takes a feed-forward chain", path)
    if not nx.is_directed_acyclic_graph(g):
        cycle = nx.find_cycle(g)
        raise _err(f"NIR graph has a cycle through {[e[0] for e in cycle]}: recurrent "
                   "connections are not supported, only a chain of nodes", path)
    for name in g.nodes:
        if g.in_degree(name) > 1 or g.out_degree(name) > 1:
            raise _err(f"NIR node '{name}' ({type(graph.nodes[name]).__name__}) has "
                       f"{g.in_degree(name)} inputs and {g.out_degree(name)} outputs: "
                       "branching graphs are not supported, only a chain of nodes", path)
    inputs = [n for n in g.nodes if g.in_degree(n) == 0]
    if len(inputs) != 1 or len(g.nodes) < 2:
        raise _err(f"NIR graph must be one connected chain; it has {len(inputs)} start "
                   f"nodes {sorted(inputs)}", path)
    order = list(nx.topological_sort(g))
    first, last = graph.nodes[order[0]], graph.nodes[order[-1]]
    if not isinstance(first, nir.Input):
        raise _node_err(order[0], first, "a chain must start with an Input node", path)
    if not isinstance(last, nir.Output):
        raise _node_err(order[-1], last, "a chain must end with an Output node", path)
    for name in order[1:-1]:
        if isinstance(graph.nodes[name], (nir.Input, nir.Output)):
            raise _node_err(name, graph.nodes[name], "Input/Output nodes may only start "
                            "and end the chain", path)
    return [(n, graph.nodes[n]) for n in order]


def _param(node_name: str, node: Any, attr: str, shape: Tuple[int, ...], path,
           default: Optional[float] = None) -> np.ndarray:
    """A neuron parameter broadcast to the layer's output shape and flattened (C, H, W)."""
    value = getattr(node, attr, None)
    if value is None:
        if default is None:
            raise _node_err(node_name, node, f"missing parameter '{attr}'", path)
        value = default
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 1:
        arr = arr.reshape(())
    try:
        out = np.broadcast_to(arr, shape)
    except ValueError:
        raise _node_err(node_name, node, f"parameter '{attr}' of shape {arr.shape} does not "
                        f"fit the layer's output shape {shape}", path) from None
    if not np.all(np.isfinite(out)):
        raise _node_err(node_name, node, f"parameter '{attr}' contains NaN or infinity", path)
    return out.reshape(-1).astype(np.float64)


# --------------------------------------------------------------------------- from_nir
@dataclass
class _Segment:
    pre: List[Tuple[str, Any]] = field(default_factory=list)
    syn: Optional[Tuple[str, Any]] = None
    post: List[Tuple[str, Any]] = field(default_factory=list)
    neuron: Optional[Tuple[str, Any]] = None

    def names(self) -> List[str]:
        parts = self.pre + ([self.syn] if self.syn else []) + self.post + (
            [self.neuron] if self.neuron else [])
        return [n for n, _ in parts]

    def empty(self) -> bool:
        return not (self.pre or self.syn or self.post or self.neuron)


@dataclass
class _Dynamics:
    """Per-neuron continuous parameters reduced to what the Loihi mapping needs."""

    i_decay: np.ndarray  # quantized, out of 4096
    v_decay: np.ndarray
    gain_mem: np.ndarray  # u (Loihi) = k * gain_mem * I (NIR)
    gain_syn: np.ndarray  # per-step current increment per unit input (steady-state exact)
    w_in: np.ndarray  # steady-state current per unit constant input
    leak: np.ndarray  # per-step voltage bias from v_leak, NIR units
    threshold: Optional[np.ndarray]  # None: never spikes
    i_err: float
    v_err: float
    notes: List[str]


def _decay(rate: np.ndarray) -> Tuple[np.ndarray, np.ndarray, float, List[str]]:
    """``dt/tau`` -> (decay out of 4096, the rate the gains use, relative error, notes)."""
    notes = []
    if np.any(rate > 1):
        notes.append(f"dt exceeds a time constant (dt/tau up to {rate.max():.3g}): the "
                     "decay is clipped to 4096 (the state lasts one step)")
    q = np.clip(np.round(rate * DECAY_UNITY), 0, DECAY_UNITY)
    used = np.where(q > 0, q / DECAY_UNITY, rate)
    # to_nir writes "no leak" (decay 0) as tau = TAU_NO_DECAY steps: that one is exact
    rate = np.where(np.abs(rate * TAU_NO_DECAY - 1) < 1e-6, 0.0, rate)
    if np.any((q == 0) & (rate > 0)):
        notes.append(f"a time constant above {DECAY_UNITY * 2} steps rounds to decay 0 "
                     "(no leak)")
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(rate > 0, np.abs(np.minimum(q / DECAY_UNITY, 1.0) - np.minimum(rate, 1))
                       / np.minimum(rate, 1), 0.0)
    return q.astype(np.int64), used, float(rel.max(initial=0.0)), notes


def _dynamics(name: str, node: Any, shape: Tuple[int, ...], dt: float, path) -> _Dynamics:
    kind = type(node).__name__
    p = lambda attr, default=None: _param(name, node, attr, shape, path, default)  # noqa: E731
    ones = np.ones(int(np.prod(shape)))
    notes: List[str] = []
    if kind in ("CubaLIF", "LIF", "IF") and getattr(node, "v_reset", None) is not None:
        if np.any(p("v_reset", 0.0) != 0):
            raise _node_err(name, node, "v_reset must be 0: Loihi resets the voltage to 0",
                            path)
    if kind in ("CubaLIF", "CubaLI"):
        tau_syn, tau_mem = p("tau_syn"), p("tau_mem")
        if np.any(tau_syn <= 0) or np.any(tau_mem <= 0):
            raise _node_err(name, node, "time constants must be positive", path)
        w_in = p("w_in", 1.0)
        i_q, i_used, i_err, n1 = _decay(dt / tau_syn)
        v_q, v_used, v_err, n2 = _decay(dt / tau_mem)
        notes += n1 + n2
        r, v_leak = p("r"), p("v_leak", 0.0)
        gain_mem, gain_syn, leak = r * v_used, w_in * i_used, v_leak * v_used
    elif kind in ("LIF", "LI"):
        tau = p("tau")
        if np.any(tau <= 0):
            raise _node_err(name, node, "time constants must be positive", path)
        v_q, v_used, v_err, notes = _decay(dt / tau)
        i_q, i_err, w_in = np.full(ones.shape, DECAY_UNITY), 0.0, ones
        r, v_leak = p("r"), p("v_leak", 0.0)
        gain_mem, gain_syn, leak = r * v_used, ones, v_leak * v_used
    elif kind in ("IF", "I"):
        i_q, v_q, i_err, v_err, w_in = np.full(ones.shape, DECAY_UNITY), 0 * ones, 0.0, 0.0, ones
        gain_mem, gain_syn, leak = dt * p("r"), ones, 0 * ones
    elif kind == "Threshold":  # stateless: v = input each step (both decays 4096)
        i_q = v_q = np.full(ones.shape, DECAY_UNITY)
        i_err = v_err = 0.0
        gain_mem, gain_syn, w_in, leak = ones, ones, ones, 0 * ones
    else:  # pragma: no cover - callers only pass NEURONS
        raise _node_err(name, node, "not a neuron", path)
    if kind in SPIKING:
        threshold = p("threshold" if kind == "Threshold" else "v_threshold")
        if np.any(threshold <= 0):
            raise _node_err(name, node, "thresholds must be positive on Loihi", path)
    else:
        threshold = None
    return _Dynamics(i_q.astype(np.int64), np.asarray(v_q).astype(np.int64), gain_mem, gain_syn,
                     w_in, leak, threshold, i_err, v_err, notes)


def _meta(node: Any) -> Dict[str, Any]:
    md = getattr(node, "metadata", None) or {}
    out = {}
    for k, v in md.items():
        if str(k).startswith(META):
            key = k[len(META):]
            # training-only neuron keys keep their (numpy) types, as the .net reader gives them
            out[key] = (v.decode("utf8") if isinstance(v, bytes) else v) if key.startswith(
                "extra_") else _plain(v)
    return out


def _grid(values: np.ndarray, snap: bool) -> np.ndarray:
    """Round to integers; with ``snap`` mixed-sign weights go to even integers, the values
    Lava's 8-bit mixed-sign Dense keeps (it floors the lowest bit)."""
    mixed = np.any(values > 0) and np.any(values < 0)
    if snap and mixed:
        return 2 * np.round(values / 2)
    return np.round(values)


class _Importer:
    def __init__(self, dt: float, state_scale: Optional[float], path) -> None:
        if not (isinstance(dt, (int, float)) and dt > 0 and math.isfinite(dt)):
            raise _err(f"dt must be a positive number of seconds, found {dt!r}", path)
        self.dt, self.forced, self.path = float(dt), state_scale, path
        self.layers: List[spec.Layer] = []
        self.reports: List[LayerReport] = []

    # ---- the chain -> segments
    def run(self, chain: List[Tuple[str, Any]]) -> None:
        in_name, in_node = chain[0]
        declared = (in_node.input_type or {}).get("input")
        if declared is None:
            raise _node_err(in_name, in_node, "the Input declares no shape", self.path)
        shape = tuple(int(d) for d in np.asarray(declared).reshape(-1))
        if not shape or any(d <= 0 for d in shape):
            raise _node_err(in_name, in_node, f"input shape must be positive sizes, found "
                            f"{shape}", self.path)
        meta = _meta(in_node)
        self.layers.append(spec.InputLayer(shape=shape, weight=meta.get("input_weight"),
                                           bias=meta.get("input_bias")))
        self.reports.append(LayerReport(0, "input", [in_name]))
        seg = _Segment()
        for name, node in chain[1:]:
            kind = type(node).__name__
            if kind == "Output":
                self._flush(seg, final=True)
                declared = (node.output_type or {}).get("output")
                out = () if declared is None else tuple(
                    int(d) for d in np.asarray(declared).reshape(-1))
                if out and int(np.prod(out)) != self.layers[-1].size:
                    raise _node_err(name, node, f"declares {int(np.prod(out))} outputs but "
                                    f"the chain produces {self.layers[-1].size}", self.path)
                return
            if kind == "Identity":
                continue
            if kind == "Flatten":
                if not seg.empty():
                    raise _node_err(name, node, "Flatten between a synapse and its neuron is "
                                    "not supported", self.path)
                prev = self.layers[-1].shape
                self.layers.append(spec.FlattenLayer(shape=(int(np.prod(prev)),)))
                self.reports.append(LayerReport(len(self.layers) - 1, "flatten", [name]))
            elif kind in LINEAR_OPS:
                (seg.post if seg.syn else seg.pre).append((name, node))
            elif kind in SYNAPSES:
                if seg.syn is not None:
                    raise _node_err(name, node, f"follows the synapse '{seg.syn[0]}' with no "
                                    "neuron between them; only the last synapse of a chain "
                                    "may lack a neuron (an affine readout)", self.path)
                if seg.post:
                    raise _node_err(name, node, "Scale/Delay between two synapses is not "
                                    "supported", self.path)
                seg.syn = (name, node)
            elif kind in NEURONS:
                seg.neuron = (name, node)
                self._flush(seg)
                seg = _Segment()
            else:
                raise _node_err(name, node, "node type is not supported by the exchange "
                                f"format (supported: Input, Output, Identity, Flatten, "
                                f"{', '.join(SYNAPSES + NEURONS + LINEAR_OPS)})", self.path)
        raise AssertionError("chain without Output")  # pragma: no cover - _chain checks

    def _flush(self, seg: _Segment, final: bool = False) -> None:
        if seg.empty():
            return
        if seg.syn is None:
            if seg.neuron is not None and len(self.layers) == 1:
                return self._input_neuron(seg)
            name, node = (seg.neuron or seg.pre[0])
            raise _node_err(name, node, "has no synapse (Affine, Linear, Conv2d, SumPool2d, "
                            "AvgPool2d) before it; neurons may only follow the Input directly",
                            self.path)
        if seg.neuron is None:
            name, node = seg.syn
            if not final or type(node).__name__ not in ("Affine", "Linear"):
                raise _node_err(name, node, "a synapse must be followed by a neuron node "
                                "(only a final Affine/Linear may be a readout)", self.path)
        return self._layer(seg)

    # ---- scale choice
    def _scale(self, hint: Dict[str, Any], weights: Optional[np.ndarray],
               threshold: Optional[np.ndarray], per_int: float) -> Tuple[float, bool]:
        """State scale ``k`` and whether it came from the caller or a netx round trip."""
        if self.forced is not None:
            return float(self.forced), True
        if "state_scale" in hint:
            return float(hint["state_scale"]), True
        limits = []
        if weights is not None and np.any(weights != 0):
            mixed = np.any(weights > 0) and np.any(weights < 0)
            limits.append(64.0 * (254 if mixed else 255) * per_int / np.abs(weights).max())
        if threshold is not None:
            limits.append(64.0 * VTH_MANT_MAX / threshold.max())
        return (min(limits) if limits else DEFAULT_STATE_SCALE), False

    # ---- the neuron group
    def _neuron(self, seg: _Segment, dyn: _Dynamics, k: float, hint: Dict[str, Any],
                rep: LayerReport) -> spec.CubaNeuron:
        if dyn.threshold is None:
            vth = np.full(dyn.i_decay.shape, hint.get("vth_mant", NONSPIKING_VTH_MANT))
        else:
            exact = k * dyn.threshold / 64.0
            vth = np.round(exact)
            if np.any(vth > VTH_MANT_MAX):
                rep.notes.append(f"threshold mantissa {int(vth.max())} exceeds Loihi's 17 bits")
            if np.any(vth < 1):
                raise _node_err(*seg.neuron, f"threshold rounds to 0 at state scale {k:.4g}: "
                                "pass a larger state_scale", self.path)
            rep.threshold_error = float(np.max(np.abs(vth - exact) / exact))
        extra = {key[len("extra_"):]: v for key, v in hint.items() if key.startswith("extra_")}
        # a netx export lists every optional key it had; other graphs get lava-dl's defaults
        ours = "neuron_type" in hint
        return spec.CubaNeuron(
            type=hint.get("neuron_type", "CUBA"), i_decay=_scalar_or_array(dyn.i_decay),
            v_decay=_scalar_or_array(dyn.v_decay),
            vth_mant=_scalar_or_array(np.asarray(vth).astype(np.int64)),
            ref_delay=hint.get("ref_delay", None if ours else 1),
            wgt_exp=hint.get("wgt_exp", None if ours else 0),
            graded_spike=hint.get("graded_spike", None if ours else False),
            message_bits=hint.get("message_bits"), extra=extra)

    def _input_neuron(self, seg: _Segment) -> None:
        name, node = seg.neuron
        layer = self.layers[0]
        shape = layer.shape
        dyn = _dynamics(name, node, shape, self.dt, self.path)
        gain = dyn.gain_mem * dyn.gain_syn * self._pre_scale(seg.pre, int(np.prod(shape)))
        hint = _meta(node)
        # the input transform a_in = x * weight plays the weights' part: it fills 8 bits
        k, _ = self._scale(hint, gain, dyn.threshold, 1.0)
        rep = self.reports[0]
        rep.nodes += seg.names()
        rep.state_scale, rep.i_decay_error, rep.v_decay_error = k, dyn.i_err, dyn.v_err
        rep.notes += dyn.notes
        if np.any(dyn.leak != 0):
            raise _node_err(name, node, "v_leak on an input neuron is not supported", self.path)
        if "state_scale" not in hint and layer.weight is None:
            # the data transform the user applies: a_in = x * weight (x64 grid)
            wt = k * gain / 64.0
            layer.weight = float(wt[0]) if np.all(wt == wt[0]) else wt.astype(np.float32)
        layer.neuron = self._neuron(seg, dyn, k, hint, rep)

    def _ops(self, ops: List[Tuple[str, Any]], size: int
             ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """Scale and Delay nodes on one side of a synapse -> (scale per value, delay steps)."""
        scale = np.ones(size)
        delay = None
        for name, node in ops:
            if type(node).__name__ == "Scale":
                s = np.asarray(node.scale, dtype=np.float64).reshape(-1)
                if s.size not in (1, size):
                    raise _node_err(name, node, f"scale has {s.size} values, expected 1 or "
                                    f"{size}", self.path)
                scale = scale * s
            else:
                if delay is not None:
                    raise _node_err(name, node, "two Delay nodes on one layer", self.path)
                d = np.asarray(node.delay, dtype=np.float64).reshape(-1) / self.dt
                steps = np.round(d)
                if d.size not in (1, size) or np.any(steps < 0) or np.any(steps > DELAY_MAX):
                    raise _node_err(name, node, f"delays must be 1 or {size} values within "
                                    f"0..{DELAY_MAX} steps of dt={self.dt:g}", self.path)
                if np.any(np.abs(d - steps) > 1e-6 * np.maximum(1, d)):
                    raise _node_err(name, node, f"delays {node.delay} are not multiples of "
                                    f"dt={self.dt:g}", self.path)
                delay = steps.astype(np.int64)
        return scale, delay

    def _pre_scale(self, pre, size):
        scale, delay = self._ops(pre, size)
        if delay is not None:
            raise _node_err(*pre[0], "a Delay here has no place in the exchange format "
                            "(delays belong to dense synapses)", self.path)
        return scale

    # ---- one synapse (+ neuron) -> one layer
    def _layer(self, seg: _Segment) -> None:
        sname, snode = seg.syn
        skind = type(snode).__name__
        prev = self.layers[-1].shape
        n_prev = int(np.prod(prev))
        index = len(self.layers)
        rep = LayerReport(index, "", seg.names())
        # synapse -> exact float weights W, current bias b, geometry
        geometry: Dict[str, Any] = {}
        if skind in ("Affine", "Linear"):
            w = np.asarray(snode.weight, dtype=np.float64)
            if w.ndim != 2:
                raise _node_err(sname, snode, f"weight must be 2-D (n_out, n_in), found "
                                f"shape {w.shape}", self.path)
            if w.shape[1] != n_prev:
                raise _node_err(sname, snode, f"takes {w.shape[1]} inputs but the previous "
                                f"layer outputs {list(prev)} = {n_prev}", self.path)
            out_shape = (int(w.shape[0]),)
            b = np.asarray(getattr(snode, "bias", 0.0), dtype=np.float64)
            b = np.broadcast_to(b.reshape(-1) if b.size > 1 else b.reshape(()), out_shape)
            rep.kind = "dense"
        elif skind == "Conv2d":
            w = np.asarray(snode.weight, dtype=np.float64)
            if w.ndim != 4 or len(prev) != 3:
                raise _node_err(sname, snode, f"needs a 4-D weight and (C, H, W) input, found "
                                f"weight {w.shape} and input {list(prev)}", self.path)
            groups = int(snode.groups)
            if w.shape[1] * groups != prev[0]:
                raise _node_err(sname, snode, f"expects {w.shape[1] * groups} input channels, "
                                f"the previous layer outputs {prev[0]}", self.path)
            kernel = (int(w.shape[2]), int(w.shape[3]))
            stride = _pair(snode.stride, "stride", sname, snode, self.path)
            dilation = _pair(snode.dilation, "dilation", sname, snode, self.path)
            padding = snode.padding
            if isinstance(padding, str):
                if padding == "valid":
                    padding = (0, 0)
                else:  # 'same'
                    total = [d * (k - 1) for d, k in zip(dilation, kernel)]
                    if any(t % 2 for t in total) or stride != (1, 1):
                        raise _node_err(sname, snode, "padding='same' needs stride 1 and an "
                                        "odd (dilated) kernel to be symmetric", self.path)
                    padding = tuple(t // 2 for t in total)
            padding = _pair(padding, "padding", sname, snode, self.path)
            hw = tuple(spec.conv_output_size(n, k, s, p, d) for n, k, s, p, d in
                       zip(prev[1:], kernel, stride, padding, dilation))
            if min(hw) < 1:
                raise _node_err(sname, snode, f"output size {hw} is empty", self.path)
            out_shape = (int(w.shape[0]), *hw)
            b = np.asarray(snode.bias if snode.bias is not None else 0.0, dtype=np.float64)
            b = np.broadcast_to(b.reshape(-1, 1, 1) if b.size > 1 else b.reshape(()),
                                out_shape).reshape(-1)
            geometry = dict(kernel_size=kernel, stride=stride, padding=padding,
                            dilation=dilation, groups=groups)
            rep.kind = "conv"
        else:  # SumPool2d / AvgPool2d
            if len(prev) != 3:
                raise _node_err(sname, snode, f"needs (C, H, W) input, found {list(prev)}",
                                self.path)
            kernel = _pair(snode.kernel_size, "kernel_size", sname, snode, self.path)
            stride = _pair(snode.stride, "stride", sname, snode, self.path)
            padding = _pair(snode.padding, "padding", sname, snode, self.path)
            hw = tuple(spec.conv_output_size(n, k, s, p, 1) for n, k, s, p in
                       zip(prev[1:], kernel, stride, padding))
            if min(hw) < 1:
                raise _node_err(sname, snode, f"output size {hw} is empty", self.path)
            out_shape = (prev[0], *hw)
            tap = 1.0 if skind == "SumPool2d" else 1.0 / (kernel[0] * kernel[1])
            w = np.array([[tap]])
            b = np.zeros(int(np.prod(out_shape)))
            geometry = dict(kernel_size=kernel, stride=stride, padding=padding,
                            dilation=(1, 1))
            rep.kind = "pool"
            if skind == "AvgPool2d":
                rep.notes.append("AvgPool2d becomes a sum pool with weight 1/(kH kW)")
        size = int(np.prod(out_shape))
        b = np.asarray(b, dtype=np.float64).reshape(-1)
        if b.size == 1:
            b = np.full(size, float(b[0]))
        # pre ops scale the inputs (dense only), post ops scale/delay the outputs
        pre_scale, pre_delay = self._ops(seg.pre, n_prev)
        post_scale, post_delay = self._ops(seg.post, size)
        if rep.kind != "dense":
            if pre_delay is not None or post_delay is not None:
                raise _node_err(*(seg.pre + seg.post)[0], "delays are only supported on "
                                "dense synapses", self.path)
            if not np.all(pre_scale == pre_scale[0]):
                raise _node_err(*seg.pre[0], "a per-input Scale before a convolution or "
                                "pooling is not supported (only a uniform one)", self.path)
            w = w * pre_scale[0]
        else:
            w = w * pre_scale[None, :]
        # neuron -> per-neuron gains
        hint = _meta(seg.neuron[1]) if seg.neuron else _meta(snode)
        wgt_exp = int(hint.get("wgt_exp", 0) or 0)
        if seg.neuron is not None:
            dyn = _dynamics(*seg.neuron, out_shape, self.dt, self.path)
            rep.i_decay_error, rep.v_decay_error = dyn.i_err, dyn.v_err
            rep.notes += dyn.notes
            gain = dyn.gain_mem * dyn.gain_syn * post_scale  # per output neuron
            vbias = dyn.leak + dyn.gain_mem * dyn.w_in * post_scale * b  # NIR volts per step
            if np.any(b != 0) and np.any(dyn.i_decay < DECAY_UNITY):
                rep.notes.append("the synapse bias enters a decaying current; Loihi adds it to "
                                 "the voltage (exact in steady state, differs in the first "
                                 "tau_syn of a run)")
            threshold = dyn.threshold
        else:
            dyn, gain, vbias, threshold = None, post_scale, post_scale * b, None
        # effective weights per layer kind
        if rep.kind == "dense":
            w_eff = gain[:, None] * w
        elif rep.kind == "conv":
            per_c = gain.reshape(out_shape).reshape(out_shape[0], -1)
            if not np.allclose(per_c, per_c[:, :1], rtol=1e-12, atol=0):
                raise _node_err(*seg.neuron, "neuron gains (r, w_in, tau) vary within a "
                                "channel, which a shared convolution kernel cannot express",
                                self.path)
            w_eff = per_c[:, 0][:, None, None, None] * w
        else:
            if not np.allclose(gain, gain[0], rtol=1e-12, atol=0):
                raise _node_err(*seg.neuron, "neuron gains (r, w_in, tau) vary across a "
                                "pooling layer, whose one weight cannot express that", self.path)
            w_eff = gain[0] * w
        per_int = float(2 ** wgt_exp)
        k, exact_scale = self._scale(hint, w_eff, threshold, per_int)
        rep.state_scale = k
        exact_w = k * w_eff / 64.0 / per_int
        wq = _grid(exact_w, snap=not exact_scale and rep.kind != "pool")
        clipped = (wq < -256) | (wq > 255)
        rep.weights_clipped = int(clipped.sum())
        if rep.weights_clipped:
            rep.notes.append(f"{rep.weights_clipped} weights clipped to 8 bits [-256, 255]")
        wq = np.clip(wq, -256, 255)
        wmax = np.abs(w_eff).max() if w_eff.size else 0.0
        if wmax > 0:
            err = np.abs(wq * 64.0 * per_int / k - w_eff) / wmax
            rep.weight_error = float(err.max())
            rep.weight_rms_error = float(np.sqrt(np.mean(err ** 2)))
        # bias (voltage, mantissa with bias_exp 6)
        bias_exact = k * vbias / 64.0
        bias_q = np.round(bias_exact)
        rep.bias_error = float(np.max(np.abs(bias_q - bias_exact)) * 64.0 / k) if size else 0.0
        if np.any(np.abs(bias_q) > BIAS_MANT_MAX):
            rep.notes.append(f"bias mantissa up to {int(np.abs(bias_q).max())} exceeds Loihi's "
                             "13-bit signed range")
        keep_bias = bool(hint.get("keep_bias", False)) or np.any(bias_q != 0)
        neuron = self._neuron(seg, dyn, k, hint, rep) if dyn is not None else None
        layer: spec.Layer
        if rep.kind == "dense":
            delay = None
            if pre_delay is not None and post_delay is not None:
                raise _node_err(*seg.post[0], "Delay both before and after one synapse",
                                self.path)
            if pre_delay is not None or post_delay is not None:
                d = pre_delay if pre_delay is not None else post_delay
                n_in, n_out = int(w.shape[1]), size
                if n_in == n_out and not np.all(d == d[0]):
                    raise _node_err(*(seg.pre + seg.post)[0], "per-neuron delays on a square "
                                    "dense layer are ambiguous in the exchange format (input "
                                    "or output side)", self.path)
                delay = d[:1] if (hint.get("delay_scalar") or d.size == 1) else d
                delay = delay.astype(np.int64)
            layer = spec.DenseLayer(shape=out_shape, neuron=neuron,
                                    weight=wq.astype(np.float32),
                                    bias=bias_q.astype(np.float32) if keep_bias else None,
                                    delay=delay)
        elif rep.kind == "conv":
            cb = bias_q.reshape(out_shape).reshape(out_shape[0], -1)
            if not np.all(cb == cb[:, :1]):
                raise _node_err(*seg.neuron, "v_leak varies within a channel; a conv layer's "
                                "bias is one value per channel", self.path)
            layer = spec.ConvLayer(shape=out_shape, neuron=neuron, weight=wq.astype(np.float32),
                                   bias=cb[:, 0].astype(np.float32) if keep_bias else None,
                                   **geometry)
        else:
            if np.any(bias_q != 0):
                raise _node_err(*seg.neuron, "v_leak on a pooling layer is not supported (the "
                                "exchange format's pool layer has no bias)", self.path)
            layer = spec.PoolLayer(shape=out_shape, neuron=neuron, weight=int(wq.reshape(-1)[0]),
                                   **geometry)
        self.layers.append(layer)
        self.reports.append(rep)


def from_nir(graph_or_path: Union["nir.NIRGraph", PathType], dt: float = 1e-3, *,
             state_scale: Optional[float] = None, report: bool = False,
             ) -> Union[spec.Network, Tuple[spec.Network, NirReport]]:
    """Convert a chain-shaped NIR graph into a fixed-point exchange-format network.

    Args:
        graph_or_path: a :class:`nir.NIRGraph` or the path of a NIR hdf5 file.
        dt: the step length in seconds at which the continuous NIR dynamics are discretised
            (forward Euler, current first; see ``docs/nir.md``).
        state_scale: force the state scale ``k`` (Loihi state units per NIR voltage unit) of
            every layer.  ``None``: use the scale a netx export recorded in node metadata,
            else choose per layer the largest ``k`` that keeps weights within 8 bits and
            thresholds within 17 bits.
        report: also return a :class:`NirReport` with the rounding error of every layer.

    Returns:
        The validated :class:`netx.spec.Network` (layer 0 is an ``input`` layer of the NIR
        Input's shape), or ``(network, report)``.

    Raises:
        NetxFormatError: for unreadable files, non-chain graphs, unsupported node types or
            parameters the format cannot express; the message names the node and its type.
    """
    nir = _nir()
    path = None
    if isinstance(graph_or_path, (str, PathLike)):
        path = graph_or_path
        if not Path(path).is_file():
            raise _err("no such NIR file", path)
        try:
            graph = nir.read(path)
        except Exception as exc:  # nir raises many kinds (KeyError, ValueError, OSError ...)
            try:  # older exporters write graphs whose declared types do not check
                graph = nir.read(path, type_check=False)
            except Exception:
                raise _err(f"cannot read as a NIR graph: {type(exc).__name__}: {exc}",
                           path) from None
    else:
        graph = graph_or_path
    if not isinstance(graph, nir.NIRGraph):
        raise _err(f"expected a nir.NIRGraph or a path, found {type(graph).__name__}", path)
    imp = _Importer(dt, state_scale, path)
    try:
        imp.run(_chain(graph, path))
    except NetxFormatError:
        raise
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise _err(f"malformed NIR graph: {type(exc).__name__}: {exc}", path) from None
    gmeta = {k[len(META):]: _plain(v) for k, v in (graph.metadata or {}).items()
             if str(k).startswith(META)}
    sim = None
    if "Ts" in gmeta:
        sim = spec.Simulation(Ts=float(gmeta["Ts"]), tSample=gmeta.get("tSample"))
    net = spec.Network(layers=imp.layers, simulation=sim)
    try:
        spec.validate(net)
    except NetxFormatError as exc:
        raise exc.located(path=path) from None
    if report:
        return net, NirReport(dt=float(dt), layers=imp.reports)
    return net


# --------------------------------------------------------------------------- to_nir
def _tau(decay: np.ndarray, dt: float) -> np.ndarray:
    decay = np.asarray(decay, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(decay > 0, dt * DECAY_UNITY / np.maximum(decay, 1e-300),
                        dt * TAU_NO_DECAY)


def _neuron_meta(neuron: spec.CubaNeuron) -> Dict[str, Any]:
    md: Dict[str, Any] = {META + "state_scale": DEFAULT_STATE_SCALE,
                          META + "neuron_type": neuron.type}
    for key in ("ref_delay", "wgt_exp", "graded_spike", "message_bits"):
        value = getattr(neuron, key)
        if value is not None:
            md[META + key] = value
    for key, value in neuron.extra.items():
        if isinstance(value, (int, float, bool, str, np.ndarray, np.generic)):
            md[META + "extra_" + key] = value
    return md


def _export_neuron(layer: spec.Layer, i: int, dt: float, gain: float,
                   bias: Optional[np.ndarray], path) -> Tuple[str, Any]:
    """A CUBA neuron group -> LIF / CubaLIF / LI / CubaLI with SLAYER units (k = 4096).

    ``gain`` is the float weight the synapse hands over per unit (pool weights), ``bias`` the
    per-neuron voltage bias mantissa (or None)."""
    nir = _nir()
    neuron = layer.neuron
    if not isinstance(neuron, spec.CubaNeuron) or type(neuron) is not spec.CubaNeuron:
        raise _err(f"neuron type {neuron.type!r} has no NIR equivalent (only CUBA/LOIHI)",
                   path, i, "neuron/type")
    shape = layer.shape
    full = lambda v: np.broadcast_to(np.asarray(v, dtype=np.float64), (layer.size,))  # noqa
    i_decay, v_decay, vth = full(neuron.i_decay), full(neuron.v_decay), full(neuron.vth_mant)
    wgt = 2.0 ** (neuron.wgt_exp or 0)
    tau_syn, tau_mem = _tau(i_decay, dt), _tau(v_decay, dt)
    b = np.zeros(layer.size) if bias is None else full(bias)
    v_leak = b * tau_mem / (64.0 * dt)
    md = _neuron_meta(neuron)
    spiking = bool(np.all(vth <= VTH_MANT_MAX))
    if not spiking:
        if not np.all(vth == vth[0]):
            raise _err("mixes spiking and non-spiking thresholds", path, i, "neuron/vThMant")
        md[META + "vth_mant"] = int(vth[0])
    r_ = lambda a: a.reshape(shape)  # noqa: E731
    name = f"layer{i}_neuron"
    if np.all(i_decay == DECAY_UNITY):
        kw = dict(tau=r_(tau_mem), r=r_(tau_mem / dt * gain * wgt), v_leak=r_(v_leak))
        node = (nir.LIF(v_threshold=r_(vth / 64.0), **kw, metadata=md) if spiking
                else nir.LI(**kw, metadata=md))
    else:
        kw = dict(tau_syn=r_(tau_syn), tau_mem=r_(tau_mem), r=r_(tau_mem / dt),
                  v_leak=r_(v_leak), w_in=r_(tau_syn / dt * gain * wgt))
        node = (nir.CubaLIF(v_threshold=r_(vth / 64.0), **kw, metadata=md) if spiking
                else nir.CubaLI(**kw, metadata=md))
    return name, node


def to_nir(network_or_path: Union[spec.Network, PathType], dt: float = 1e-3) -> "nir.NIRGraph":
    """Export a fixed-point network as a float NIR graph (one chain).

    Units are SLAYER's (state scale 4096): a weight of ``w`` on the x64 grid becomes ``w/64``,
    a threshold mantissa ``m`` becomes ``m/64``, decays become ``tau = 4096 dt / decay`` with
    ``w_in = tau_syn/dt`` and ``r = tau_mem/dt`` so that one Euler step at ``dt`` reproduces
    the Loihi update, and a voltage bias becomes ``v_leak``.  Values the float ODEs do not
    carry (neuron type name, refDelay, wgtExp, training-only keys, the input transform) travel
    as ``netx_*`` node metadata, so :func:`from_nir` at the same ``dt`` gives back identical
    integers.

    Supported layers: input (with or without a CUBA neuron), dense (with optional delay),
    conv, pool (uniform weight), flatten and a final affine readout (dense without neuron).

    Raises:
        NetxFormatError: naming the layer, for layer kinds or neuron types NIR cannot express
            (recurrent, complex, transposed conv, unpool, average, concat, ALIF, RF, SDNN).
    """
    nir = _nir()
    path = None
    if isinstance(network_or_path, (str, PathLike)):
        path = network_or_path
        net = spec.read(path)
    else:
        net = spec.validate(network_or_path)
    if not (isinstance(dt, (int, float)) and dt > 0 and math.isfinite(dt)):
        raise _err(f"dt must be a positive number of seconds, found {dt!r}", path)
    dt = float(dt)
    nodes: Dict[str, Any] = {}
    shapes = spec.input_shapes(net)
    first = net.layers[0]
    if shapes[0] is None:
        raise _err("the first layer's input size is unknown (a conv layer without an input "
                   "layer); NIR needs it", path, 0, "shape")
    in_meta: Dict[str, Any] = {}
    if isinstance(first, spec.InputLayer):
        for key in ("weight", "bias"):
            value = getattr(first, key)
            if value is not None:
                in_meta[META + "input_" + key] = value
    nodes["input"] = nir.Input(input_type={"input": np.array(shapes[0])}, metadata=in_meta)
    for i, layer in enumerate(net.layers):
        prev = shapes[i]
        if isinstance(layer, spec.InputLayer):
            if i != 0:
                raise _err("an input layer may only come first", path, i, "type")
            if layer.neuron is not None:
                name, node = _export_neuron(layer, i, dt, 1.0, None, path)
                nodes[name] = node
            continue
        kind = layer.kind
        if kind == "flatten":
            nodes[f"layer{i}_flatten"] = nir.Flatten(input_type={"input": np.array(prev)},
                                                     start_dim=0, end_dim=-1)
            continue
        if kind not in ("dense", "conv", "pool"):
            raise _err(f"layer kind {kind!r} has no NIR chain equivalent (supported: input, "
                       "dense, conv, pool, flatten)", path, i, "type")
        if layer.neuron is None and kind != "dense":
            raise _err("only dense layers may lack a neuron group (readout)", path, i, "neuron")
        gain, bias, syn_meta = 1.0, None, {}
        if kind == "dense":
            w = np.asarray(layer.weight, dtype=np.float64) / 64.0
            if layer.neuron is None:
                b = None if layer.bias is None else np.broadcast_to(
                    np.asarray(layer.bias, dtype=np.float64).reshape(-1), (layer.size,)) / 64.0
                syn_meta = {META + "state_scale": DEFAULT_STATE_SCALE}
                if layer.bias is not None:
                    syn_meta[META + "keep_bias"] = True
                syn = (nir.Affine(weight=w, bias=b.copy(), metadata=syn_meta) if b is not None
                       else nir.Linear(weight=w, metadata=syn_meta))
            else:
                syn = nir.Linear(weight=w)
                bias = layer.bias
            delay = layer.delay
            if delay is not None:
                d = np.asarray(delay, dtype=np.float64).reshape(-1)
                n_in = layer.in_features
                if d.size == n_in and n_in != layer.size:
                    nodes[f"layer{i}_delay"] = nir.Delay(delay=d * dt)
                    delay = None
        elif kind == "conv":
            w = np.asarray(layer.weight, dtype=np.float64) / 64.0
            syn = nir.Conv2d(input_shape=tuple(int(v) for v in prev[1:]), weight=w,
                             stride=tuple(layer.stride), padding=tuple(layer.padding),
                             dilation=tuple(layer.dilation), groups=int(layer.groups),
                             bias=np.zeros(layer.out_channels))
            if layer.bias is not None:
                cb = np.asarray(layer.bias, dtype=np.float64).reshape(-1)
                bias = np.broadcast_to(cb.reshape(-1, 1, 1) if cb.size > 1 else cb,
                                       layer.shape).reshape(-1)
        else:  # pool
            if layer.weight is None:
                raise _err("a pool layer without weight has no defined scale", path, i,
                           "weight")
            taps = np.asarray(layer.weight, dtype=np.float64).reshape(-1)
            if not np.all(taps == taps[0]):
                raise _err("per-tap pool weights have no NIR equivalent (SumPool2d has one "
                           "weight)", path, i, "weight")
            if tuple(layer.dilation) != (1, 1):
                raise _err("dilated pooling has no NIR equivalent", path, i, "dilation")
            gain = taps[0] / 64.0
            syn = nir.SumPool2d(kernel_size=np.array(layer.kernel_size),
                                stride=np.array(layer.stride), padding=np.array(layer.padding))
        if layer.neuron is not None and getattr(layer, "bias", None) is not None:
            syn.metadata[META + "keep_bias"] = True
        nodes[f"layer{i}_{type(syn).__name__.lower()}"] = syn
        if kind == "dense" and delay is not None:
            d = np.broadcast_to(np.asarray(delay, dtype=np.float64).reshape(-1),
                                (layer.size,)) * dt
            dmeta = {META + "delay_scalar": True} if np.asarray(delay).size == 1 else {}
            nodes[f"layer{i}_delay"] = nir.Delay(delay=d.copy(), metadata=dmeta)
        if layer.neuron is not None:
            name, node = _export_neuron(layer, i, dt, gain, bias, path)
            if syn.metadata.get(META + "keep_bias"):
                node.metadata[META + "keep_bias"] = True
            if nodes.get(f"layer{i}_delay") is not None and \
                    nodes[f"layer{i}_delay"].metadata.get(META + "delay_scalar"):
                node.metadata[META + "delay_scalar"] = True
            nodes[name] = node
    last = net.layers[-1]
    nodes["output"] = nir.Output(output_type={"output": np.array(last.shape)})
    names = list(nodes)
    gmeta: Dict[str, Any] = {META + "dt": dt}
    if net.simulation is not None:
        gmeta[META + "Ts"] = net.simulation.Ts
        if net.simulation.tSample is not None:
            gmeta[META + "tSample"] = net.simulation.tSample
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names[:-1], names[1:])), metadata=gmeta)


# --------------------------------------------------------------------------- reference
def _pair2(value: Any) -> Tuple[int, int]:
    return tuple(int(v) for v in np.broadcast_to(np.asarray(value).reshape(-1), (2,)))


def _conv2d(x: np.ndarray, w: np.ndarray, stride: Tuple[int, int], padding: Any,
            dilation: Tuple[int, int], groups: int) -> np.ndarray:
    """float64 2-D cross-correlation (PyTorch's conv2d) of ``x`` (B, C, H, W) with ``w``
    (C_out, C/groups, kH, kW); ``padding`` is a (y, x) pair, 'same' or 'valid'."""
    from numpy.lib.stride_tricks import sliding_window_view

    b, c, _, _ = x.shape
    c_out, c_g, kh, kw = w.shape
    ext = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
    if isinstance(padding, str):
        padding = (0, 0) if padding == "valid" else ((ext[0] - 1) // 2, (ext[1] - 1) // 2)
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    win = sliding_window_view(xp, ext, axis=(2, 3))[
        :, :, ::stride[0], ::stride[1], ::dilation[0], ::dilation[1]]
    ho, wo = win.shape[2:4]
    win = win.reshape(b, groups, c_g, ho, wo, kh, kw)
    wg = np.asarray(w, dtype=np.float64).reshape(groups, c_out // groups, c_g, kh, kw)
    y = np.einsum("bgchwij,gocij->bgohw", win, wg, optimize=True)
    return y.reshape(b, c_out, ho, wo)


def simulate_nir(graph: "nir.NIRGraph", inputs: np.ndarray, dt: float = 1e-3,
                 ) -> Dict[str, np.ndarray]:
    """Float64 reference simulation of a NIR chain: forward Euler at step ``dt``.

    Per step every node maps its input ``x`` (the previous node's output at the same step:
    nodes add no delay) to its output; neurons update the current first and then the voltage
    with the new current (the order snnTorch and Loihi use)::

        CubaLIF: I += dt/tau_syn (w_in x - I);  v += dt/tau_mem (v_leak - v + r I)
        LIF:     v += dt/tau (v_leak - v + r x);      IF, I: v += dt r x
        spike z = v > v_threshold, then v = v_reset   (LI, CubaLI, I output v, never spike)

    Args:
        graph: the NIR graph (a chain, as :func:`from_nir` accepts).
        inputs: ``(T, *input_shape)`` or batched ``(B, T, *input_shape)`` values per step
            (spikes as 0/1), input shape in the NIR Input's (C, H, W) or (N,) order.
        dt: step length in seconds.

    Returns:
        ``{node name: (T, *output_shape) or (B, T, *output_shape)}`` for every node (spikes as
        float 0/1).
    """
    chain = _chain(graph, None)
    in_shape = tuple(int(d) for d in np.asarray(chain[0][1].input_type["input"]).reshape(-1))
    x_all = np.asarray(inputs, dtype=np.float64)
    batched = x_all.ndim == len(in_shape) + 2
    if not batched:
        x_all = x_all[None]
    if tuple(x_all.shape[2:]) != in_shape:
        raise _err(f"inputs of shape {np.shape(inputs)} do not fit the NIR input {in_shape} "
                   "(expected (T, *shape) or (B, T, *shape))")
    B, T = x_all.shape[:2]
    steps: List[Any] = []

    def conv_fn(w, b, stride, padding, dilation, groups):
        def f(x, st):
            return _conv2d(x, w, stride, padding, dilation, groups) + b
        return f

    for name, node in chain:
        kind = type(node).__name__
        g = lambda a, d=None, node=node: np.asarray(  # noqa: E731
            d if getattr(node, a, None) is None else getattr(node, a), dtype=np.float64)
        if kind in ("Input", "Output", "Identity"):
            f = lambda x, st: x  # noqa: E731
        elif kind == "Flatten":
            f = lambda x, st: x.reshape(x.shape[0], -1)  # noqa: E731
        elif kind in ("Affine", "Linear"):
            w = g("weight")
            b = g("bias", 0.0) if kind == "Affine" else 0.0
            f = lambda x, st, w=w, b=b: x.reshape(x.shape[0], -1) @ w.T + b  # noqa: E731
        elif kind == "Scale":
            f = lambda x, st, s=g("scale"): x * s  # noqa: E731
        elif kind == "Delay":
            def f(x, st, d=np.round(g("delay") / dt).astype(int)):
                buf = st.setdefault("buf", [])
                buf.insert(0, x)  # buf[k] = input k steps ago
                hist = np.stack(buf)
                idx = np.broadcast_to(np.minimum(d, len(buf) - 1), x.shape)
                y = np.take_along_axis(hist, idx[None], 0)[0]
                return np.where(np.broadcast_to(d, x.shape) < len(buf), y, 0.0)
        elif kind == "Conv2d":
            padding = node.padding if isinstance(node.padding, str) else _pair2(node.padding)
            b = g("bias", 0.0)
            f = conv_fn(g("weight"), b.reshape(-1, 1, 1) if b.size > 1 else b,
                        _pair2(node.stride), padding, _pair2(node.dilation), int(node.groups))
        elif kind in ("SumPool2d", "AvgPool2d"):
            k = _pair2(node.kernel_size)
            scale = 1.0 if kind == "SumPool2d" else 1.0 / (k[0] * k[1])

            def f(x, st, k=k, scale=scale, node=node):
                w = np.full((x.shape[1], 1, *k), scale)
                return conv_fn(w, 0.0, _pair2(node.stride), _pair2(node.padding), (1, 1),
                               x.shape[1])(x, st)
        elif kind == "Threshold":
            f = lambda x, st, th=g("threshold"): (x > th).astype(np.float64)  # noqa: E731
        elif kind in NEURONS:
            def f(x, st, node=node, kind=kind, g=g):
                v = st.get("v", np.zeros_like(x))
                if kind in ("CubaLIF", "CubaLI"):
                    i = st.get("i", np.zeros_like(x))
                    i = i + dt / g("tau_syn") * (g("w_in", 1.0) * x - i)
                    st["i"] = i
                    v = v + dt / g("tau_mem") * (g("v_leak", 0.0) - v + g("r") * i)
                elif kind in ("LIF", "LI"):
                    v = v + dt / g("tau") * (g("v_leak", 0.0) - v + g("r") * x)
                else:  # IF, I
                    v = v + dt * g("r") * x
                if kind in SPIKING:
                    z = v > g("v_threshold")
                    v = np.where(z, g("v_reset", 0.0), v)
                    st["v"] = v
                    return z.astype(np.float64)
                st["v"] = v
                return v
        else:
            raise _node_err(name, node, "node type is not supported by the reference "
                            "simulation", None)
        steps.append((name, f, {}))
    out: Dict[str, List[np.ndarray]] = {name: [] for name, _, _ in steps}
    for t in range(T):
        x = x_all[:, t]
        for name, f, st in steps:
            x = np.asarray(f(x, st), dtype=np.float64)
            out[name].append(x)
    return {name: (np.stack(v, 1) if batched else np.stack(v, 1)[0]) for name, v in out.items()}
