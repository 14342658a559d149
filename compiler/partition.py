"""Partition pass: assign every neuron of every layer to a (chip, core).

Algorithm (see docs/compiler.md):

1. **Tile each layer.**  A layer's output box ``(C, H, W)`` is cut into a grid of equal-as-
   possible blocks (channel x row x column tiles; a dense layer is ``(N, 1, 1)`` so its tiles
   are contiguous neuron ranges).  The tile shape is chosen among all distinct block sizes
   to use the fewest tiles such that one tile fits every per-core limit (neurons, synaptic
   memory = neurons x fan-in x synapse bits, input axons = distinct presynaptic neurons of the
   tile, computed as a box of the source); ties go to the shape with the fewest total input
   axons (less inter-core traffic).  All counts are per-axis arithmetic (numpy), never
   per-neuron loops, so a 1,000,000-neuron network tiles in well under a second.
2. **Output axons.**  Tile-to-tile edges (how many neurons of tile S feed tile D) are products
   of per-axis overlaps.  A tile's output axons = its (neuron, destination tile) pairs.  A
   layer whose tiles exceed the output-axon limit is re-tiled with fewer neurons per tile.
3. **Pack tiles into cores** in network order, first fit; among the cores a tile fits in, the
   one it exchanges most spikes with wins (networkx tile graph), so small layers share cores
   and spikes stay local.  Packed input/output axons are summed (an upper bound).
4. **Chips**: ``chip = core // cores_per_chip``; when the network spans several chips, cores
   are renumbered by filling one chip at a time with the cores that exchange the most spikes
   with it (greedy, on the networkx core graph), if that lowers inter-chip traffic.

Infeasible networks raise :class:`compiler.CompileError` naming layer, limit, needed, available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import networkx as nx
import numpy as np

import hw_profiles
from hw_profiles import HwProfile
from netx import spec

from .errors import CompileError
from .geometry import HOST, LayerGeom, network_geometry
from .report import PartitionLayerReport, PartitionReport

LIMITS = ("neurons", "synaptic_memory_bits", "input_axons", "output_axons")


def _candidates(n: int) -> np.ndarray:
    """All distinct block sizes ``ceil(n / k)`` for ``k = 1..n`` (O(sqrt n) values)."""
    if n <= 0:
        return np.array([1], dtype=np.int64)
    r = math.isqrt(n) + 1
    k = np.arange(1, r + 1, dtype=np.int64)
    vals = np.concatenate([-(-n // k), np.arange(1, r + 1, dtype=np.int64)])
    return np.unique(vals[(vals >= 1) & (vals <= n)])


def _blocks(n: int, t: int) -> np.ndarray:
    """Boundaries of ``ceil(n/t)`` balanced blocks of an axis of length ``n`` (each <= t)."""
    nb = max(-(-n // t), 1)
    return (np.arange(nb + 1, dtype=np.int64) * n) // nb


@dataclass
class Tiling:
    """The tile grid of one layer: block boundaries along C, H and W.

    Tiles are numbered ``(ic * nH + ih) * nW + iw``.
    """

    geom: LayerGeom
    bounds: Tuple[np.ndarray, np.ndarray, np.ndarray]
    limiting: str = ""

    @property
    def grid(self) -> Tuple[int, int, int]:
        return tuple(len(b) - 1 for b in self.bounds)  # type: ignore[return-value]

    @property
    def num_tiles(self) -> int:
        g = self.grid
        return g[0] * g[1] * g[2]

    @property
    def tile_shape(self) -> Tuple[int, int, int]:
        return tuple(int(np.diff(b).max()) for b in self.bounds)  # type: ignore[return-value]

    def boxes(self) -> np.ndarray:
        """``(T, 6)`` int64: ``c0, c1, y0, y1, x0, x1`` of every tile (half-open)."""
        lo = [b[:-1] for b in self.bounds]
        hi = [b[1:] for b in self.bounds]
        grids = np.meshgrid(*[np.arange(len(x)) for x in lo], indexing="ij")
        cols = []
        for ax in range(3):
            idx = grids[ax].ravel()
            cols += [lo[ax][idx], hi[ax][idx]]
        return np.stack(cols, axis=1).astype(np.int64)

    def neurons(self) -> np.ndarray:
        s = [np.diff(b) for b in self.bounds]
        return np.einsum("i,j,k->ijk", *s).ravel()

    def input_axons(self, host_only: bool = False) -> np.ndarray:
        """Distinct presynaptic neurons of every tile (exact, per source box); with
        ``host_only`` only those arriving from the host."""
        total = np.zeros(self.num_tiles, dtype=np.int64)
        for src in self.geom.sources:
            if host_only and src.layer != HOST:
                continue
            ext = []
            for ax in range(3):
                ext.append(src.maps[ax].counts(self.bounds[ax]))
            total += np.einsum("i,j,k->ijk", *ext).ravel()
        return total


EXACT_AXIS = 4096  # axes up to this length get exact per-position extents


def _extents(amap, n: int, cands: np.ndarray) -> np.ndarray:
    """Largest source extent read by any block when an axis of length ``n`` is cut into
    balanced blocks of at most ``cands[i]`` (exact for short axes, a bound otherwise)."""
    if amap.kind == "all" or n > EXACT_AXIS:
        return amap.bound(cands)
    out = np.empty(len(cands), dtype=np.int64)
    for i, t in enumerate(cands.tolist()):
        out[i] = int(amap.counts(_blocks(n, int(t))).max())
    return out


def _tile_axon_table(g: LayerGeom, cands: Sequence[np.ndarray],
                     idx: Sequence[np.ndarray]) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Input axons of the largest-reading tile for each candidate shape (sum over sources),
    and the per-source counts (for output-axon charging)."""
    per_source = []
    for src in g.sources:
        prod = np.ones(idx[0].shape, dtype=np.int64)
        for ax in range(3):
            prod = prod * _extents(src.maps[ax], g.box[ax], cands[ax])[idx[ax]]
        per_source.append(prod)
    total = np.sum(per_source, axis=0) if per_source else np.zeros(idx[0].shape, np.int64)
    return total, per_source


