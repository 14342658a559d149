"""Scale benchmark of the compiler: a synthetic conv network of ~1,000,000 neurons.

Builds the network in memory (float weights, so the quantize pass does real work), then
times ``compiler.compile`` (quantize + partition) on a multi-chip Loihi 2 system profile and
prints wall time and peak memory (tracemalloc peak of Python/numpy allocations, and the
process's peak resident set size).  Target (issue): < 60 s and < 4 GB.

    .venv/bin/python benchmarks/compile_scale.py [--neurons 1000000] [--chips 16] [--write]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hw_profiles  # noqa: E402
from netx import spec  # noqa: E402


def _cuba() -> spec.CubaNeuron:
    return spec.CubaNeuron(type="CUBA", i_decay=1024, v_decay=128, vth_mant=80, ref_delay=1)


def synthetic_conv_net(scale: float = 1.0, seed: int = 0) -> spec.Network:
    """Input -> conv -> conv -> pool -> conv(s2) -> conv(s2) -> pool -> flatten -> dense ->
    dense readout, float weights.  ``scale=1`` gives 1,036,938 neurons (spatial side 128);
    the side scales with ``sqrt(scale)``."""
    rng = np.random.default_rng(seed)
    side = max(16, int(round(128 * np.sqrt(scale) / 16)) * 16)

    def conv(c_in, c_out, h, k, s, p):
        w = rng.normal(0, 20, size=(c_out, c_in, k, k)).astype(np.float32)
        h_out = (h + 2 * p - (k - 1) - 1) // s + 1
        layer = spec.ConvLayer(shape=(c_out, h_out, h_out), neuron=_cuba(), weight=w,
                               kernel_size=(k, k), stride=(s, s), padding=(p, p),
                               dilation=(1, 1), groups=1)
        return layer, h_out

    def pool(c, h, k):
        return spec.PoolLayer(shape=(c, h // k, h // k), neuron=_cuba(),
                              weight=np.float32(50.0), kernel_size=(k, k), stride=(k, k),
                              padding=(0, 0), dilation=(1, 1)), h // k

    layers = [spec.InputLayer(shape=(3, side, side), neuron=_cuba())]
    h = side
    l1, h = conv(3, 16, h, 3, 1, 1)
    l2, h = conv(16, 32, h, 3, 1, 1)
    l3, h = pool(32, h, 2)
    l4, h = conv(32, 64, h, 3, 2, 1)
    l5, h = conv(64, 64, h, 3, 2, 1)
    l6, h = pool(64, h, 4)
    n_flat = 64 * h * h
    layers += [l1, l2, l3, l4, l5, l6, spec.FlattenLayer(shape=(n_flat,))]
    layers.append(spec.DenseLayer(shape=(128,), neuron=_cuba(),
                                  weight=rng.normal(0, 8, (128, n_flat)).astype(np.float32)))
    layers.append(spec.DenseLayer(shape=(10,), neuron=None,
                                  weight=rng.normal(0, 8, (10, 128)).astype(np.float32)))
    return spec.Network(layers=layers, simulation=spec.Simulation(Ts=1.0, tSample=100))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=1_000_000, help="approximate size")
    ap.add_argument("--chips", type=int, default=16, help="Loihi 2 chips in the system")
    ap.add_argument("--write", action="store_true", help="also write the compiled .net")
    args = ap.parse_args(argv)

    import compiler

    net = synthetic_conv_net(args.neurons / 1_036_938)
    n = sum(layer.size for layer in net.layers if layer.kind != "flatten")
    profile = dataclasses.replace(hw_profiles.load("loihi2"), chips=args.chips,
                                  name=f"loihi2 x{args.chips}")
    from compiler.partition import partition
    from compiler.quantize import quantize

    t0 = time.perf_counter()
    import torch  # noqa: F401  (the quantizer's Lava weight check imports it once)
    t_torch = time.perf_counter() - t0
    tracemalloc.start()
    t0 = time.perf_counter()
    qnet, _ = quantize(net, profile)
    t_quant = time.perf_counter() - t0
    t0 = time.perf_counter()
    partition(qnet, profile)
    t_part = time.perf_counter() - t0
    out = None
    if args.write:
        out = Path(tempfile.mkdtemp()) / "scale.net"
    t0 = time.perf_counter()
    cnet, report = compiler.compile(net, profile=profile, output=out)
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(report.partition.to_table())
    print()
    print(f"neurons: {n:,}  cores: {report.partition.cores_used}  "
          f"chips: {report.partition.chips_used}")
    print(f"quantize: {t_quant:.2f} s   partition: {t_part:.2f} s   "
          f"compile (validate + quantize + partition{' + write' if out else ''}): {dt:.2f} s")
    print(f"tracemalloc peak: {peak / 2**20:.1f} MiB   peak RSS (whole process, incl. torch "
          f"and the network itself): {rss_mb:.1f} MiB   (torch import, not timed: "
          f"{t_torch:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
