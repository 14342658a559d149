"""Event-driven CPU kernel of the engine: one compiled loop per sample, numba-jitted.

The tensor engine (:mod:`netx.engine.core`) multiplies every weight by every input each
step.  Spiking layers are sparse (10-40 % of the neurons of ``mnist.net`` spike in a step),
and on a CPU a single sample's step is dominated by per-operation overhead.  This kernel
walks the network the way Loihi does: for each neuron that spiked in the previous step it
adds that neuron's fan-out row of weights into the next layer's input, then updates every
neuron with :func:`netx.fixed_point.cuba_neuron_step` (the scalar form of the CUBA equations,
compiled here, not rewritten).  Each synapse keeps its weighted spike sum from step to step
and updates it by the rows of the inputs whose spike changed, when those are fewer than the
set ones.  Weights and sums use the narrowest integer types that provably hold them (int8
weights and int16 sums for ``mnist.net``); the neuron state is int32, which the scalar
step is written for.  A bias-driven input layer is not stepped: its neurons are grouped by
spike train (:func:`held_input`).  Blocks of a batch's samples run on numba's threads
(``prange``).

Scope (anything else runs on the tensor engine): ``fixed_pt`` on the CPU, CUBA neuron groups
fed by Dense synapses (``input``, ``dense``, ``dense_rec``, affine readout, a final
``average``), spike or graded data, ``input_mode='bias'``, resets; no per-layer traces.
The result is the tensor engine's, bit for bit (tests/test_engine_event.py).

numba is optional: without it :func:`available` is False and the engine never picks this.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import types
from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import torch

from .. import fixed_point as fp
from ..fixed_point import DECAY_UNITY, cuba_neuron_step, shift_int

#: the numba module once imported (lazily: importing it costs about 0.3 s); None if absent
numba = None
_TRIED: List[bool] = []


def available() -> bool:
    """Whether numba is installed (the event kernel can run); imports it the first time."""
    global numba
    if not _TRIED:
        _TRIED.append(True)
        try:
            import numba as _numba
            numba = _numba
        except ImportError:  # pragma: no cover - exercised only where numba is absent
            pass
    return numba is not None


@dataclass
class EventPlan:
    """Flat arrays describing a network for the kernel (int64 unless noted; the neuron
    parameters ``i_decay``, ``v_decay``, ``vth`` and ``bias`` are int32).

    Neurons are numbered as in the engine's fused state ``(N,)``.  Synapse ``k`` reads
    neurons ``src_lo[k] .. src_lo[k] + n_in[k] - 1`` (``src_lo = -1``: the data) and adds
    into neurons ``dst_lo[k] ..`` (``n_out[k]`` of them); its weights are rows of ``n_out``
    values per input neuron at ``weights[w_off[k]:]``, the sum shifted by ``exp[k]``.
    """

    size: int
    i_decay: np.ndarray
    v_decay: np.ndarray
    vth: np.ndarray
    bias: np.ndarray
    src_lo: np.ndarray
    n_in: np.ndarray
    dst_lo: np.ndarray
    n_out: np.ndarray
    w_off: np.ndarray
    exp: np.ndarray
    weights: np.ndarray  # int8/16/32/64 (the narrowest that holds them): fan-out rows
    dot_off: np.ndarray  # synapses with few outputs: their weights per output, or -1
    input_lo: int  # the input layer's first neuron (-1: no input layer)
    input_n: int
    group_lo: np.ndarray  # the neuron groups (layers): first neuron, one past the last
    group_hi: np.ndarray
    group_memoryless: np.ndarray  # bool: every iDecay of the group is 4096
    reset_lo: np.ndarray
    reset_hi: np.ndarray
    reset_phase: np.ndarray
    reset_interval: int
    out_lo: int
    out_n: int
    out_u: bool  # affine readout: record the current u, else spikes
    spike_bound: int  # bound of |a| of any neuron from spikes (sum of |w| << exp, per node)
    data_gain: int  # bound of |a| per unit of data magnitude (synapses fed by the data)


def plan(engine) -> Optional[EventPlan]:
    """An :class:`EventPlan` for a built :class:`~netx.engine.core.Engine`, or ``None`` when
    the network has something this kernel does not run."""
    from .core import _Dense  # the engine's prepared Dense synapse
    if (not available() or engine.mode != "fixed_pt" or engine.device.type != "cpu"
            or not engine.fused):  # fused: all CUBA, no delays, no complex synapses
        return None
    nodes = engine.nodes
    if not nodes:
        return None
    syn = []  # (src_lo, n_in, dst_lo, n_out, weight rows (n_in, n_out), exp)
    for n in nodes:
        if n.kind not in ("input", "dense", "dense_rec"):
            return None
        for s, src in ((n.synapse, n.source), (n.recurrent, nodes.index(n))):
            if s is None:
                continue
            if type(s) is not _Dense:  # not conv/pool, nor a subclass with other timing
                return None
            w, e = fp.fold_weight_exp(s.weight, s.weight_exp)
            src_lo = -1 if src < 0 else nodes[src].start
            syn.append((src_lo, int(w.shape[1]), n.start, int(w.shape[0]),
                        w.t().contiguous().numpy(), int(e)))
    if any(n.synapse is None and n.kind != "input" for n in nodes):
        return None
    big = max((int(np.abs(r[4]).max()) if r[4].size else 0) for r in syn) if syn else 0
    wdt = next(d for d in (np.int8, np.int16, np.int32, np.int64) if big <= np.iinfo(d).max)
    offs, rows, off = [], [], 0
    for r in syn:
        offs.append(off)
        rows.append(r[4].reshape(-1).astype(wdt))
        off += r[4].size
    dot_offs = []  # few outputs: also the weights per output (dot products over the inputs)
    for r in syn:
        dot_offs.append(off if 0 <= r[0] and r[3] <= DOT_MAX_OUT else -1)
        if dot_offs[-1] >= 0:
            rows.append(r[4].T.reshape(-1).astype(wdt))
            off += r[4].size
    cat = lambda i: np.array([r[i] for r in syn], dtype=np.int64)  # noqa: E731
    first, last = nodes[0], nodes[-1]
    resets = [n for n in nodes if n.reset_offset is not None]
    i32 = lambda t: np.ascontiguousarray(t.cpu().numpy().astype(np.int32))  # noqa: E731
    decays = torch.cat([engine._i_decay.reshape(-1), engine._v_decay.reshape(-1)])
    bias = engine._bias(engine._bias_mant)
    if (decays.numel() and (int(decays.min()) < 0 or int(decays.max()) > DECAY_UNITY)
            or not _fits_state_step(bias, engine._vth)):
        return None  # outside the int32 form of the neuron step
    return EventPlan(
        size=int(engine.size),
        i_decay=i32(engine._i_decay), v_decay=i32(engine._v_decay), vth=i32(engine._vth),
        bias=i32(bias),
        src_lo=cat(0), n_in=cat(1), dst_lo=cat(2), n_out=cat(3),
        w_off=np.array(offs, dtype=np.int64), exp=cat(5),
        dot_off=np.array(dot_offs, dtype=np.int64),
        weights=np.concatenate(rows) if rows else np.zeros(0, wdt),
        input_lo=first.start if first.kind == "input" else -1, input_n=first.size,
        group_lo=np.array([n.start for n in nodes], dtype=np.int64),
        group_hi=np.array([n.stop for n in nodes], dtype=np.int64),
        group_memoryless=np.array([bool((engine._i_decay[n.start:n.stop]
                                         == fp.DECAY_UNITY).all()) for n in nodes]),
        reset_lo=np.array([n.start for n in resets], dtype=np.int64),
        reset_hi=np.array([n.stop for n in resets], dtype=np.int64),
        reset_phase=np.array([n.reset_offset for n in resets], dtype=np.int64),
        reset_interval=int(engine.reset_interval or 0),
        out_lo=last.start, out_n=last.size, out_u=bool(last.affine),
        **_bounds(syn, first.start if first.kind == "input" else -1))


def _fits_state_step(bias, vth) -> bool:
    """Whether biases and thresholds (state grid) suit the int32 scalar neuron step
    (:func:`netx.fixed_point.cuba_neuron_step`: ``|bias| < 2^30``; ``vth`` in int32)."""
    bias, vth = torch.as_tensor(bias), torch.as_tensor(vth)
    return ((bias.numel() == 0 or int(bias.abs().max()) < 2 ** 30)
            and (vth.numel() == 0 or int(vth.abs().max()) < 2 ** 31))


def _bounds(syn, input_lo: int) -> dict:
    """Per destination node, the largest ``|a|`` its synapses can deliver: from spikes
    (``spike_bound``) and per unit of data (``data_gain``, plus 1 for the input layer, which
    takes the data as its ``a`` directly)."""
    spikes: dict = {}
    data: dict = {input_lo: 1} if input_lo >= 0 else {}
    for src_lo, _, dst_lo, _, w, e in syn:
        b = (int(np.abs(w).sum(axis=0).max()) if w.size else 0) << max(e, 0)
        into = data if src_lo < 0 else spikes
        into[dst_lo] = into.get(dst_lo, 0) + b
    return dict(spike_bound=max([0, *spikes.values()]), data_gain=max([0, *data.values()]))


def run(p: EventPlan, x: np.ndarray, steps: int, timed: bool,
        threads: Optional[int] = None) -> np.ndarray:
    """Run a batch.

    Args:
        p: the network (:func:`plan`).
        x: int64 data, internal layout: ``(T_x, B, n)`` spikes/graded values when ``timed``,
            else ``(B, n)`` bias mantissas of the input layer (``bias_exp`` 6).
        steps: time steps to run (timed data shorter than that is padded with 0).
        threads: numba threads for the batch, one block of samples each (default: one per
            CPU, at most one per sample and at most ``NUMBA_NUM_THREADS``).

    Returns:
        ``(steps, B, out_n)`` int64: the output layer's spikes (0/1) or, for an affine
        readout, its current ``u``.
    """
    x = np.ascontiguousarray(x, dtype=np.int64)
    batch = x.shape[1] if timed else x.shape[0]
    if timed:
        data, bias_mant = x, np.zeros((batch, 0), dtype=np.int64)
    else:
        data, bias_mant = np.zeros((0, batch, 0), dtype=np.int64), x
    out = np.zeros((batch, steps, p.out_n), dtype=np.int64)
    held = None if timed else held_input(p, x, steps)
    if held is None:
        held = (-1, 0, np.zeros(0, np.int64), np.zeros((steps, 0), np.int8))
    # the synapses' sums in the narrowest integer type that provably holds every partial sum
    # (16-bit sums: twice the SIMD lanes of 32-bit ones)
    data_max = int(np.abs(x).max()) if timed and x.size else 0
    bound = p.spike_bound + p.data_gain * data_max
    sum_type = next(d for d in (np.int16, np.int32, np.int64) if bound < np.iinfo(d).max)
    sum_proto = np.zeros(int(p.n_out.sum()) if p.n_out.size else 0, dtype=sum_type)
    args = (steps, data, bias_mant, p.i_decay, p.v_decay, p.vth, p.bias, p.src_lo, p.n_in,
            p.dst_lo, p.n_out, p.w_off, p.dot_off, p.exp, p.weights, p.input_lo, p.input_n,
            p.reset_lo, p.reset_hi, p.reset_phase, p.reset_interval, p.out_lo, p.out_u, out,
            p.group_lo, p.group_hi, p.group_memoryless, sum_proto, *held)
    n = max(1, min(batch, int(threads) if threads else os.cpu_count() or 1))
    if numba is not None:
        n = min(n, numba.config.NUMBA_NUM_THREADS)
    samples, blocks, _ = _kernel()
    if n == 1:  # (the parallel wrapper compiles only when first needed: about 10 s)
        samples(0, batch, *args, False)
        return out.transpose(1, 0, 2)
    edges = np.linspace(0, batch, n + 1).astype(np.int64)
    saved = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        blocks(edges, *args, True)  # each thread on its own copies
    finally:
        numba.set_num_threads(saved)
    return out.transpose(1, 0, 2)


#: ``input_mode='bias'``: the data are the input layer's bias mantissas, with this exponent
INPUT_BIAS_EXP = 6

#: the held-input path tabulates the input layer for at most this many distinct bias values
HELD_MAX_VALUES = 4096

#: a synapse with at most this many outputs (a classifier readout) computes its sums as dot
#: products over all inputs: cheaper than finding the changed inputs and adding short rows
DOT_MAX_OUT = 16


def held_input(p: EventPlan, mant: np.ndarray, steps: int) -> Optional[tuple]:
    """Group the input layer's neurons by their spike train, for ``input_mode='bias'``.

    With the data as a constant bias, an input neuron's spike train depends on its bias
    mantissa alone (its current input is 0, and the layer's decays and threshold are
    uniform).  The trains of the distinct mantissas are computed once per run, and neurons
    with equal trains form a class.  Per sample, the kernel sums each class's fan-out rows
    once; per step it then adds or subtracts whole class sums (a few dozen for MNIST-like
    images) instead of the rows of every input neuron whose spike changed, and it skips the
    input layer's neuron updates.  Exact: the synapse's sum is the same integer.

    Args:
        p: the network plan.
        mant: ``(B, n)`` int64 bias mantissas of the input layer (``bias_exp`` 6).
        steps: time steps of the run.
    Returns:
        ``(k, lo, table, trains)`` for the kernel -- ``k`` the synapse reading the
        input layer, ``table[m - lo]`` the class of mantissa ``m`` (-1: never spikes),
        ``trains`` ``(steps, C)`` int8 the spikes of each class -- or ``None`` when the
        network or the data does not allow it.
    """
    lo_in, hi_in = p.input_lo, p.input_lo + p.input_n
    if p.input_lo < 0 or mant.size == 0 or steps < 1 or p.out_lo == p.input_lo:
        return None
    readers = [k for k in range(len(p.src_lo))
               if p.src_lo[k] >= 0 and p.src_lo[k] < hi_in
               and p.src_lo[k] + p.n_in[k] > lo_in]
    into = [k for k in range(len(p.src_lo))
            if p.src_lo[k] >= 0 and p.dst_lo[k] < hi_in and p.dst_lo[k] + p.n_out[k] > lo_in]
    if (len(readers) != 1 or into or p.src_lo[readers[0]] != lo_in
            or p.n_in[readers[0]] != p.input_n):
        return None
    params = (p.i_decay[lo_in:hi_in], p.v_decay[lo_in:hi_in], p.vth[lo_in:hi_in])
    if any((a != a[0]).any() for a in params):
        return None
    lo, hi = int(mant.min()), int(mant.max())
    if hi - lo >= HELD_MAX_VALUES:
        return None
    phase = -1
    for r in range(len(p.reset_lo)):
        if p.reset_lo[r] == lo_in and p.reset_interval > 0:
            phase = int(p.reset_phase[r])
    values = np.arange(lo, hi + 1, dtype=np.int64)
    trains = np.zeros((len(values), steps), np.int8)
    _kernel()[2](values, steps, int(params[0][0]), int(params[1][0]), int(params[2][0]),
                 p.reset_interval, phase, trains)
    packed = np.ascontiguousarray(np.packbits(trains, axis=1))  # one bytes key per train
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    _, first, table = np.unique(keys, return_index=True, return_inverse=True)
    distinct = trains[first]
    silent = ~distinct.any(axis=1)
    if len(distinct) - int(silent.sum()) >= p.input_n:
        return None  # no two input neurons can share a train: nothing to gain
    renumber = np.where(silent, -1, np.cumsum(~silent) - 1)
    return (int(readers[0]), lo, renumber[table.reshape(-1)].astype(np.int64),
            np.ascontiguousarray(distinct[~silent].T, dtype=np.int8))


def _value_trains(mant, steps, i_decay, v_decay, vth, reset_interval, reset_phase, trains):
    """``trains[i, t]``: the spike at step ``t`` of an input neuron with bias mantissa
    ``mant[i]`` and no current input, reset when ``(t + 1) % reset_interval ==
    reset_phase`` (as :func:`_samples` steps it)."""
    for i in range(mant.shape[0]):
        bias = shift_int(mant[i], INPUT_BIAS_EXP)
        u = 0
        v = 0
        for t in range(steps):
            if reset_interval > 0 and (t + 1) % reset_interval == reset_phase:
                u = 0
                v = 0
            u, v, spike = cuba_neuron_step(u, v, 0, i_decay, v_decay, vth, bias)
            trains[i, t] = 1 if spike else 0
    return 0


def _update_sum(target, w_k, m, now, before, on, off):
    """Bring a synapse's sum ``target`` (``m`` values) from the source spikes ``before`` to
    ``now`` (0/1 each; ``w_k`` their fan-out rows): add the rows of inputs that started and
    subtract those that stopped when fewer changed than are set, else rebuild from the set
    ones.  ``on`` / ``off``: scratch of at least ``len(now)``."""
    n_set = 0
    n_changed = 0
    for j in range(now.shape[0]):
        n_set += now[j]
        n_changed += now[j] != before[j]
    n_on = 0
    n_off = 0
    if n_changed < n_set:  # branch-free lists of the changed inputs
        for j in range(now.shape[0]):
            on[n_on] = j
            off[n_off] = j
            n_on += now[j] > before[j]
            n_off += now[j] < before[j]
    else:  # rebuild from the set inputs
        target[:] = 0
        for j in range(now.shape[0]):
            on[n_on] = j
            n_on += now[j]
    _add_rows(target, w_k, m, on, n_on, 1)
    _add_rows(target, w_k, m, off, n_off, -1)


def _add_rows(target, w_k, m, rows, n_rows, sign):
    """``target += sign * sum of the fan-out rows rows[:n_rows]`` of ``w_k`` (rows of ``m``
    weights): eight rows per pass over ``target`` (the inner loops vectorise), then one by
    one."""
    q = 0
    while q + 8 <= n_rows:
        r0 = w_k[rows[q] * m:rows[q] * m + m]
        r1 = w_k[rows[q + 1] * m:rows[q + 1] * m + m]
        r2 = w_k[rows[q + 2] * m:rows[q + 2] * m + m]
        r3 = w_k[rows[q + 3] * m:rows[q + 3] * m + m]
        r4 = w_k[rows[q + 4] * m:rows[q + 4] * m + m]
        r5 = w_k[rows[q + 5] * m:rows[q + 5] * m + m]
        r6 = w_k[rows[q + 6] * m:rows[q + 6] * m + m]
        r7 = w_k[rows[q + 7] * m:rows[q + 7] * m + m]
        if sign > 0:
            for o in range(m):
                target[o] += (((r0[o] + r1[o]) + (r2[o] + r3[o]))
                              + ((r4[o] + r5[o]) + (r6[o] + r7[o])))
        else:
            for o in range(m):
                target[o] -= (((r0[o] + r1[o]) + (r2[o] + r3[o]))
                              + ((r4[o] + r5[o]) + (r6[o] + r7[o])))
        q += 8
    while q < n_rows:
        r0 = w_k[rows[q] * m:rows[q] * m + m]
        if sign > 0:
            for o in range(m):
                target[o] += r0[o]
        else:
            for o in range(m):
                target[o] -= r0[o]
        q += 1


def _step_neurons(u, v, s, a, i_decay, v_decay, vth, bias, no_current_memory):
    """One step of the neurons (:func:`netx.fixed_point.cuba_neuron_step`); ``s`` gets
    their spikes as 0/1.  ``no_current_memory``: every iDecay is 4096 (the current is only
    this step's input), which the compiled loop then folds away."""
    for i in range(u.shape[0]):
        d = DECAY_UNITY if no_current_memory else i_decay[i]
        ui, vi, sp = cuba_neuron_step(u[i], v[i], a[i], d, v_decay[i], vth[i], bias[i])
        u[i] = ui
        v[i] = vi
        s[i] = 1 if sp else 0


def _samples(b0, b1, steps, data, bias_mant, i_decay, v_decay, vth, bias, src_lo, n_in,
             dst_lo, n_out, w_off, dot_off, exp, weights, input_lo, input_n, reset_lo, reset_hi,
             reset_phase, reset_interval, out_lo, out_u, out, group_lo, group_hi,
             group_memoryless, sum_proto, held_k, held_lo, held_table,
             held_trains, private):
    """Run samples ``b0 .. b1 - 1`` (arguments as :func:`run` prepares them).  Plain Python
    over :mod:`netx.fixed_point`'s scalar functions; :func:`_kernel` compiles it.

    Each synapse keeps its weighted sum of its source's spikes (``sums``, before the weight
    exponent) from step to step.  When fewer of those spikes changed than are set, the sum
    is updated by the rows of the changed ones (added for a new spike, subtracted for one
    that stopped); otherwise it is rebuilt from the rows of the set ones.  Integer sums are
    exact, so both give the same value.

    With the held-input classes (:func:`held_input`; ``held_k >= 0``), synapse ``held_k``
    reads the classes' trains instead of the input layer's spikes, with each class's rows
    summed once per sample, and the input layer is not stepped.
    """
    size, n_syn, t_data = i_decay.shape[0], src_lo.shape[0], data.shape[0]
    if private:  # this thread's own copies: every view of a shared array updates its
        # reference count atomically, and threads doing that on one counter slow each other
        weights = weights.copy()
        bias = bias.copy()
        i_decay = i_decay.copy()
        v_decay = v_decay.copy()
        vth = vth.copy()
    sum_lo = np.zeros(n_syn + 1, np.int64)
    for k in range(n_syn):
        sum_lo[k + 1] = sum_lo[k] + n_out[k]
    n_cls = held_trains.shape[1]
    width = max(1, n_in.max(), n_cls) if n_syn > 0 else 1
    on = np.zeros(width, np.int64)  # rows to add / to subtract this step
    off = np.zeros(width, np.int64)
    a = np.zeros(size, np.int32)  # (only a mod 2^32 matters: Lava wraps a << 6 to int32)
    m_held = n_out[held_k] if held_k >= 0 else 0
    cls_sums = np.zeros(n_cls * m_held, sum_proto.dtype)  # per class: its rows summed
    no_spikes = np.zeros(n_cls, np.int8)
    members = np.zeros(input_n, np.int64)  # the input neurons, ordered by class
    first = np.zeros(n_cls + 1, np.int64)  # class c: members[first[c]:first[c + 1]]
    fill = np.zeros(n_cls + 1, np.int64)
    for b in range(b0, b1):
        u = np.zeros(size, np.int32)  # (24-bit state in 32-bit lanes)
        v = np.zeros(size, np.int32)
        s = np.zeros(size, np.int8)  # spikes of the previous step
        s_old = np.zeros(size, np.int8)  # spikes the sums were built from
        sums = sum_proto.copy()
        bias_b = bias.copy()
        if bias_mant.shape[1] > 0:  # input_mode='bias': this sample's input biases
            for j in range(input_n):
                bias_b[input_lo + j] = shift_int(bias_mant[b, j], INPUT_BIAS_EXP)
        if held_k >= 0:  # sum each class's fan-out rows
            first[:] = 0
            for j in range(input_n):
                first[held_table[bias_mant[b, j] - held_lo] + 1] += 1  # (class -1: slot 0)
            first[0] = 0
            for c in range(n_cls):
                first[c + 1] += first[c]
            fill[:] = first
            for j in range(input_n):
                c = held_table[bias_mant[b, j] - held_lo]
                if c >= 0:
                    members[fill[c]] = j
                    fill[c] += 1
            cls_sums[:] = 0
            w_in = weights[w_off[held_k]:w_off[held_k] + input_n * m_held]
            for c in range(n_cls):
                _add_rows(cls_sums[c * m_held:(c + 1) * m_held], w_in, m_held,
                          members[first[c]:], first[c + 1] - first[c], 1)
        for t in range(steps):
            a[:] = 0
            # synapses: the previous step's spikes (or data) -> this step's input
            for k in range(n_syn):
                m, dst, src = n_out[k], dst_lo[k], src_lo[k]
                w_k = weights[w_off[k]:w_off[k] + n_in[k] * m]
                target = sums[sum_lo[k]:sum_lo[k + 1]]
                if k == held_k:  # the classes' trains, one step late, and their sums
                    _update_sum(target, cls_sums, m,
                                held_trains[t - 1] if t >= 1 else no_spikes,
                                held_trains[t - 2] if t >= 2 else no_spikes, on, off)
                elif dot_off[k] >= 0:  # few outputs: one dot product each
                    now = s[src:src + n_in[k]]
                    for o in range(m):
                        w_o = weights[dot_off[k] + o * n_in[k]:dot_off[k] + (o + 1) * n_in[k]]
                        acc = 0
                        for j in range(n_in[k]):
                            acc += w_o[j] * now[j]
                        target[o] = acc
                elif src >= 0:  # (views of the source: the loops vectorise)
                    _update_sum(target, w_k, m, s[src:src + n_in[k]],
                                s_old[src:src + n_in[k]], on, off)
                else:
                    target[:] = 0
                    if 1 <= t <= t_data:
                        for j in range(n_in[k]):
                            val = data[t - 1, b, j]
                            if val != 0:
                                row = w_k[j * m:j * m + m]
                                for o in range(m):
                                    target[o] += val * row[o]
                e = exp[k]
                a_k = a[dst:dst + m]
                if e == 0:  # (a loop of its own: it vectorises)
                    for o in range(m):
                        a_k[o] += target[o]
                else:
                    for o in range(m):
                        a_k[o] += shift_int(np.int64(target[o]), e)
            s_old[:] = s
            if input_lo >= 0 and t < t_data:  # data reaches the input layer directly
                for j in range(input_n):
                    a[input_lo + j] = data[t, b, j]
            if reset_interval > 0:
                phase = (t + 1) % reset_interval
                for r in range(reset_lo.shape[0]):
                    if phase == reset_phase[r]:
                        u[reset_lo[r]:reset_hi[r]] = 0
                        v[reset_lo[r]:reset_hi[r]] = 0
            for g in range(group_lo.shape[0]):  # (on views: the loops vectorise)
                lo, hi = group_lo[g], group_hi[g]
                if held_k >= 0 and lo == input_lo:
                    continue  # the input layer: its trains are held_trains
                _step_neurons(u[lo:hi], v[lo:hi], s[lo:hi], a[lo:hi], i_decay[lo:hi],
                              v_decay[lo:hi], vth[lo:hi], bias_b[lo:hi], group_memoryless[g])
            for o in range(out.shape[2]):
                out[b, t, o] = u[out_lo + o] if out_u else s[out_lo + o]
    return 0


prange = range  # numba.prange where compiled (_kernel)


def _blocks(edges, *args):
    """Run the blocks of samples ``edges[i] .. edges[i + 1] - 1`` in parallel (numba's
    threads; sequentially as plain Python)."""
    for i in prange(edges.shape[0] - 1):
        _samples(edges[i], edges[i + 1], *args)
    return 0


_KERNEL: List = []


def _int32(x):
    """:func:`netx.fixed_point.int32` compiled: a native int32 cast (truncation)."""
    return np.int32(x)


def _rebind(fn, **helpers):
    """A copy of ``fn`` whose global names ``helpers`` (name -> numba-compiled function)
    refer to compiled versions of the scalar functions it calls (numba cannot call plain
    Python functions)."""
    scope = dict(fn.__globals__, **helpers)
    clone = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__)
    clone.__qualname__ = fn.__qualname__
    return clone


