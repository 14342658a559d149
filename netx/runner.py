"""``netx.run``: run a ``.net`` network on inputs with the batched engine or with Lava.

Both backends take and return Lava's layout (see ``docs/engine.md``):

* one sample: spikes ``(*lava_shape(in), T)``, output ``(*lava_shape(out), T)``;
* a batch: ``(B, *lava_shape(in), T)`` -> ``(B, *lava_shape(out), T)``;

where ``lava_shape`` is ``(W, H, C)`` for spatial layers and ``(N,)`` for dense ones
(:func:`netx.spec.lava_shape`).  Lava is imported only for ``backend='lava'``.
"""

from __future__ import annotations

from os import PathLike
from typing import Any, List, Optional, Tuple, Union

import numpy as np

from . import spec, support
from .errors import NetxFormatError

BACKENDS = ("engine", "lava")
NetLike = Union[str, PathLike, spec.Network]


def _mode_of(run_cfg: Any) -> str:
    """``'fixed_pt'`` or ``'floating_pt'`` from a string or a Lava run config's select_tag."""
    if run_cfg is None:
        return "fixed_pt"
    if isinstance(run_cfg, str):
        if run_cfg in ("fixed_pt", "floating_pt"):
            return run_cfg
        if run_cfg in ("loihi1_sim", "loihi2_sim"):
            return "fixed_pt"
        raise ValueError(f"unknown run configuration {run_cfg!r}: use 'fixed_pt' or "
                         "'floating_pt' (or a Lava RunConfig)")
    tag = getattr(run_cfg, "select_tag", None)
    return "floating_pt" if tag == "floating_pt" else "fixed_pt"


