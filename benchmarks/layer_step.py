"""One training step of a SLAYER CUBA layer next to the ANN floor (Linear + ReLU).

    .venv/bin/python benchmarks/layer_step.py [--neurons 4096] [--steps 100] [--batch 16]
        [--repeat 5] [--modes float fixed] [--device cpu|cuda] [--threads N] [--json PATH]

Times forward + backward of ``slayer.block.cuba.Dense(N -> N)`` (synapse, CUBA neuron, fused
one-step output delay) on binary input spikes ``(batch, N, T)``, and, on the same input values
in the same run, ``torch.nn.Linear(N, N, bias=False)`` + ReLU on the ``(T * batch, N)`` rows
(the same matmuls without any dynamics: the floor an SNN layer can reach).  Both compute the
weight gradient and the input gradient (a layer in the middle of a network).

Repeats are interleaved (ANN, SNN float, SNN fixed, ANN, ...) so that the machine's load hits
all of them alike.  The table shows, per case, the median and the minimum time, and three
ratios to the ANN: of the medians, of the minima (the least disturbed runs), and the median
of the per-round ratios (each SNN run against the ANN run of the same round).

Modes:

* ``float``: ``pre_hook_fx=None`` (float weights), neuron ``mode='float'``.
* ``fixed``: the default 8-bit weight hook and neuron ``mode='fixed'`` (Loihi fixed-point
  forward, bit exact with Lava; straight-through gradients).

Input layout: ``--layout time-major`` (default) gives the layer its input as a ``(N, C, T)``
view of a time-major buffer, which is what a preceding SLAYER block outputs;
``--layout nct`` passes a contiguous ``(N, C, T)`` tensor (one transpose copy per pass and its
gradient).  The ANN always gets the contiguous ``(T * batch, N)`` rows.

``--device cuda`` runs the GPU variant (default size there: 16,384 neurons, T = 500); it
exits 0 with a message when CUDA is not available.  No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trainers.slayer.block import cuba  # noqa: E402

NEURON = dict(threshold=1.0, current_decay=0.25, voltage_decay=0.03, tau_grad=1.0,
              scale_grad=1.0)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def make_snn(mode: str, n: int, device: torch.device, seed: int) -> torch.nn.Module:
    """``cuba.Dense(n -> n)``: float weights + float neuron, or 8-bit hook + fixed neuron."""
    torch.manual_seed(seed)
    params = dict(NEURON, mode=mode)
    if mode == "float":
        block = cuba.Dense(params, n, n, weight_scale=2, pre_hook_fx=None)
    else:
        block = cuba.Dense(params, n, n, weight_scale=2)
    return block.to(device)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--neurons", type=int, help="layer size (default 4096; cuda 16384)")
    ap.add_argument("--steps", type=int, help="time steps T (default 100; cuda 500)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--rate", type=float, default=0.1, help="input spike probability")
    ap.add_argument("--repeat", type=int, default=5, help="interleaved timed repeats")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--modes", nargs="+", default=["float", "fixed"], choices=["float", "fixed"])
    ap.add_argument("--layout", default="time-major", choices=["time-major", "nct"])
    ap.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args()

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("CUDA is not available: skipping the --device cuda benchmark")
        return 0
    cuda = device.type == "cuda"
    n = args.neurons or (16384 if cuda else 4096)
    steps = args.steps or (500 if cuda else 100)
    batch = args.batch
    if args.threads:
        torch.set_num_threads(args.threads)
    if cuda:  # compare like with like: no TF32 in either
        torch.backends.cuda.matmul.allow_tf32 = False

    gen = torch.Generator().manual_seed(0)
    # time-major buffers (T, B, N): input spikes and the gradient arriving at the output
    x_tm = (torch.rand(steps, batch, n, generator=gen) < args.rate).float().to(device)
    g_tm = (torch.randn(steps, batch, n, generator=gen) * 0.01).to(device)

    ann = torch.nn.Linear(n, n, bias=False).to(device)
    snns = {m: make_snn(m, n, device, seed=1) for m in args.modes}
    with torch.no_grad():
        ann.weight.copy_(snns[args.modes[0]].synapse.weight)

    def ann_step() -> None:
        x = x_tm.reshape(steps * batch, n).detach().requires_grad_(True)
        y = torch.relu(ann(x))
        y.backward(g_tm.reshape(steps * batch, n))
        ann.weight.grad = None

    def snn_step(block: torch.nn.Module) -> Callable[[], None]:
        def step() -> None:
            if args.layout == "time-major":
                leaf = x_tm.detach().requires_grad_(True)
                x = leaf.permute(1, 2, 0)  # (B, N, T) view of the time-major buffer
            else:
                x = x_tm.permute(1, 2, 0).contiguous().requires_grad_(True)
            y = block(x)
            y.backward(g_tm.permute(1, 2, 0))
            block.zero_grad(set_to_none=True)
        return step

    cases: Dict[str, Callable[[], None]] = {"ann": ann_step}
    for m, block in snns.items():
        cases[m] = snn_step(block)
    times: Dict[str, List[float]] = {k: [] for k in cases}
    for r in range(args.warmup + args.repeat):
        for name, fn in cases.items():
            _sync(device)
            t0 = time.perf_counter()
            fn()
            _sync(device)
            if r >= args.warmup:
                times[name].append(time.perf_counter() - t0)

    med = {k: statistics.median(v) for k, v in times.items()}
    low = {k: min(v) for k, v in times.items()}
    paired = {k: statistics.median(s / a for s, a in zip(v, times["ann"]))
              for k, v in times.items()}
    print(f"layer step (forward + backward): Dense({n} -> {n}), T={steps}, batch {batch}, "
          f"input rate {args.rate}, device {device}, threads {torch.get_num_threads()}, "
          f"layout {args.layout}; {args.repeat} interleaved repeats")
    labels = {"ann": "torch Linear + ReLU (ANN floor)", "float": "SLAYER CUBA Dense, float",
              "fixed": "SLAYER CUBA Dense, fixed-point"}
    print(f"  {'case':34s} {'median':>10s} {'min':>10s}   ratio: median    min  per-round")
    for k in ["ann"] + list(args.modes):
        print(f"  {labels[k]:34s} {med[k] * 1e3:7.0f} ms {low[k] * 1e3:7.0f} ms   "
              f"{med[k] / med['ann']:12.2f}x {low[k] / low['ann']:5.2f}x {paired[k]:9.2f}x")
    if args.json:
        res = {"neurons": n, "steps": steps, "batch": batch, "device": str(device),
               "threads": torch.get_num_threads(), "layout": args.layout,
               "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
               "times_s": times, "median_s": med, "min_s": low,
               "ratio_median": {m: med[m] / med["ann"] for m in args.modes},
               "ratio_min": {m: low[m] / low["ann"] for m in args.modes},
               "ratio_per_round": {m: paired[m] for m in args.modes}}
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