def _kernel():
    """``(samples, blocks, trains)``: :func:`_samples`, :func:`_blocks` and
    :func:`_value_trains` compiled (each on its first call, once per process) with the
    scalar equations inlined.  The row helpers (:func:`_add_rows`, :func:`_update_sum`) are
    compiled once per argument types and called, not inlined at every call site: that cut
    the first compilation from about 25 to 19 s (12 to 8 s for the parallel wrapper) at
    the same speed.

    The machine code is cached on disk under ``$NETX_CACHE_DIR`` (default
    ``~/.cache/netx``) in a folder named by a hash of the equations' and this module's
    source, so an edit of either recompiles (numba alone only watches this file)."""
    if _KERNEL:
        return _KERNEL[0]
    inline = numba.njit(inline="always")
    cast = inline(_int32)
    decay = inline(_rebind(fp.decay_int, int32=cast))
    step = inline(_rebind(fp.cuba_neuron_step, decay_int=decay, int32=cast))
    shift = inline(_rebind(fp.shift_int))
    called = numba.njit(nogil=True)  # compiled once per argument types, then called
    add_rows = called(_add_rows)
    update_sum = called(_rebind(_update_sum, _add_rows=add_rows))
    step_neurons = inline(_rebind(_step_neurons, cuba_neuron_step=step))
    sources = [inspect.getsource(f) for f in (_int32, fp.decay_int, fp.cuba_neuron_step,
                                              fp.shift_int, _add_rows, _update_sum,
                                              _step_neurons, _value_trains, _samples,
                                              _blocks)]
    key = hashlib.sha1("".join(sources + [numba.__version__]).encode()).hexdigest()[:16]
    root = os.environ.get("NETX_CACHE_DIR") or os.path.join(os.path.expanduser("~"),
                                                           ".cache", "netx")
    saved = numba.config.CACHE_DIR
    numba.config.CACHE_DIR = os.path.join(root, "numba-" + key)
    try:
        samples = numba.njit(nogil=True, cache=True)(
            _rebind(_samples, shift_int=shift, _add_rows=add_rows, _update_sum=update_sum,
                    _step_neurons=step_neurons))
        trains = numba.njit(nogil=True, cache=True)(
            _rebind(_value_trains, cuba_neuron_step=step, shift_int=shift))
        blocks = numba.njit(nogil=True, cache=True, parallel=True)(
            _rebind(_blocks, _samples=samples, prange=numba.prange))
    finally:
        numba.config.CACHE_DIR = saved
    _KERNEL.append((samples, blocks, trains))
    return _KERNEL[0]