def run(net_config: NetLike, inputs: Any, steps: Optional[int] = None,
        backend: str = "engine", run_cfg: Any = None, input_mode: str = "spikes",
        return_layers: bool = False, device: str = "cpu", progress: bool = False,
        reset_interval: Optional[int] = None, reset_offset: int = 0,
        input_shape: Optional[Tuple[int, ...]] = None, threads: Optional[int] = None,
        spike_exp: int = 6):
    """Run ``net_config`` on ``inputs`` and return the output in Lava's layout.

    Args:
        net_config: a ``.net`` path or a :class:`netx.spec.Network`.
        inputs: ``input_mode='spikes'``: ``(*lava_shape(in), T)`` (one sample) or
            ``(B, *lava_shape(in), T)``: spikes or graded integers into the input layer's
            neuron (or the first synapse when there is no input layer).  ``input_mode='bias'``:
            ``(*lava_shape(in))`` or ``(B, *lava_shape(in))``: the input neuron's bias
            mantissa (bias_exp 6), constant over the run.
        steps: time steps (default: the input's T, or ``simulation/tSample`` for ``bias``).
        backend: ``'engine'`` (batched torch) or ``'lava'`` (``netx.hdf5.Network``, one
            sample at a time).
        run_cfg: ``'fixed_pt'`` (default) / ``'floating_pt'`` or a Lava ``RunConfig`` (for
            ``'lava'`` it is used as is; the engine reads its ``select_tag``).
        return_layers: also return per-layer traces (spikes, ``u``, ``v``) as a list of
            :class:`netx.engine.LayerTrace`.
        device: torch device of the engine.
        progress: tqdm progress bar (over steps for the engine, samples for Lava).
        reset_interval, reset_offset: per-layer neuron reset as in ``netx.hdf5.Network``.
        input_shape: (C, H, W) input when the first layer is a conv layer and the file
            does not say.
        threads: engine CPU threads (see :meth:`netx.engine.Engine.run`).
        spike_exp: fraction bits of sigma-delta messages (``netx.hdf5.Network``'s argument).

    Returns:
        Shaped ``([B,] *lava_shape(out), T)``, by the kind of the last layer: spikes (bool);
        graded messages (int64) of a sigma-delta layer (a ``sigma_output`` readout sends its
        running sum); the current ``u`` of an affine readout (int64; float64 in
        ``floating_pt``); float64 group means for a final ``average`` layer
        (engine).  With ``return_layers`` a tuple ``(output, traces)``.

    Raises:
        NetxFormatError: bad file, unsupported layer, or inputs that do not fit.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "engine":
        from .engine import Engine
        eng = Engine(net_config, mode=_mode_of(run_cfg), device=device,
                     reset_interval=reset_interval, reset_offset=reset_offset,
                     input_shape=input_shape, spike_exp=spike_exp)
        return eng.run(inputs, steps=steps, input_mode=input_mode,
                       return_layers=return_layers, progress=progress, threads=threads)
    return run_lava(net_config, inputs, steps=steps, run_cfg=run_cfg, input_mode=input_mode,
                    return_layers=return_layers, progress=progress,
                    reset_interval=reset_interval, reset_offset=reset_offset,
                    input_shape=input_shape, spike_exp=spike_exp)


# --------------------------------------------------------------------------- Lava backend
def _shapes(net: spec.Network, x: np.ndarray, timed: bool,
            input_shape: Optional[Tuple[int, ...]]) -> Tuple[Tuple[int, ...], bool]:
    shape = support.input_shape(net, input_shape)
    if shape is None:  # first layer conv: read (W, H, C) from the data
        nd = x.ndim - int(timed)
        if nd not in (3, 4):
            raise NetxFormatError("cannot tell the network's input shape; pass input_shape",
                                  layer=0, key="shape")
        w, h, c = x.shape[nd - 3:nd]
        shape = (int(c), int(h), int(w))
    lava_in = spec.lava_shape(tuple(shape))
    batched = x.ndim == len(lava_in) + (2 if timed else 1)
    if x.ndim not in (len(lava_in) + int(timed), len(lava_in) + int(timed) + 1) or tuple(
            x.shape[int(batched):int(batched) + len(lava_in)]) != lava_in:
        raise NetxFormatError(f"input of shape {x.shape} does not fit the network input "
                              f"{lava_in} (Lava layout)", key="input")
    return tuple(shape), batched


def run_lava(net_config: NetLike, inputs: Any, steps: Optional[int] = None,
             run_cfg: Any = None, input_mode: str = "spikes", return_layers: bool = False,
             progress: bool = False, reset_interval: Optional[int] = None,
             reset_offset: int = 0, input_shape: Optional[Tuple[int, ...]] = None,
             spike_exp: int = 6):
    """The ``backend='lava'`` path of :func:`run`: builds ``netx.hdf5.Network`` once per
    sample, feeds it from a ``RingBuffer`` source (or sets the input ``bias_mant``), records
    the output with a ``RingBuffer`` sink (a ``Monitor`` on ``u`` for an affine readout; the
    graded values of a sigma-delta output layer are kept) and always stops Lava.  Traces
    record each block's ``s_out`` and the neuron Vars the engine's traces name (``u``/``i``
    as ``u``, ``v``, and :data:`TRACE_STATE`)."""
    _allow_lava_import()
    from lava.magma.core.run_conditions import RunSteps
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source
    from lava.proc.monitor.process import Monitor

    from . import hdf5
    from .engine import LayerTrace

    net = net_config if isinstance(net_config, spec.Network) else spec.read(net_config)
    path = None if isinstance(net_config, spec.Network) else str(net_config)
    x = np.asarray(inputs)
    timed = input_mode == "spikes"
    mode = _mode_of(run_cfg)
    floating = mode == "floating_pt"  # currents as float64, as the engine's
    try:  # the checks the engine makes, so that both backends accept the same runs
        support.check_input_values(x, input_mode, mode)
        shape, batched = _shapes(net, x, timed, input_shape)
        if input_mode == "bias":
            support.check_bias_input(net)
        for i, layer in enumerate(net.layers):
            if layer.kind != "flatten":
                support.check_mode(layer, i, support.neuron_plan(layer, i), mode)
    except NetxFormatError as exc:
        raise exc.located(path=path) from None
    steps = support.run_steps(net, steps, int(x.shape[-1]) if timed else None)
    # without an input layer, data enter the first synapse: graded values need graded
    # messages there (Lava's default is binary spikes, the engine takes any integer)
    message_bits = 0
    if not isinstance(net.layers[0], spec.InputLayer) and timed and np.any((x != 0) & (x != 1)):
        message_bits = 24
    if run_cfg is None or isinstance(run_cfg, str):
        run_cfg = hdf5.run_config(run_cfg or "fixed_pt")
    samples = x if batched else x[None]
    outs: List[np.ndarray] = []
    traces_all: List[List[Any]] = []
    it: Any = range(samples.shape[0])
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(it, desc="lava", unit="sample")
    first_conv = not isinstance(net.layers[0], (spec.InputLayer, spec.DenseLayer))
    for b in it:
        sample = samples[b]
        lnet = hdf5.Network(net_config=net if path is None else path,
                            reset_interval=reset_interval, reset_offset=reset_offset,
                            input_shape=spec.lava_shape(shape) if first_conv else None,
                            spike_exp=spike_exp, input_message_bits=message_bits)
        last = lnet.out_layer
        affine = type(last).__name__ == "Affine"
        graded = support.neuron_plan(net.layers[lnet.layer_index[-1]],
                                     lnet.layer_index[-1]).graded
        if timed:
            data = np.zeros((*sample.shape[:-1], steps))
            n = min(steps, sample.shape[-1])
            data[..., :n] = sample[..., :n]
            source = Source(data=data.astype(float))
            source.s_out.connect(lnet.inp)
        else:
            if not hasattr(lnet.in_layer.neuron, "bias_mant"):
                raise NetxFormatError("input_mode='bias' needs an input neuron with a bias "
                                      f"(CUBA or ALIF), not '{net.layers[0].neuron.type}'",
                                      path=path, layer=0, key="neuron/type")
            lnet.in_layer.neuron.bias_mant.init = np.asarray(sample, dtype=np.int64)
        if affine:
            mon = Monitor()
            mon.probe(target=last.neuron.u, num_steps=steps)
            sink = None
        else:
            sink = Sink(shape=lnet.out.shape, buffer=steps)
            lnet.out.connect(sink.a_in)
        probes = []  # per block: (name, var) of what the traces record
        if return_layers:
            for block in lnet.layers:
                row = []
                for name, var in _trace_vars(block.neuron):
                    m = Monitor()
                    m.probe(target=var, num_steps=steps)
                    row.append((name, var, m))
                probes.append(row)
        try:
            lnet.run(condition=RunSteps(num_steps=steps), run_cfg=run_cfg)
            if affine:
                out = _monitor_data(mon, last.neuron.u)
            else:
                out = np.asarray(sink.data.get())
                out = _as_int(out) if graded else out.astype(bool)
            layer_data = [{name: _monitor_data(m, var) for name, var, m in row}
                          for row in probes]
        finally:
            lnet.stop()
        if affine:
            out = out.astype(np.float64) if floating else _as_int(out)
        outs.append(out)
        if return_layers:
            traces_all.append([_lava_trace(i, net.layers[i], d, floating)
                               for i, d in zip(lnet.layer_index, layer_data)])
    result = np.stack(outs) if batched else outs[0]
    if not return_layers:
        return result
    if not batched:
        return result, traces_all[0]
    def stack(arrays: List[Optional[np.ndarray]]) -> Optional[np.ndarray]:
        return None if arrays[0] is None else np.stack(arrays)

    merged = [LayerTrace(index=t0.index, kind=t0.kind,
                         spikes=np.stack([tr[k].spikes for tr in traces_all]),
                         u=stack([tr[k].u for tr in traces_all]),
                         v=stack([tr[k].v for tr in traces_all]),
                         state={name: np.stack([tr[k].state[name] for tr in traces_all])
                                for name in t0.state})
              for k, t0 in enumerate(traces_all[0])]
    return result, merged


#: neuron Vars recorded into ``LayerTrace.state`` when the neuron has them (ALIF ``theta``,
#: ``r``; RF ``real``, ``imag``; sigma-delta ``sigma``, ``act``, ``residue``)
TRACE_STATE = ("theta", "r", "real", "imag", "sigma", "act", "residue")


def _trace_vars(neuron: Any) -> List[Tuple[str, Any]]:
    """(trace name, Lava Var) pairs to record for a block's neuron: ``s_out``, the current
    (``u``, or ATRLIF's ``i``) as ``u``, ``v`` and the :data:`TRACE_STATE` Vars it has."""
    names = [("s", "s_out"), ("u", "u"), ("u", "i"), ("v", "v")]
    names += [(n, n) for n in TRACE_STATE]
    out, seen = [], set()
    for name, attr in names:
        var = getattr(neuron, attr, None)
        if var is not None and name not in seen:
            out.append((name, var))
            seen.add(name)
    return out


def _lava_trace(index: int, layer: spec.Layer, data: dict, floating: bool = False) -> Any:
    """A :class:`netx.engine.LayerTrace` from the recorded Vars (spikes bool, or int64 graded
    messages of a sigma-delta layer; ``u``/``v`` float64 in ``floating_pt``; states int64
    where integral)."""
    from .engine import LayerTrace
    graded = support.neuron_plan(layer, index).graded

    def current(a: Optional[np.ndarray]) -> Optional[np.ndarray]:
        return a.astype(np.float64) if floating and a is not None else _maybe_int(a)

    s = data["s"]
    return LayerTrace(index=index, kind=layer.kind,
                      spikes=_as_int(s) if graded else s.astype(bool),
                      u=current(data.get("u")), v=current(data.get("v")),
                      state={k: _maybe_int(data[k]) for k in TRACE_STATE if k in data})


def _as_int(a: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(a, dtype=np.float64)).astype(np.int64)


def _maybe_int(a: Optional[np.ndarray]) -> Optional[np.ndarray]:
    if a is None:
        return None
    return a.astype(np.int64) if a.dtype.kind in "iu" or _is_int(a) else a


def _allow_lava_import() -> None:
    """Lava calls ``multiprocessing.set_start_method('fork')`` when first imported, which
    raises if something (e.g. tqdm's lock) already fixed the default context.  If that
    context is already 'fork', clear it so that Lava's import sets the same value again."""
    import multiprocessing as mp
    import sys
    if "lava.magma.runtime.message_infrastructure.multiprocessing" in sys.modules:
        return
    if mp.get_start_method(allow_none=True) == "fork":
        mp.set_start_method(None, force=True)


def _is_int(a: np.ndarray) -> bool:
    return bool(np.all(a == np.round(a)))


def _monitor_data(mon: Any, var: Any) -> np.ndarray:
    """A monitor's record of ``var`` as ``(*shape, T)`` (Lava gives ``(T, *shape)``)."""
    data = mon.get_data()
    proc = var.process.name
    arr = np.asarray(data[proc][var.name])
    return np.moveaxis(arr, 0, -1)
