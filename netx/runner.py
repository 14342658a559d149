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

from . import spec
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
        input_shape: Optional[Tuple[int, ...]] = None, threads: Optional[int] = None):
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

    Returns:
        Output spikes (bool), or the current ``u`` (int64) of an affine readout, shaped
        ``([B,] *lava_shape(out), T)``; with ``return_layers`` a tuple ``(output, traces)``.

    Raises:
        NetxFormatError: bad file, unsupported layer, or inputs that do not fit.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "engine":
        from .engine import Engine
        eng = Engine(net_config, mode=_mode_of(run_cfg), device=device,
                     reset_interval=reset_interval, reset_offset=reset_offset,
                     input_shape=input_shape)
        return eng.run(inputs, steps=steps, input_mode=input_mode,
                       return_layers=return_layers, progress=progress, threads=threads)
    return run_lava(net_config, inputs, steps=steps, run_cfg=run_cfg, input_mode=input_mode,
                    return_layers=return_layers, progress=progress,
                    reset_interval=reset_interval, reset_offset=reset_offset,
                    input_shape=input_shape)


# --------------------------------------------------------------------------- Lava backend
def _shapes(net: spec.Network, x: np.ndarray, timed: bool,
            input_shape: Optional[Tuple[int, ...]]) -> Tuple[Tuple[int, ...], bool]:
    shape = tuple(input_shape) if input_shape is not None else net.input_shape
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
             reset_offset: int = 0, input_shape: Optional[Tuple[int, ...]] = None):
    """The ``backend='lava'`` path of :func:`run`: builds ``netx.hdf5.Network`` once per
    sample, feeds it from a ``RingBuffer`` source (or sets the input ``bias_mant``), records
    the output with a ``RingBuffer`` sink (a ``Monitor`` on ``u`` for an affine readout) and
    always stops Lava."""
    _allow_lava_import()
    from lava.magma.core.run_conditions import RunSteps
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source
    from lava.proc.monitor.process import Monitor

    from . import hdf5
    from .engine import LayerTrace

    net = net_config if isinstance(net_config, spec.Network) else spec.read(net_config)
    path = None if isinstance(net_config, spec.Network) else str(net_config)
    if input_mode not in ("spikes", "bias"):
        raise ValueError(f"input_mode must be 'spikes' or 'bias', got {input_mode!r}")
    timed = input_mode == "spikes"
    x = np.asarray(inputs)
    shape, batched = _shapes(net, x, timed, input_shape)
    if steps is None:
        if timed:
            steps = int(x.shape[-1])
        elif net.simulation is not None and net.simulation.tSample:
            steps = int(net.simulation.tSample)
        else:
            raise ValueError("steps is required for input_mode='bias'")
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
                            input_shape=spec.lava_shape(shape) if first_conv else None)
        last = lnet.out_layer
        affine = type(last).__name__ == "Affine"
        if timed:
            data = np.zeros((*sample.shape[:-1], steps))
            n = min(steps, sample.shape[-1])
            data[..., :n] = sample[..., :n]
            source = Source(data=data.astype(float))
            source.s_out.connect(lnet.inp)
        else:
            lnet.in_layer.neuron.bias_mant.init = np.asarray(sample, dtype=np.int64)
        monitors = []
        if affine:
            mon = Monitor()
            mon.probe(target=last.neuron.u, num_steps=steps)
            sink = None
        else:
            sink = Sink(shape=lnet.out.shape, buffer=steps)
            lnet.out.connect(sink.a_in)
        if return_layers:
            for block in lnet.layers:
                row = []
                for var in (block.neuron.s_out, block.neuron.u, block.neuron.v):
                    m = Monitor()
                    m.probe(target=var, num_steps=steps)
                    row.append(m)
                monitors.append(row)
        try:
            lnet.run(condition=RunSteps(num_steps=steps), run_cfg=run_cfg)
            if affine:
                out = _monitor_data(mon, last.neuron.u)
            else:
                out = np.asarray(sink.data.get()).astype(bool)
            layer_data = [[_monitor_data(m, var) for m, var in zip(row, (
                block.neuron.s_out, block.neuron.u, block.neuron.v))]
                for row, block in zip(monitors, lnet.layers)]
        finally:
            lnet.stop()
        outs.append(out.astype(np.int64) if affine else out)
        if return_layers:
            traces_all.append([LayerTrace(index=i, kind=net.layers[i].kind,
                                          spikes=d[0].astype(bool), u=d[1].astype(np.int64)
                                          if d[1].dtype.kind in "iu" or _is_int(d[1]) else d[1],
                                          v=d[2].astype(np.int64)
                                          if d[2].dtype.kind in "iu" or _is_int(d[2]) else d[2])
                               for i, d in zip(lnet.layer_index, layer_data)])
    result = np.stack(outs) if batched else outs[0]
    if not return_layers:
        return result
    if not batched:
        return result, traces_all[0]
    merged = [LayerTrace(index=t0.index, kind=t0.kind,
                         spikes=np.stack([tr[k].spikes for tr in traces_all]),
                         u=np.stack([tr[k].u for tr in traces_all]),
                         v=np.stack([tr[k].v for tr in traces_all]))
              for k, t0 in enumerate(traces_all[0])]
    return result, merged


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
