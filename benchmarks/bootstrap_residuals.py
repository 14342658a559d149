"""Where a bootstrapped network loses accuracy when it runs as an SNN, and whether that loss
looks like noise.

For a model saved by ``examples/bootstrap_mnist.py`` (``network.pt``) and each block with a
sampler, block ``L`` is run with blocks ``0 .. L-1`` as SNN and the blocks after it in ANN mode
(the readout sees time-averaged rates), on the 1,000 test digits.  Block ``L``'s output is one
of:

* ``snn``       -- its real SNN rates;
* ``fit``       -- the fitted transfer function of its SNN input current, ``f(z)``;
* ``iid``       -- ``f(z)`` plus Gaussian noise with each neuron's residual variance
  (``var(snn - f(z))`` over the digits), clamped to the rate range;
* ``shuffled``  -- ``f(z)`` plus the residual vector of another digit (the residuals keep their
  spread and their correlation across neurons, but no longer belong to the digit);
* ``-top k``    -- the real SNN rates minus the residual's projection on its ``k`` leading
  principal components.

If ``iid`` and ``shuffled`` cost little while ``snn`` costs a lot, the SNN's deviation from the
fit is a deterministic function of the digit (spike timing), not noise: training the ANN
under noise cannot teach the weights to tolerate it.  Also printed: training and test accuracy
of the all-ANN and all-SNN network (a network that fits every training digit has no
training error left for a readout to learn the SNN's deviation from).

    .venv/bin/python benchmarks/bootstrap_residuals.py out/bootstrap_mnist/network.pt
"""

from __future__ import annotations

import argparse
from typing import Dict, List

import torch

from bootstrap_step import load_example

from trainers import bootstrap  # noqa: E402  (bootstrap_step put the checkout on sys.path)

Mode = bootstrap.Mode
BlockModes = bootstrap.routine.BlockModes


def run_blocks(net, x: torch.Tensor, modes: List[Mode], start: int) -> torch.Tensor:
    """Blocks ``start ..`` of ``net`` on ``x`` (``NCT``) with one mode each; ``(N, C, T)`` out."""
    for block, mode in zip(net.blocks[start:], modes):
        x = block(x, mode=mode)
    return x


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Percentage of rows of ``logits`` (``N, C, T``, averaged over T) whose argmax is the label."""
    return 100.0 * float((logits.mean(-1).argmax(1) == labels).float().mean())


def layer_variants(net, images: torch.Tensor, labels: torch.Tensor, steps: int,
                   repeats: int) -> List[Dict[str, float]]:
    """Per sampled block, the test accuracy of each variant of the module docstring."""
    x = images.reshape(len(images), -1, 1).repeat(1, 1, steps)
    rows = []
    for index, block in enumerate(net.blocks):
        if block.sampler is None:
            x = block(x, mode=Mode.SNN)
            continue
        tail = [Mode.ANN] * (len(net.blocks) - index - 1)
        z = block.synaptic_input(x)
        spikes = block(x, mode=Mode.SNN)
        rate = spikes.mean(-1, keepdim=True)
        fit = block.sampler(z.mean(-1, keepdim=True))
        top = float(block.sampler.y_points[-1])
        residual = rate - fit

        def score(output: torch.Tensor) -> float:
            return accuracy(run_blocks(net, output, tail, index + 1), labels)

        row = {"block": index, "snn": score(rate), "fit": score(fit)}
        spread = residual.std(0, keepdim=True)
        row["iid"] = sum(score((fit + torch.randn_like(fit) * spread).clamp(0, top))
                         for _ in range(repeats)) / repeats
        row["shuffled"] = sum(score((fit + residual[torch.randperm(len(fit))]).clamp(0, top))
                              for _ in range(repeats)) / repeats
        centred = (residual - residual.mean(0, keepdim=True)).squeeze(-1).double()
        _, _, components = torch.linalg.svd(centred, full_matrices=False)
        for k in (5, 20):
            lead = components[:k]
            row[f"-top {k}"] = score(rate - ((centred @ lead.T) @ lead).float().unsqueeze(-1))
        rows.append(row)
        x = spikes
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("network", help="network.pt saved by examples/bootstrap_mnist.py")
    parser.add_argument("--repeats", type=int, default=3, help="noise draws per noisy variant")
    parser.add_argument("--seed", type=int, default=0, help="torch seed of the noise draws")
    args = parser.parse_args(argv)

    example = load_example()
    net = example.Network()
    net.load_state_dict(torch.load(args.network))
    net.eval()
    torch.manual_seed(args.seed)
    datasets = {"training": example.MNISTDataset(train=True),
                "test": example.MNISTDataset(train=False)}
    with torch.no_grad():
        for name, data in datasets.items():
            ann, snn = (accuracy(net(data.images, BlockModes(mode)), data.labels)
                        for mode in (Mode.ANN, Mode.SNN))
            print(f"{name} accuracy: ANN {ann:.1f} %, SNN {snn:.1f} %")
        test = datasets["test"]
        rows = layer_variants(net, test.images, test.labels, net.time_steps, args.repeats)
    keys = [k for k in rows[0] if k != "block"]
    print("| block (earlier SNN, later ANN) | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for row in rows:
        print(f"| {row['block']} | " + " | ".join(f"{row[k]:.1f}" for k in keys) + " |")


if __name__ == "__main__":
    main()
