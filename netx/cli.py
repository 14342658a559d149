"""The ``netx`` command line (also ``python -m netx``).

Sub-commands::

    netx inspect  NET                       layers, shapes, neuron parameters, synapse counts
    netx validate NET                       check the file against the format
    netx compile  NET --profile loihi2 -o OUT.net [--json]
    netx run      NET --input X.npy [--steps N] [--backend engine|lava] [--output OUT.npy]
    netx bench    NET [--steps N] [--batch B] [--backends engine,lava]
    netx plot     NET --input X.npy -o raster.png

Arrays are in Lava's layout (``docs/engine.md``).  Any bad file, layer, key, input or
argument prints one line ``error: <file>: layer i: key 'k': reason`` on stderr and exits
with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any, List, Optional, Sequence

import numpy as np

from . import spec
from .errors import NetxFormatError

EXIT_ERROR = 2


class CliError(Exception):
    """A user error to report as one ``error:`` line."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one ``error: ...`` line (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{self.prog}: {message}")


# --------------------------------------------------------------------------- helpers
def _fmt_param(value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0 or arr.size == 1:
        v = arr.reshape(-1)[0]
        return str(int(v)) if float(v) == int(v) else f"{float(v):g}"
    return f"[{arr.min():g}..{arr.max():g}]"


def _neuron_text(layer: spec.Layer) -> str:
    n = layer.neuron
    if n is None:
        if isinstance(layer, spec.DenseLayer):
            return "affine readout (no neuron)"
        return "-"
    if isinstance(n, spec.CubaNeuron):
        text = (f"{n.type} iDecay={_fmt_param(n.i_decay)} vDecay={_fmt_param(n.v_decay)} "
                f"vThMant={_fmt_param(n.vth_mant)}")
        if isinstance(n, spec.AlifNeuron):
            text += (f" thDecay={_fmt_param(n.th_decay)} refDecay={_fmt_param(n.ref_decay)} "
                     f"vThStep={_fmt_param(n.vth_step)}")
        return text
    if isinstance(n, spec.RfNeuron):
        return (f"{n.type} sinDecay={_fmt_param(n.sin_decay)} cosDecay={_fmt_param(n.cos_decay)} "
                f"vThMant={_fmt_param(n.vth_mant)}")
    if isinstance(n, spec.SdnnNeuron):
        return f"SDNN {n.activation} vThMant={_fmt_param(n.vth_mant)}"
    return n.type


def _synapses(layer: spec.Layer) -> int:
    total = 0
    for name in ("weight", "weight_rec", "weight_imag"):
        w = getattr(layer, name, None)
        if isinstance(w, np.ndarray):
            total += int(w.size)
    if isinstance(layer, spec.ConvLayer):  # each kernel weight is shared: count connections
        return total
    if isinstance(layer, spec.PoolLayer):
        kh, kw = layer.kernel_size
        return int(layer.shape[0] * kh * kw) if len(layer.shape) == 3 else 0
    return total


def _table(rows: List[Sequence[str]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def inspect_text(net: spec.Network, path: str) -> str:
    """The ``netx inspect`` report: one row per layer."""
    shapes = spec.input_shapes(net)
    rows: List[Sequence[str]] = [("#", "kind", "in (C,H,W)", "out (C,H,W)", "lava out",
                                  "neuron", "weights")]
    for i, (layer, prev) in enumerate(zip(net.layers, shapes)):
        rows.append((str(i), layer.kind, "?" if prev is None else "x".join(map(str, prev)),
                     "x".join(map(str, layer.shape)),
                     "x".join(map(str, spec.lava_shape(tuple(layer.shape)))),
                     _neuron_text(layer), str(_synapses(layer))))
    sim = net.simulation
    head = [f"{path}: {len(net.layers)} layers, "
            f"{sum(l.size for l in net.layers if not isinstance(l, spec.FlattenLayer))} neurons, "
            f"{sum(_synapses(l) for l in net.layers)} weights",
            f"format_version: {net.format_version or 'lava-dl (none)'}"
            + (f"; simulation: Ts={sim.Ts:g} tSample={sim.tSample}" if sim else "")]
    if net.extras:
        head.append(f"extra groups: {', '.join(sorted(net.extras))}")
    return "\n".join(head + [_table(rows)])


def _load_array(path: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise CliError(f"{path}: no such file")
    try:
        return np.load(p, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise CliError(f"{path}: not a .npy array ({exc})") from None


def _random_input(net: spec.Network, batch: Optional[int], steps: int, mode: str,
                  seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = net.input_shape
    if shape is None:
        raise CliError("the input shape of this network is unknown; pass --input")
    lava = spec.lava_shape(tuple(shape))
    lead = () if batch is None else (batch,)
    if mode == "bias":
        return rng.integers(0, 2, lead + lava) * rng.integers(0, 200, lead + lava)
    return rng.random(lead + lava + (steps,)) < 0.2


def _default_mode(net: spec.Network) -> str:
    first = net.layers[0]
    return "bias" if isinstance(first, spec.InputLayer) and first.neuron is not None else "spikes"


# --------------------------------------------------------------------------- commands
def cmd_inspect(args: argparse.Namespace) -> int:
    print(inspect_text(spec.read(args.net), args.net))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    net = spec.read(args.net)
    print(f"ok: {args.net}: {len(net.layers)} layers "
          f"({', '.join(l.kind for l in net.layers)})")
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    try:
        from compiler import compile as compile_net
    except ImportError as exc:
        raise CliError(f"the compiler is not available ({exc})") from None
    try:
        _, report = compile_net(args.net, profile=args.profile, output=args.output)
    except NetxFormatError:
        raise
    except ValueError as exc:  # CompileError / ProfileError are ValueErrors
        raise CliError(str(exc)) from None
    print(report.to_json() if args.json else report.to_table())
    return 0


def _run_kwargs(args: argparse.Namespace) -> dict:
    return dict(steps=args.steps, backend=args.backend, run_cfg=args.run_cfg,
                input_mode=args.input_mode, reset_interval=args.reset_interval,
                reset_offset=args.reset_offset)


def cmd_run(args: argparse.Namespace) -> int:
    from .runner import run
    x = _load_array(args.input)
    out = run(args.net, x, device=args.device, progress=args.progress, **_run_kwargs(args))
    if args.output:
        np.save(args.output, out)
    # spikes; or the current u of an affine readout, graded sigma-delta messages, means
    if out.dtype == bool:
        kind, summary = "spikes", f"total {int(out.sum())} spikes"
    else:
        kind, summary = "values", f"max |value| {float(np.abs(out).max()) if out.size else 0:g}"
    print(f"{args.net}: output {kind} {tuple(out.shape)} ({args.backend}); {summary}"
          + (f"; saved {args.output}" if args.output else ""))
    return 0


def bench(net_path: str, steps: int = 100, batch: int = 1000,
          backends: Sequence[str] = ("engine", "lava"), input_mode: Optional[str] = None,
          device: str = "cpu") -> List[dict]:
    """Measure throughput: steps/s for one sample and sample-steps/s for a batch.

    Lava runs one sample at a time, so its batch throughput equals its single-sample rate
    (measured once, excluding start-up).  Returns one dict per backend.
    """
    net = spec.read(net_path)
    mode = input_mode or _default_mode(net)
    results = []
    for backend in backends:
        row: dict = {"backend": backend}
        one = _random_input(net, None, steps, mode)
        if backend == "engine":
            from .engine import Engine
            eng = Engine(net, device=device)
            eng.run(_random_input(net, None, 2, mode), steps=2, input_mode=mode)  # warm-up
            t0 = time.perf_counter()
            eng.run(one, steps=steps, input_mode=mode)
            row["single_steps_per_s"] = steps / (time.perf_counter() - t0)
            many = _random_input(net, batch, steps, mode, seed=1)
            t0 = time.perf_counter()
            eng.run(many, steps=steps, input_mode=mode)
            row["batch_sample_steps_per_s"] = batch * steps / (time.perf_counter() - t0)
        else:
            row.update(_bench_lava(net_path, one, steps, mode))
            row["batch_sample_steps_per_s"] = row["single_steps_per_s"]
        results.append(row)
    return results


def _bench_lava(net_path: str, x: np.ndarray, steps: int, mode: str) -> dict:
    """Lava throughput of one sample, start-up (compile + first step) timed separately."""
    from .runner import _allow_lava_import
    _allow_lava_import()
    from lava.magma.core.run_conditions import RunSteps
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source

    from . import hdf5
    lnet = hdf5.Network(net_config=net_path)
    if mode == "bias":
        lnet.in_layer.neuron.bias_mant.init = np.asarray(x, dtype=np.int64)
    else:
        Source(data=np.asarray(x, dtype=float)).s_out.connect(lnet.inp)
    sink = Sink(shape=lnet.out.shape, buffer=steps)
    lnet.out.connect(sink.a_in)
    cfg = hdf5.run_config("loihi1_sim")
    try:
        t0 = time.perf_counter()
        lnet.run(condition=RunSteps(num_steps=1), run_cfg=cfg)
        t1 = time.perf_counter()
        lnet.run(condition=RunSteps(num_steps=steps - 1), run_cfg=cfg)
        t2 = time.perf_counter()
    finally:
        lnet.stop()
    return {"startup_s": t1 - t0, "single_steps_per_s": (steps - 1) / (t2 - t1)}


def bench_table(results: List[dict], steps: int, batch: int) -> str:
    rows: List[Sequence[str]] = [("backend", "1 sample: steps/s",
                                  f"batch {batch}: sample-steps/s", "vs lava (1 / batch)")]
    lava = next((r for r in results if r["backend"] == "lava"), None)
    for r in results:
        ratio = "-"
        if lava and r is not lava:
            ratio = (f"{r['single_steps_per_s'] / lava['single_steps_per_s']:.0f}x / "
                     f"{r['batch_sample_steps_per_s'] / lava['batch_sample_steps_per_s']:.0f}x")
        rows.append((r["backend"], f"{r['single_steps_per_s']:,.0f}",
                     f"{r['batch_sample_steps_per_s']:,.0f}", ratio))
    return f"{steps} steps per run\n" + _table(rows)


def cmd_bench(args: argparse.Namespace) -> int:
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for b in backends:
        if b not in ("engine", "lava"):
            raise CliError(f"unknown backend {b!r} (engine, lava)")
    results = bench(args.net, steps=args.steps, batch=args.batch, backends=backends,
                    input_mode=args.input_mode, device=args.device)
    print(bench_table(results, args.steps, args.batch))
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .engine import Engine
    x = _load_array(args.input)
    eng = Engine(args.net, reset_interval=args.reset_interval, reset_offset=args.reset_offset)
    net = eng.net
    _, traces = eng.run(x, steps=args.steps, input_mode=args.input_mode, return_layers=True)
    if traces[0].spikes.ndim > len(spec.lava_shape(tuple(net.layers[traces[0].index].shape))) + 1:
        traces = [dataclasses.replace(t, spikes=t.spikes[0]) for t in traces]
    fig, axes = plt.subplots(len(traces), 1, sharex=True,
                             figsize=(8, 1.6 + 1.4 * len(traces)), squeeze=False)
    for ax, tr in zip(axes[:, 0], traces):
        s = tr.spikes.reshape(-1, tr.spikes.shape[-1])
        n_idx, t_idx = np.nonzero(s)
        ax.scatter(t_idx, n_idx, s=2, marker="|", color="k")
        ax.set_ylim(-0.5, s.shape[0] - 0.5)
        ax.set_ylabel(f"{tr.index}: {tr.kind}\n({int((s != 0).sum())} spikes)", fontsize=8)
    axes[-1, 0].set_xlabel("time step")
    axes[0, 0].set_title(f"{Path(args.net).name}: spike raster (engine, fixed_pt)")
    fig.tight_layout()
    fig.savefig(args.output, dpi=args.dpi)
    plt.close(fig)
    print(f"wrote {args.output}")
    return 0


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="netx", description="Inspect, validate, compile, run, benchmark and "
                                          "plot .net (hdf5) spiking networks.")
    sub = ap.add_subparsers(dest="command", parser_class=_Parser, required=True)

    p = sub.add_parser("inspect", help="layers, shapes, neuron parameters, synapse counts")
    p.add_argument("net")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("validate", help="check a file against the format")
    p.add_argument("net")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("compile", help="quantize and map onto cores (compiler.compile)")
    p.add_argument("net")
    p.add_argument("--profile", default="loihi2", help="loihi1, loihi2 or a .toml path")
    p.add_argument("-o", "--output", help="write the compiled .net here")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_compile)

    def run_options(p: argparse.ArgumentParser, lava: bool = True) -> None:
        p.add_argument("--steps", type=int, help="time steps (default: from the input)")
        p.add_argument("--input-mode", choices=("spikes", "bias"),
                       help="spikes: (..., T) into the input neuron; bias: the input "
                            "neuron's bias mantissa (default: spikes)")
        p.add_argument("--reset-interval", type=int, help="reset neurons every N steps")
        p.add_argument("--reset-offset", type=int, default=0)
        p.add_argument("--device", default="cpu", help="engine device (cpu, cuda)")
        if lava:
            p.add_argument("--backend", choices=("engine", "lava"), default="engine")
            p.add_argument("--run-cfg", choices=("fixed_pt", "floating_pt", "loihi1_sim"),
                           default="fixed_pt")

    p = sub.add_parser("run", help="run a network on an input array")
    p.add_argument("net")
    p.add_argument("--input", required=True, help=".npy input in Lava layout")
    p.add_argument("--output", help="save the output here (.npy)")
    p.add_argument("--progress", action="store_true")
    run_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("bench", help="throughput of the engine and of Lava, side by side")
    p.add_argument("net")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--backends", default="engine,lava", help="comma list (engine, lava)")
    p.add_argument("--input-mode", choices=("spikes", "bias"),
                   help="of the random input (default: bias where the input layer has a "
                        "neuron, else spikes)")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("plot", help="spike raster of every layer (engine)")
    p.add_argument("net")
    p.add_argument("--input", required=True, help=".npy input in Lava layout")
    p.add_argument("-o", "--output", required=True, help="image file (e.g. raster.png)")
    p.add_argument("--dpi", type=int, default=120)
    run_options(p, lava=False)
    p.set_defaults(func=cmd_plot)
    return ap


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``netx`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "input_mode", None) is None and args.command in ("run", "plot"):
            args.input_mode = "spikes"  # the same input file works for both
        return int(args.func(args) or 0)
    except NetxFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except (ValueError, OSError) as exc:
        where = getattr(args, "net", None) if "args" in locals() else None
        text = str(exc)
        if isinstance(exc, OSError) and exc.filename and exc.strerror:
            where, text = str(exc.filename), exc.strerror  # e.g. an unwritable --output
        print(f"error: {where + ': ' if where else ''}{text}".replace("\n", " "), file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