def choose_tiling(g: LayerGeom, profile: HwProfile, max_neurons: Optional[int] = None,
                  src_tiles: Optional[Dict[int, int]] = None) -> Tiling:
    """Tile shape with the fewest tiles that fits one core (see module docstring).

    With ``src_tiles`` (source layer -> its own tile count), the count also charges the extra
    source tiles this layer's tiling forces through the sources' output-axon limit: every
    (source neuron, destination tile) pair is one output axon, so ``tiles x axons`` pairs need
    at least ``tiles x axons / output_axons_per_core`` source tiles.

    Raises:
        CompileError: even a single neuron does not fit (fan-in too large).
    """
    C, H, W = g.box
    cands = (_candidates(C), _candidates(H), _candidates(W))
    idx = [a.ravel() for a in np.meshgrid(*[np.arange(len(c)) for c in cands], indexing="ij")]
    tc, th, tw = cands[0][idx[0]], cands[1][idx[1]], cands[2][idx[2]]
    neurons = tc * th * tw
    syn = neurons * (g.fan_in * g.synapse_bits)
    axons, per_source = _tile_axon_table(g, cands, idx)
    nmax = profile.neurons_per_core if max_neurons is None else min(max_neurons,
                                                                     profile.neurons_per_core)
    ok = (neurons <= nmax) & (syn <= profile.synaptic_memory_bits_per_core) \
        & (axons <= profile.input_axons_per_core)
    if not ok.any():
        one = np.ones(1, dtype=np.int64)
        need_syn = g.fan_in * g.synapse_bits
        if need_syn > profile.synaptic_memory_bits_per_core:
            raise CompileError(
                f"one neuron's {g.fan_in} synapses x {g.synapse_bits} bits do not fit a "
                "core's synaptic memory", layer=g.index, kind=g.kind,
                limit="synaptic_memory_bits", needed=int(need_syn),
                available=profile.synaptic_memory_bits_per_core)
        need_ax = int(_tile_axon_table(g, [one, one, one],
                                       [np.zeros(1, dtype=np.int64)] * 3)[0][0])
        raise CompileError(
            "one neuron reads from more distinct presynaptic neurons than a core has input "
            "axons", layer=g.index, kind=g.kind, limit="input_axons", needed=need_ax,
            available=profile.input_axons_per_core)
    tiles = (-(-C // tc)) * (-(-H // th)) * (-(-W // tw))
    cost = tiles.copy()
    for src, per in zip(g.sources, per_source):
        if src_tiles is None or src.layer == HOST or src.layer == g.index:
            continue
        pairs = tiles * per
        need = -(-pairs // profile.output_axons_per_core)
        cost += np.maximum(need - src_tiles.get(src.layer, 0), 0)
    big = np.iinfo(np.int64).max // 4
    cost = np.where(ok, cost, big)
    traffic = np.where(ok, tiles * axons, big)
    best = np.lexsort((-tc, traffic, cost))[0]
    t = (int(tc[best]), int(th[best]), int(tw[best]))
    tiling = Tiling(g, (_blocks(C, t[0]), _blocks(H, t[1]), _blocks(W, t[2])))
    # the binding constraint: the limit the largest tile comes closest to
    if tiling.num_tiles == 1:
        tiling.limiting = "none (one core)"
    else:
        util = {"neurons": neurons[best] / nmax,
                "synaptic_memory_bits": syn[best] / profile.synaptic_memory_bits_per_core,
                "input_axons": axons[best] / profile.input_axons_per_core}
        tiling.limiting = max(util, key=util.get)
        if max_neurons is not None and nmax < profile.neurons_per_core \
                and neurons[best] * 2 > nmax:
            tiling.limiting = "output_axons"
    return tiling


def tile_edges(dst: Tiling, src_tiling: Tiling, src_index_in_geom: int
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges ``(src_tile, dst_tile, n)`` from ``src_tiling`` to ``dst``: ``n`` = neurons of
    the source tile that the destination tile reads (each is one input axon of ``dst`` and
    one output axon of the source tile)."""
    src = dst.geom.sources[src_index_in_geom]
    per_axis = []
    for ax in range(3):
        per_axis.append(src.maps[ax].overlaps(dst.bounds[ax], src_tiling.bounds[ax]))
    dg, sg = dst.grid, src_tiling.grid
    (d0, s0, w0), (d1, s1, w1), (d2, s2, w2) = per_axis
    dt = ((d0[:, None, None] * dg[1] + d1[None, :, None]) * dg[2] + d2[None, None, :]).ravel()
    st = ((s0[:, None, None] * sg[1] + s1[None, :, None]) * sg[2] + s2[None, None, :]).ravel()
    w = (w0[:, None, None] * w1[None, :, None] * w2[None, None, :]).ravel()
    return st.astype(np.int64), dt.astype(np.int64), w.astype(np.int64)


@dataclass
class Partition:
    """Result of :func:`assign`: tilings, tile-to-core assignment and the tile graph."""

    geoms: List[LayerGeom]
    tilings: Dict[int, Tiling]                 # layer index -> tiling
    tile_offset: Dict[int, int]                 # layer index -> first global tile id
    tile_core: np.ndarray                       # (T,) core of every global tile
    tile_resources: np.ndarray                  # (T, 4) neurons, syn bits, in/out axons
    core_resources: np.ndarray                  # (cores, 4) summed per core
    graph: nx.Graph                             # tiles, edges weighted by spikes per wave
    core_graph: nx.Graph                        # cores (attrs chip, intra), weighted edges
    host_axons: int = 0
    notes: List[str] = field(default_factory=list)


def _out_axons(tilings: Dict[int, Tiling], li_src: int, consumers: List[int]) -> np.ndarray:
    """Output axons of every tile of layer ``li_src``: its (neuron, destination tile) pairs."""
    out = np.zeros(tilings[li_src].num_tiles, dtype=np.int64)
    for li in consumers:
        t = tilings[li]
        for k, src in enumerate(t.geom.sources):
            if src.layer == li_src:
                st, _, w = tile_edges(t, tilings[li_src], k)
                np.add.at(out, st, w)
    return out


def assign(net: spec.Network, profile: Union[str, HwProfile]) -> Partition:
    """Tile every core layer, fix output axons, pack tiles into cores (module docstring).

    Raises:
        CompileError: a layer cannot fit, or the system has too few cores.
    """
    profile = hw_profiles.load(profile)
    geoms = network_geometry(net, profile)
    base = {g.index: choose_tiling(g, profile) for g in geoms}
    src_tiles = {li: t.num_tiles for li, t in base.items()}
    tilings: Dict[int, Tiling] = {g.index: choose_tiling(g, profile, src_tiles=src_tiles)
                                  for g in geoms}
    # consumers of each layer, to recompute output axons
    consumers: Dict[int, List[int]] = {g.index: [] for g in geoms}
    for g in geoms:
        for src in g.sources:
            if src.layer != HOST and g.index not in consumers[src.layer]:
                consumers[src.layer].append(g.index)
    limit_out = profile.output_axons_per_core
    for g in reversed(geoms):
        li = g.index
        for _ in range(64):
            out = _out_axons(tilings, li, consumers[li])
            if out.size == 0 or out.max() <= limit_out:
                break
            t = tilings[li]
            neurons = t.neurons()
            worst = int(np.argmax(out))
            per_neuron = out[worst] / max(neurons[worst], 1)
            cap = int(min(neurons.max() - 1, math.floor(limit_out / per_neuron)))
            if cap < 1:
                raise CompileError(
                    "one neuron sends to more destination tiles than a core has output axons",
                    layer=li, kind=g.kind, limit="output_axons",
                    needed=int(math.ceil(per_neuron)), available=limit_out)
            tilings[li] = choose_tiling(g, profile, max_neurons=cap, src_tiles=src_tiles)
        else:  # pragma: no cover - defensive
            raise CompileError("could not meet the output-axon limit", layer=li, kind=g.kind,
                               limit="output_axons", needed=int(out.max()), available=limit_out)

    # ---- global tiles, resources and the tile graph
    tile_offset: Dict[int, int] = {}
    res_parts = []
    n_tiles = 0
    host_axons = 0
    for g in geoms:
        t = tilings[g.index]
        tile_offset[g.index] = n_tiles
        n = t.neurons()
        res_parts.append(np.stack([n, n * (g.fan_in * g.synapse_bits), t.input_axons(),
                                   np.zeros_like(n)], axis=1))
        n_tiles += t.num_tiles
        host_axons += int(t.input_axons(host_only=True).sum())
    res = np.concatenate(res_parts, axis=0) if res_parts else np.zeros((0, 4), dtype=np.int64)
    edge_parts = []
    for g in geoms:
        t = tilings[g.index]
        for k, src in enumerate(g.sources):
            if src.layer == HOST:
                continue
            st, dt, w = tile_edges(t, tilings[src.layer], k)
            st = st + tile_offset[src.layer]
            dt = dt + tile_offset[g.index]
            np.add.at(res[:, 3], st, w)
            edge_parts.append(np.stack([st, dt, w], axis=1))
    edges = np.concatenate(edge_parts) if edge_parts else np.zeros((0, 3), dtype=np.int64)
    graph = nx.Graph()
    graph.add_nodes_from(range(n_tiles))
    graph.add_weighted_edges_from(_aggregate(edges[:, 0], edges[:, 1], edges[:, 2]))

    # ---- pack tiles into cores
    cap = np.array([profile.neurons_per_core, profile.synaptic_memory_bits_per_core,
                    profile.input_axons_per_core, profile.output_axons_per_core],
                   dtype=np.int64)
    used = np.zeros((max(n_tiles, 1), 4), dtype=np.int64)
    tile_core = np.full(n_tiles, -1, dtype=np.int64)
    n_cores = 0
    tile_layer = np.concatenate([np.full(tilings[g.index].num_tiles, g.index)
                                 for g in geoms]) if geoms else np.zeros(0, dtype=np.int64)
    for tid in range(n_tiles):
        r = res[tid]
        fits = np.nonzero(np.all(used[:n_cores] + r <= cap, axis=1))[0]
        if fits.size:
            if fits.size == 1:
                core = int(fits[0])
            else:
                aff: Dict[int, int] = {}
                for nb, data in graph[tid].items():
                    c = int(tile_core[nb])
                    if c >= 0:
                        aff[c] = aff.get(c, 0) + data["weight"]
                # most spikes exchanged wins; ties go to the latest core (locality)
                scores = np.array([aff.get(int(c), 0) for c in fits[::-1]])
                core = int(fits[::-1][int(np.argmax(scores))])
        else:
            core = n_cores
            n_cores += 1
        used[core] += r
        tile_core[tid] = core
    if n_cores > profile.total_cores:
        first = int(np.nonzero(tile_core == profile.total_cores)[0][0])
        li = int(tile_layer[first])
        raise CompileError(
            f"the network needs more cores than the system has ({profile.chips} chip(s) x "
            f"{profile.cores_per_chip} cores); capacity runs out at this layer", layer=li,
            kind=net.layers[li].kind, limit="cores", needed=n_cores,
            available=profile.total_cores)
    notes = [f"layer {g.index}: {n}" for g in geoms for n in g.notes]
    # the core graph: cores (with their chip and intra-core spikes), edges weighted by the
    # spikes per wave between two cores
    cores = nx.Graph()
    ca, cb = tile_core[edges[:, 0]], tile_core[edges[:, 1]]
    same = ca == cb
    intra = np.zeros(n_cores, dtype=np.int64)
    np.add.at(intra, ca[same], edges[same, 2])
    cores.add_nodes_from((c, {"chip": c // profile.cores_per_chip, "intra": int(intra[c])})
                         for c in range(n_cores))
    cores.add_weighted_edges_from(_aggregate(ca[~same], cb[~same], edges[~same, 2]))
    # ---- chips: renumber cores so that chip = core // cores_per_chip keeps busy pairs together
    if n_cores > profile.cores_per_chip:
        order = _chip_order(cores, profile.cores_per_chip)
        if _inter_chip(cores, order, profile.cores_per_chip) < \
                _inter_chip(cores, list(range(n_cores)), profile.cores_per_chip):
            new_id = np.empty(n_cores, dtype=np.int64)
            new_id[np.asarray(order, dtype=np.int64)] = np.arange(n_cores)
            tile_core = new_id[tile_core]
            used[:n_cores] = used[np.asarray(order, dtype=np.int64)]
            cores = nx.relabel_nodes(cores, {c: int(new_id[c]) for c in range(n_cores)})
            for c in range(n_cores):
                cores.nodes[c]["chip"] = c // profile.cores_per_chip
    return Partition(geoms, tilings, tile_offset, tile_core, res, used[:n_cores].copy(),
                     graph, cores, host_axons, notes)


def _inter_chip(cores: nx.Graph, order: List[int], per_chip: int) -> int:
    pos = {c: i for i, c in enumerate(order)}
    return sum(d["weight"] for a, b, d in cores.edges(data=True)
               if pos[a] // per_chip != pos[b] // per_chip)


def _chip_order(cores: nx.Graph, per_chip: int) -> List[int]:
    """Greedy chip filling: start each chip at the lowest remaining core, then keep adding
    the remaining core that exchanges the most spikes with the chip so far."""
    left = set(cores.nodes)
    order: List[int] = []
    while left:
        start = min(left)
        left.remove(start)
        chip = [start]
        aff: Dict[int, int] = {}
        node = start
        while True:
            for nb, d in cores[node].items():
                if nb in left:
                    aff[nb] = aff.get(nb, 0) + d["weight"]
            if len(chip) == per_chip or not left:
                break
            node = max(aff, key=lambda c: (aff[c], -c)) if aff else min(left)
            aff.pop(node, None)
            left.remove(node)
            chip.append(node)
        order += chip
    return order


def _aggregate(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> List[Tuple[int, int, int]]:
    """Undirected weighted edge list with parallel edges summed."""
    if a.size == 0:
        return []
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs, inv = np.unique(np.stack([lo, hi], axis=1), axis=0, return_inverse=True)
    tot = np.zeros(len(pairs), dtype=np.int64)
    np.add.at(tot, inv.ravel(), w)
    return list(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), tot.tolist()))


# --------------------------------------------------------------------------- reporting
def build_report(part: Partition, net: spec.Network, profile: HwProfile) -> PartitionReport:
    """Numbers of a :class:`Partition` as a :class:`PartitionReport`."""
    cap = np.array([profile.neurons_per_core, profile.synaptic_memory_bits_per_core,
                    profile.input_axons_per_core, profile.output_axons_per_core],
                   dtype=np.float64)
    layers = []
    for g in part.geoms:
        t = part.tilings[g.index]
        off = part.tile_offset[g.index]
        sl = slice(off, off + t.num_tiles)
        r = part.tile_resources[sl]
        cores = np.unique(part.tile_core[sl])
        util = {name: float(r[:, k].max() / cap[k]) for k, name in enumerate(LIMITS)}
        layers.append(PartitionLayerReport(
            index=g.index, kind=g.kind, neurons=g.size, tiles=t.num_tiles,
            tile_shape=t.tile_shape, cores=int(cores.size),
            first_core=int(cores.min()), last_core=int(cores.max()), fan_in=g.fan_in,
            synapse_bits=g.synapse_bits, limiting=t.limiting, utilisation=util,
            input_axons=int(r[:, 2].sum()), output_axons=int(r[:, 3].sum()),
            notes=list(g.notes)))
    cr = part.core_resources.astype(np.float64)
    n_cores = int(cr.shape[0])
    chips = (np.arange(n_cores) // profile.cores_per_chip) if n_cores else np.zeros(0)
    cg = part.core_graph
    intra = sum(d["intra"] for _, d in cg.nodes(data=True))
    inter = sum(d["weight"] for _, _, d in cg.edges(data=True))
    inter_chip = sum(d["weight"] for a, b, d in cg.edges(data=True)
                     if cg.nodes[a]["chip"] != cg.nodes[b]["chip"])
    core_graph_edges = cg.number_of_edges()
    umean = {name: float((cr[:, k] / cap[k]).mean()) if n_cores else 0.0
             for k, name in enumerate(LIMITS)}
    umax = {name: float((cr[:, k] / cap[k]).max()) if n_cores else 0.0
            for k, name in enumerate(LIMITS)}
    energy = None
    if profile.energy_per_synop_pj is not None and profile.energy_per_neuron_update_pj is not None:
        synops = float(sum(g.size * g.fan_in for g in part.geoms))
        neurons = float(sum(g.size for g in part.geoms))
        energy = synops * profile.energy_per_synop_pj + \
            neurons * profile.energy_per_neuron_update_pj
    return PartitionReport(
        profile=profile.name, cores_used=n_cores, cores_available=profile.total_cores,
        chips_used=int(np.unique(chips).size) if n_cores else 0, chips_available=profile.chips,
        neurons=int(sum(g.size for g in part.geoms)),
        utilisation_mean=umean, utilisation_max=umax, inter_core_spikes=int(inter),
        intra_core_spikes=int(intra), inter_chip_spikes=int(inter_chip),
        host_input_axons=int(part.host_axons), core_graph_edges=int(core_graph_edges),
        energy_upper_bound_pj=energy, layers=layers, notes=list(part.notes))


# --------------------------------------------------------------------------- storage
def to_extras(part: Partition, profile: HwProfile) -> Dict[str, object]:
    """The partition as nested dicts of arrays for ``net.extras['compiler']['partition']``.

    Per core layer ``layer_<i>``: ``boxes`` (T, 6) int64 tile boxes ``c0,c1,y0,y1,x0,x1`` in
    the layer's (C, H, W) output box (dense: (N, 1, 1)), ``core`` (T,) and ``chip`` (T,).
    """
    out: Dict[str, object] = {"num_cores": np.int64(part.core_resources.shape[0]),
                              "cores_per_chip": np.int64(profile.cores_per_chip)}
    for g in part.geoms:
        t = part.tilings[g.index]
        off = part.tile_offset[g.index]
        core = part.tile_core[off:off + t.num_tiles].astype(np.int64)
        out[f"layer_{g.index}"] = {"boxes": t.boxes(), "core": core,
                                   "chip": core // profile.cores_per_chip}
    return out


def neuron_cores(partition: Dict[str, object], layer: int, shape: Sequence[int]) -> np.ndarray:
    """Core of every neuron of ``layer`` (flattened C, H, W order) from a stored partition
    (``net.extras['compiler']['partition']``); -1 for none (a layer that uses no core)."""
    from .geometry import as_box
    box = as_box(shape)
    cores = np.full(box, -1, dtype=np.int64)
    entry = partition.get(f"layer_{layer}")
    if entry is None:
        return cores.ravel()
    for (c0, c1, y0, y1, x0, x1), c in zip(np.asarray(entry["boxes"]),
                                           np.asarray(entry["core"])):
        cores[c0:c1, y0:y1, x0:x1] = c
    return cores.ravel()


def partition(net: spec.Network, profile: Union[str, HwProfile] = "loihi2"
              ) -> Tuple[spec.Network, PartitionReport]:
    """The partition pass: returns a copy of ``net`` whose ``extras['compiler']['partition']``
    holds the assignment (see :func:`to_extras`), and the report.

    Raises:
        CompileError: the network does not fit the profile.
    """
    import copy
    profile = hw_profiles.load(profile)
    part = assign(net, profile)
    report = build_report(part, net, profile)
    out = copy.copy(net)
    out.extras = dict(net.extras)
    comp = dict(out.extras.get("compiler", {}))
    comp["profile"] = profile.name
    comp["partition"] = to_extras(part, profile)
    out.extras["compiler"] = comp
    return out, report
