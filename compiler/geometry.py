"""Connectivity of each layer as box arithmetic, for the partitioner.

Every layer that occupies cores is seen as a box of neurons ``(C, H, W)`` (a dense layer of
``N`` neurons is ``(N, 1, 1)``; neurons are numbered in C, H, W order as the file stores them).
Its presynaptic neurons come from *sources* (the previous core layer, the host, or itself for
recurrent layers).  For each source, each axis of the layer's box maps a block of output
indices ``[lo, hi)`` to the block of source indices its neurons read from: convolution
windows, transposed windows, channel groups, or the whole axis.  Because connectivity is
separable per axis, the presynaptic set of any tile (a box of the layer) is a box of the
source, and counts of distinct presynaptic neurons, synapses and tile-to-tile edges are
products of per-axis counts: no per-neuron or per-synapse loops.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from hw_profiles import HwProfile
from netx import spec

#: layer kinds that only reshape or regroup spikes and occupy no cores
STRUCTURAL = ("flatten", "concat")
HOST = -1  # source index of spikes that come from outside the chips


@dataclass(frozen=True)
class AxisMap:
    """How one output axis of a layer reads one axis of its source.

    kind:
        ``all``: every output index reads the whole source axis (dense).
        ``window``: output ``y`` reads ``y*s - p + j*d`` for ``j < k`` (conv, pool).
        ``twindow``: output ``y`` reads ``i`` with ``y = i*s - p + j*d`` (convT, unpool).
        ``group``: output index ``c`` reads ``[g*n_in, (g+1)*n_in)`` with ``g = c // n_out``
            (channel groups; ``n_out = n_in = 1`` is one-to-one, depthwise).
    size_in: length of the source axis.
    """

    kind: str
    size_in: int
    k: int = 1
    s: int = 1
    p: int = 0
    d: int = 1
    n_out: int = 1
    n_in: int = 1

    def region(self, lo: np.ndarray, hi: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Source block ``[rlo, rhi)`` read by output blocks ``[lo, hi)`` (int64 arrays,
        clipped to the source axis; ``rhi <= rlo`` means empty)."""
        lo = np.asarray(lo, dtype=np.int64)
        hi = np.asarray(hi, dtype=np.int64)
        if self.kind == "all":
            rlo, rhi = np.zeros_like(lo), np.full_like(hi, self.size_in)
        elif self.kind == "window":
            rlo = lo * self.s - self.p
            rhi = (hi - 1) * self.s - self.p + self.d * (self.k - 1) + 1
        elif self.kind == "twindow":
            rlo = -((-(lo + self.p - self.d * (self.k - 1))) // self.s)  # ceil division
            rhi = (hi - 1 + self.p) // self.s + 1
        elif self.kind == "group":
            rlo = (lo // self.n_out) * self.n_in
            rhi = ((hi - 1) // self.n_out + 1) * self.n_in
        else:  # pragma: no cover - programming error
            raise AssertionError(self.kind)
        rlo = np.clip(rlo, 0, self.size_in)
        rhi = np.clip(rhi, 0, self.size_in)
        return rlo, np.maximum(rhi, rlo)

    def bound(self, t: np.ndarray) -> np.ndarray:
        """Largest source extent read by any block of ``t`` consecutive outputs."""
        t = np.asarray(t, dtype=np.int64)
        if self.kind == "all":
            ext = np.full_like(t, self.size_in)
        elif self.kind == "window":
            ext = (t - 1) * self.s + self.d * (self.k - 1) + 1
        elif self.kind == "twindow":
            ext = (t - 1 + self.d * (self.k - 1)) // self.s + 1
        else:  # group: t consecutive indices span at most this many groups
            ext = ((t + self.n_out - 2) // self.n_out + 1) * self.n_in
        return np.minimum(ext, self.size_in)


    # ---- exact counts (windows with gaps: dilation > 1, or stride > kernel) -----------------
    @property
    def gappy(self) -> bool:
        """Whether a block's reads can have holes, so that the box ``region`` overcounts."""
        if self.kind == "window":
            return (self.d > 1 and self.k > 1) or self.s > self.k
        if self.kind == "twindow":
            return self.d > 1 and self.k > 1
        return False

    def incidence(self, n_out: int) -> Optional[np.ndarray]:
        """Boolean ``(n_out, size_in)`` matrix of which source index each output reads, for
        gappy maps small enough (<= :data:`MAX_INCIDENCE` cells); else ``None``."""
        if not self.gappy or n_out * self.size_in > MAX_INCIDENCE:
            return None
        return _incidence(self, n_out)

    def counts(self, bounds: np.ndarray) -> np.ndarray:
        """Distinct source indices read by each block ``[bounds[i], bounds[i+1])`` (exact
        where :meth:`incidence` is available, else the box count, an upper bound)."""
        inc = self.incidence(int(bounds[-1]))
        if inc is None:
            rlo, rhi = self.region(bounds[:-1], bounds[1:])
            return rhi - rlo
        return np.logical_or.reduceat(inc, bounds[:-1], axis=0).sum(axis=1).astype(np.int64)

    def overlaps(self, bounds: np.ndarray, src_bounds: np.ndarray
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nonzero ``(block, source block, count)``: how many indices of each source block
        each output block reads."""
        inc = self.incidence(int(bounds[-1]))
        if inc is None:
            rlo, rhi = self.region(bounds[:-1], bounds[1:])
            s_lo, s_hi = src_bounds[:-1], src_bounds[1:]
            ov = np.minimum(rhi[:, None], s_hi[None, :]) - np.maximum(rlo[:, None],
                                                                        s_lo[None, :])
        else:
            reads = np.logical_or.reduceat(inc, bounds[:-1], axis=0).astype(np.int64)
            cum = np.concatenate([np.zeros((reads.shape[0], 1), np.int64),
                                  np.cumsum(reads, axis=1)], axis=1)
            ov = cum[:, src_bounds[1:]] - cum[:, src_bounds[:-1]]
        d, s = np.nonzero(ov > 0)
        return d, s, ov[d, s].astype(np.int64)


MAX_INCIDENCE = 1 << 24


@functools.lru_cache(maxsize=64)
def _incidence(amap: AxisMap, n_out: int) -> np.ndarray:
    inc = np.zeros((n_out, amap.size_in), dtype=bool)
    y = np.arange(n_out)[:, None]
    j = np.arange(amap.k)[None, :]
    if amap.kind == "window":
        i = y * amap.s - amap.p + j * amap.d
        ok = (i >= 0) & (i < amap.size_in)
    else:  # twindow: y = i*s - p + j*d
        num = y + amap.p - j * amap.d
        i = num // amap.s
        ok = (num % amap.s == 0) & (i >= 0) & (i < amap.size_in)
    rows = np.broadcast_to(y, i.shape)[ok]
    inc[rows, i[ok]] = True
    inc.setflags(write=False)
    return inc


def identity(size: int) -> AxisMap:
    """One-to-one axis map."""
    return AxisMap("group", size, n_out=1, n_in=1)


@dataclass
class Source:
    """Where a layer's spikes come from: ``layer`` index, :data:`HOST`, or the layer itself
    (recurrent), with one :class:`AxisMap` per axis of the layer's box."""

    layer: int
    box: Tuple[int, int, int]
    maps: Tuple[AxisMap, AxisMap, AxisMap]


@dataclass
class LayerGeom:
    """What the partitioner needs to know about one core layer.

    Attributes:
        index, kind: position and type of the layer in the file.
        box: ``(C, H, W)`` output box (dense ``(N, 1, 1)``).
        fan_in: synapses per neuron (for conv: ``C_in/groups * kH * kW``, the full kernel).
        synapse_bits: memory per synapse (weight width, plus delay bits when delayed).
        sources: presynaptic sources.
        notes: approximations made (e.g. connectivity taken as all-to-all).
    """

    index: int
    kind: str
    box: Tuple[int, int, int]
    fan_in: int
    synapse_bits: int
    sources: List[Source]
    notes: List[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return int(self.box[0]) * int(self.box[1]) * int(self.box[2])


# --------------------------------------------------------------------------- weights
def integer_weight_width(arrays: Sequence[np.ndarray]) -> Optional[int]:
    """Bits a synapse of these integer-valued weights needs, uncapped; ``None`` when there are
    no weights or some are not integers (or beyond 2^40).

    Lava stores weights with a sign mode per matrix; the width counts the sign bit only for
    mixed-sign weights, and drops trailing zero bits shared by all weights (Lava's
    ``num_weight_bits``).
    """
    ws = [np.asarray(a, dtype=np.float64).ravel() for a in arrays if a is not None]
    ws = [w for w in ws if w.size]
    if not ws:
        return None
    w = np.concatenate(ws)
    if not np.all(np.isfinite(w)) or not np.all(w == np.round(w)) or np.abs(w).max() > 2 ** 40:
        return None
    m = w.astype(np.int64)
    nz = m[m != 0]
    if nz.size == 0:
        return 1
    tz = 0
    while tz < 40 and np.all((nz >> tz) & 1 == 0):
        tz += 1
    m = m >> tz
    lo, hi = int(m.min()), int(m.max())
    if lo < 0 < hi:  # mixed sign: two's complement width
        bits = max((-lo - 1).bit_length(), hi.bit_length()) + 1
    else:
        bits = max(abs(lo), abs(hi)).bit_length()
    return int(max(bits, 1))


def weight_width(arrays: Sequence[np.ndarray], profile: HwProfile) -> int:
    """Bits a synapse of these weights takes on the profile: :func:`integer_weight_width`
    capped at the profile's width; non-integer (float) weights take the full width."""
    bits = integer_weight_width(arrays)
    return profile.weight_bits if bits is None else min(bits, profile.weight_bits)


def _synapse_bits(layer: spec.Layer, profile: HwProfile) -> int:
    arrays: List[Optional[np.ndarray]] = []
    for name in ("weight", "weight_rec", "weight_imag"):
        v = getattr(layer, name, None)
        if v is not None:
            arrays.append(np.asarray(v))
    bits = weight_width(arrays, profile) if arrays else profile.weight_bits
    delay = getattr(layer, "delay", None)
    if delay is not None and np.any(np.asarray(delay) != 0):
        bits += profile.delay_bits
    return bits


# --------------------------------------------------------------------------- layers
def as_box(shape: Sequence[int]) -> Tuple[int, int, int]:
    """``(C, H, W)`` box of a stored shape; 1-D and other shapes become ``(N, 1, 1)``."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 3:
        return shape  # type: ignore[return-value]
    return (int(np.prod(shape)) if shape else 0, 1, 1)


def _all_maps(box: Tuple[int, int, int]) -> Tuple[AxisMap, AxisMap, AxisMap]:
    return tuple(AxisMap("all", n) for n in box)  # type: ignore[return-value]


def _inferred_input(layer: spec.Layer, c_in: int) -> Tuple[int, int, int]:
    """Smallest input box consistent with a first conv/pool layer's output (the file does not
    store a first layer's input size)."""
    out = as_box(layer.shape)
    dims = []
    for ax in range(2):
        k, s, p, d = (layer.kernel_size[ax], layer.stride[ax], layer.padding[ax],
                      layer.dilation[ax])
        n = out[1 + ax]
        if layer.kind in ("convT", "unpool"):
            dims.append(max(1, -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1))
        else:
            dims.append(max(1, (n - 1) * s - 2 * p + d * (k - 1) + 1))
    return (c_in, dims[0], dims[1])


def _spatial_maps(layer: spec.Layer, src_box: Tuple[int, int, int], chan: AxisMap
                  ) -> Tuple[AxisMap, AxisMap, AxisMap]:
    kind = "twindow" if layer.kind in ("convT", "unpool") else "window"
    maps = [chan]
    for ax in range(2):
        maps.append(AxisMap(kind, src_box[1 + ax], k=int(layer.kernel_size[ax]),
                            s=int(layer.stride[ax]), p=int(layer.padding[ax]),
                            d=int(layer.dilation[ax])))
    return tuple(maps)  # type: ignore[return-value]


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _taps(layer: spec.Layer, ax: int) -> int:
    """Most kernel taps of a transposed window that hit one output along an axis: taps ``j``
    with ``j*d = y + p (mod s)``, a residue that repeats every ``s / gcd(d, s)`` taps."""
    k, s, d = int(layer.kernel_size[ax]), int(layer.stride[ax]), int(layer.dilation[ax])
    return _ceil_div(k, s // math.gcd(d, s))


def network_geometry(net: spec.Network, profile: HwProfile) -> List[LayerGeom]:
    """The :class:`LayerGeom` of every layer that occupies cores, in file order.

    Structural layers (``flatten``, ``concat``) and a non-spiking ``input`` layer (data that
    arrives from the host) occupy no cores; the next layer reads through them.
    """
    layers = net.layers
    in_shapes = spec.input_shapes(net)
    geoms: List[LayerGeom] = []
    core_layer = [False] * len(layers)
    for i, layer in enumerate(layers):
        if layer.kind in STRUCTURAL:
            continue
        if layer.kind == "input" and layer.neuron is None:
            continue
        core_layer[i] = True
        box = as_box(layer.shape)
        notes: List[str] = []
        # ---- the source: nearest earlier core layer, else the host
        j = i - 1
        while j >= 0 and not core_layer[j]:
            if layers[j].kind == "input":  # non-spiking input: data from the host
                break
            j -= 1
        if j >= 0 and core_layer[j]:
            src_idx, src_box = j, as_box(layers[j].shape)
        else:
            src_idx = HOST
            if j >= 0:
                src_box = as_box(layers[j].shape)
            elif in_shapes[i] is not None:
                src_box = as_box(in_shapes[i])
            else:
                c_in = getattr(layer, "in_channels", box[0])
                src_box = _inferred_input(layer, c_in)
        kind = layer.kind
        # an input layer's scalar weight is a data transform, not a synapse: its host
        # synapses are counted at the profile's full weight width
        bits = profile.weight_bits if kind == "input" else _synapse_bits(layer, profile)
        sources: List[Source] = []
        if kind == "input":
            fan_in = 1
            sources.append(Source(HOST, box, tuple(identity(n) for n in box)))
        elif kind in ("dense", "dense_rec", "dense_comp"):
            n_in = int(layer.in_features)
            n_out = int(layer.out_features)
            fan_in = n_in * (2 if kind == "dense_comp" else 1)
            if kind == "dense_rec":
                fan_in += n_out
            sources.append(Source(src_idx, src_box, _all_maps(src_box)))
            if kind == "dense_rec":
                sources.append(Source(i, box, _all_maps(box)))
        elif kind in ("conv", "convT"):
            c_in, c_out, g = int(layer.in_channels), int(layer.out_channels), int(layer.groups)
            kh, kw = int(layer.kernel_size[0]), int(layer.kernel_size[1])
            if kind == "conv":
                fan_in = (c_in // g) * kh * kw
            else:
                fan_in = (c_in // g) * _taps(layer, 0) * _taps(layer, 1)
            if src_box[0] == c_in:
                chan = AxisMap("group", c_in, n_out=c_out // g, n_in=c_in // g)
                maps = _spatial_maps(layer, src_box, chan)
            else:
                maps = _all_maps(src_box)
                notes.append(f"source box {src_box} does not match {c_in} input channels: "
                             "connectivity taken as all-to-all")
            sources.append(Source(src_idx, src_box, maps))
        elif kind in ("pool", "unpool"):
            kh, kw = int(layer.kernel_size[0]), int(layer.kernel_size[1])
            if kind == "pool":
                fan_in = kh * kw
            else:
                fan_in = _taps(layer, 0) * _taps(layer, 1)
            if src_box[0] == box[0]:
                maps = _spatial_maps(layer, src_box, identity(box[0]))
            else:
                maps = _all_maps(src_box)
                notes.append(f"source box {src_box} has other channels than {box[0]}: "
                             "connectivity taken as all-to-all")
            sources.append(Source(src_idx, src_box, maps))
        elif kind == "average":
            n_src = src_box[0] * src_box[1] * src_box[2]
            n_out = max(box[0] * box[1] * box[2], 1)
            per = max(n_src // n_out, 1)
            fan_in = per
            if src_box[1] == src_box[2] == 1 and box[1] == box[2] == 1 and n_src == per * n_out:
                maps = (AxisMap("group", n_src, n_out=1, n_in=per), AxisMap("all", 1),
                        AxisMap("all", 1))
            else:
                maps = _all_maps(src_box)
                notes.append("average over a spatial source: connectivity taken as all-to-all")
            sources.append(Source(src_idx, src_box, maps))
        else:  # unknown kinds never get here (the spec validates kinds); be conservative
            n_src = src_box[0] * src_box[1] * src_box[2]
            fan_in = n_src
            sources.append(Source(src_idx, src_box, _all_maps(src_box)))
            notes.append(f"unmodelled kind {kind!r}: taken as all-to-all")
        geoms.append(LayerGeom(i, kind, box, int(fan_in), int(bits), sources, notes))
    return geoms
