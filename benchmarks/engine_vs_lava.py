"""Engine vs Lava throughput on the same network and the same input (default: mnist.net).

    .venv/bin/python benchmarks/engine_vs_lava.py [--net PATH] [--steps 200] [--batch 1000]
                                                  [--batch-steps 16] [--device cpu]

* one sample: the same input (bias-driven MNIST-like image) runs ``--steps`` steps on Lava
  (``Loihi1SimCfg(select_tag='fixed_pt')``, via ``netx.hdf5.Network``) and on the engine;
  the outputs must be identical; throughput in steps/s (Lava's start-up — compiling and
  spawning its processes — is timed separately and excluded).
* the engine runs with both of its CPU methods: ``tensor`` (batched torch matmuls) and
  ``event`` (the numba event-driven kernel, netx/engine/event.py; needs numba);
* a batch: ``--batch`` samples of ``--batch-steps`` steps on the engine, in sample-steps/s.
  Lava runs one sample at a time, so its batch throughput is at best its single-sample
  steps/s (start-up excluded; ``with start-up`` shows the cost of one Lava run per sample).

Engine timings are the best of ``--repeat`` runs (default 10).  Prints a table; ``--json``
also writes the numbers.  No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from netx import spec  # noqa: E402
from netx.engine import Engine, event  # noqa: E402
from netx.runner import _allow_lava_import  # noqa: E402

DEFAULT_NET = REPO.parent / "shared" / "fixtures" / "lava-dl-0.6.0" / "mnist.net"


def images(n: int, size: int, seed: int) -> np.ndarray:
    """MNIST-like bias mantissas (Lava layout (n, size)): a sparse image, values 0..199."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, (n, size)) * rng.integers(0, 200, (n, size))


def lava_run(net_path: Path, bias: np.ndarray, steps: int) -> tuple[np.ndarray, float, float]:
    """Run one sample on Lava; returns (output u of the readout (N, T), start-up s, steps/s)."""
    _allow_lava_import()
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi1SimCfg
    from lava.proc.monitor.process import Monitor

    from netx import hdf5

    net = hdf5.Network(net_config=str(net_path))
    net.in_layer.neuron.bias_mant.init = bias.astype(np.int64)
    mon = Monitor()
    mon.probe(target=net.out_layer.neuron.u, num_steps=steps)
    cfg = Loihi1SimCfg(select_tag="fixed_pt")
    try:
        t0 = time.perf_counter()
        net.run(condition=RunSteps(num_steps=1), run_cfg=cfg)
        t1 = time.perf_counter()
        net.run(condition=RunSteps(num_steps=steps - 1), run_cfg=cfg)
        t2 = time.perf_counter()
        data = mon.get_data()[net.out_layer.neuron.name]["u"]
    finally:
        net.stop()
    return np.moveaxis(np.asarray(data), 0, -1).astype(np.int64), t1 - t0, (steps - 1) / (t2 - t1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", type=Path, default=DEFAULT_NET)
    ap.add_argument("--steps", type=int, default=200, help="steps of the single-sample run")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--batch-steps", type=int, default=16, help="steps per batch sample")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeat", type=int, default=10,
                    help="engine timings: best of N (default 10; a batch run lasts about "
                         "0.05 s, so one busy moment of a shared VM can halve a single "
                         "timing, while Lava's figure is one run of --steps steps)")
    ap.add_argument("--threads", type=int, help="engine CPU threads (default: see Engine.run)")
    ap.add_argument("--skip-lava", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args()

    net = spec.read(args.net)
    if not (isinstance(net.layers[0], spec.InputLayer) and net.layers[-1].neuron is None):
        print("this benchmark expects an input layer and an affine readout (mnist.net)")
        return 2
    size = net.layers[0].size
    one = images(1, size, seed=0)[0]
    eng = Engine(net, device=args.device)
    methods = ["tensor"] + (["event"] if args.device == "cpu" and event.available() else [])
    batch = images(args.batch, size, seed=1)
    eng_single, eng_batch, eng_out = {}, {}, {}
    for method in methods:
        eng.run(one, steps=2, input_mode="bias", method=method)  # warm-up (event: compile)
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            eng_out[method] = eng.run(one, steps=args.steps, input_mode="bias",
                                      threads=args.threads, method=method)
            best = min(best, time.perf_counter() - t0)
        eng_single[method] = args.steps / best
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            eng.run(batch, steps=args.batch_steps, input_mode="bias", threads=args.threads,
                    method=method)
            best = min(best, time.perf_counter() - t0)
        eng_batch[method] = args.batch * args.batch_steps / best

    res = {"net": str(args.net), "steps": args.steps, "batch": args.batch,
           "batch_steps": args.batch_steps, "device": args.device, "threads": args.threads,
           "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
           "engine_single_steps_per_s": eng_single,
           "engine_batch_sample_steps_per_s": eng_batch}
    lava_single = None
    rows = []
    if not args.skip_lava:
        lava_out, startup, lava_single = lava_run(args.net, one, args.steps)
        same = all(bool(np.array_equal(lava_out, o)) for o in eng_out.values())
        with_startup = args.batch_steps / (startup + args.batch_steps / lava_single)
        res.update(lava_single_steps_per_s=lava_single, lava_startup_s=startup,
                   lava_batch_sample_steps_per_s=lava_single,
                   lava_batch_with_startup=with_startup, identical_output=same)
        rows.append(("Lava Loihi1SimCfg fixed_pt", f"{lava_single:,.0f}",
                     f"{lava_single:,.0f} ({with_startup:,.1f} with start-up)", "1x / 1x"))
    for method in methods:
        ratio = (f"{eng_single[method] / lava_single:,.0f}x / "
                 f"{eng_batch[method] / lava_single:,.0f}x" if lava_single else "-")
        rows.append((f"netx engine, {method} ({args.device})", f"{eng_single[method]:,.0f}",
                     f"{eng_batch[method]:,.0f}", ratio))

    head = ("backend", "1 sample: steps/s", f"batch {args.batch}: sample-steps/s",
            "speed-up (1 / batch)")
    widths = [max(len(r[c]) for r in rows + [head]) for c in range(4)]
    print(f"{args.net.name}: {len(net.layers)} layers, {sum(l.size for l in net.layers)} "
          f"neurons; single run {args.steps} steps, batch runs {args.batch_steps} steps")
    for r in [head, tuple("-" * w for w in widths)] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    if not args.skip_lava:
        print(f"Lava start-up {res['lava_startup_s']:.1f} s; engine output identical to "
              f"Lava: {res['identical_output']}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0 if res.get("identical_output", True) else 1


if __name__ == "__main__":
    sys.exit(main())
