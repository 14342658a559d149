"""Deploy check for the bootstrap MNIST model (issue 4 acceptance).

Loads ``network.pt`` into the tutorial :class:`examples.bootstrap_mnist.Network` and the exported
``network.net``, then on the 1,000 test digits of ``examples/bootstrap_mnist.py`` (same seeded
split) compares:

* the trainer in SNN mode (fixed-point CUBA neurons, ``T = 16`` steps, rate = mean of the
  affine readout over time), against
* the ``.net`` run by the batched engine (``netx.run(..., backend="engine")``) on all digits,
  and by Lava ``fixed_pt`` (``backend="lava"``) on the first ``--lava`` digits.

Input encoding.  The trainer's Input block feeds its neuron ``z = x * weight + bias`` (``x`` the
pixel in ``[-1, 1]``, weight/bias 8-bit quantized), and the fixed-point neuron integrates the
integer ``a = round(64 z)`` every step.  The ``.net`` input layer's neuron is given exactly that
integer as graded input on ``a_in`` (``input_mode="spikes"`` with int64 values), so the Lava input
neuron sees what the trainer's Input neuron sees.  (The file's input ``weight``/``bias`` keys are
not applied by netx or Lava, see docs/engine.md.)

Time alignment.  The trainer's Input block has no output delay and every Dense block delays its
output by one step, so the trainer's block ``k`` output at step ``t`` is its neuron's spike of step
``t - 1``.  In Lava every synapse delivers one step late (the input layer sees its input in the
same step).  Working it through, Lava's layer ``k`` spikes at step ``t`` equal the trainer's block
``k`` *output* at step ``t`` for every layer (input layer included): the spike trains are compared
directly, step for step, over the ``T`` trainer steps.  The affine readout is a non-spiking
integrator whose ``u`` after step ``t`` is ``4096 * sum_{s < t} z_readout[s]`` (``64 *`` the
integer weights times spikes, accumulated), i.e. it lags the trainer's readout by one step.  The
trainer's rate uses all ``T`` readout steps, so the engine runs ``T + 1`` steps (the extra input
step reaches no layer that the readout sees by then) and classifies by ``u`` after step ``T + 1``;
the readout currents are then compared exactly with the trainer's.  The accuracy with only the
file's ``tSample = T`` steps (missing the readout's last step) is printed as well.

Run:  python examples/bootstrap_eval.py --out out/bootstrap_mnist [--lava 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
import netx  # noqa: E402
from trainers import bootstrap  # noqa: E402


def trainer_snn(blocks: Sequence[torch.nn.Module], x: torch.Tensor) -> List[np.ndarray]:
    """Run ``blocks`` in SNN mode on ``x`` ``(N, C, T)``; returns every block's output as numpy
    ``(N, C_k, T)`` (spikes for spiking blocks, the synapse output ``W s`` for an Affine)."""
    outs = []
    with torch.no_grad():
        for block in blocks:
            x = block(x, mode=bootstrap.Mode.SNN)
            outs.append(x.detach().cpu().numpy())
    return outs


def input_integers(input_block: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    """The integer neuron input ``a = round(64 * (x * weight + bias))`` that the trainer's Input
    neuron integrates, for ``x`` ``(N, C, T)``; int64 ``(N, C, T)`` (Lava layout for a dense input)."""
    with torch.no_grad():
        z = input_block.synaptic_input(x)
        return torch.round(z * 64).to(torch.int64).cpu().numpy()


def readout_u(trainer_readout: np.ndarray) -> np.ndarray:
    """The Lava affine readout ``u`` (int64 ``(N, C, T + 1)``) that a trainer Affine output
    ``(N, C, T)`` (float, ``W s`` with ``W = w_int / 64``) corresponds to: ``u[t] = 4096 *
    sum_{s < t} z[s]`` (Lava layout, one-step lag)."""
    a = np.rint(trainer_readout.astype(np.float64) * 64).astype(np.int64)
    cum = np.cumsum(a, axis=-1) * 64
    return np.concatenate([np.zeros_like(cum[..., :1]), cum], axis=-1)


def compare(trainer_outs: Sequence[np.ndarray], traces: Sequence[Any], out_u: np.ndarray,
            steps: int) -> Dict[str, bool]:
    """Exact agreement per layer: spiking layers ``spikes[..., :T] == trainer block output``;
    the readout ``u[..., :T+1] == readout_u(trainer)``."""
    result = {}
    spiking = [tr for tr in traces if tr.index != traces[-1].index]
    for k, (tr, ref) in enumerate(zip(spiking, trainer_outs[:-1])):
        result[f"layer{tr.index}_spikes"] = bool(
            np.array_equal(tr.spikes[..., :steps].astype(bool), ref.astype(bool)))
    ref_u = readout_u(trainer_outs[-1])
    result["readout_u"] = bool(np.array_equal(out_u[..., : steps + 1], ref_u))
    return result


def main(argv=None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="out/bootstrap_mnist",
                        help="folder with network.pt and network.net")
    parser.add_argument("--lava", type=int, default=20, help="digits to run on Lava (0: none)")
    parser.add_argument("--batch", type=int, default=250, help="trainer/engine batch size")
    args = parser.parse_args(argv)

    from examples.bootstrap_mnist import MNISTDataset, Network

    folder = Path(args.out)
    net = Network()
    net.load_state_dict(torch.load(folder / "network.pt", map_location="cpu"))
    net.eval()
    path = str(folder / "network.net")
    T = net.time_steps

    test = MNISTDataset(train=False)
    images, labels = test.images, test.labels.numpy()
    n = len(labels)

    pred_tr, pred_eng, pred_eng_T = [], [], []
    agree: Dict[str, bool] = {}
    spike_counts = [0, 0, 0]
    t0 = time.time()
    lava_inputs, lava_trainer = None, None
    for lo in range(0, n, args.batch):
        x = images[lo: lo + args.batch]
        xt = x.reshape(len(x), -1, 1).repeat(1, 1, T)  # the tutorial's (N, 784, T)
        outs = trainer_snn(net.blocks, xt)
        pred_tr.append(outs[-1].mean(axis=-1).argmax(axis=1))
        spike_counts = [c + int(o.sum()) for c, o in zip(spike_counts, outs[:-1])]
        a = input_integers(net.blocks[0], xt)
        a1 = np.concatenate([a, a[..., -1:]], axis=-1)  # T + 1 steps (readout lag)
        out, traces = netx.run(path, a1, backend="engine", input_mode="spikes",
                               return_layers=True)
        pred_eng.append(out[..., T].argmax(axis=1))
        pred_eng_T.append(out[..., T - 1].argmax(axis=1))
        for key, ok in compare(outs, traces, out, T).items():
            agree[key] = agree.get(key, True) and ok
        if lava_inputs is None:
            lava_inputs = a1[: args.lava]
            lava_trainer = [o[: args.lava] for o in outs]
            eng_first = (out[: args.lava], [tr.spikes[: args.lava] for tr in traces])
    t_eng = time.time() - t0
    pred_tr = np.concatenate(pred_tr)
    pred_eng = np.concatenate(pred_eng)
    pred_eng_T = np.concatenate(pred_eng_T)
    acc_tr = float(np.mean(pred_tr == labels))
    acc_eng = float(np.mean(pred_eng == labels))
    acc_eng_T = float(np.mean(pred_eng_T == labels))
    summary: Dict[str, Any] = {
        "digits": n,
        "trainer_snn_accuracy": acc_tr,
        "engine_accuracy": acc_eng,
        "difference_pp": 100 * (acc_eng - acc_tr),
        "engine_accuracy_tSample_steps": acc_eng_T,
        "difference_tSample_steps_pp": 100 * (acc_eng_T - acc_tr),
        "same_predictions_trainer_engine": int(np.sum(pred_tr == pred_eng)),
        "exact_trainer_vs_engine": agree,
        "trainer_spikes_per_digit": [c / n for c in spike_counts],
        "seconds_trainer_plus_engine": round(t_eng, 1),
    }

    if args.lava > 0:
        t0 = time.time()
        out_l, traces_l = netx.run(path, lava_inputs, backend="lava", input_mode="spikes",
                                   return_layers=True)
        lab = labels[: args.lava]
        summary["lava_digits"] = int(args.lava)
        summary["lava_accuracy"] = float(np.mean(out_l[..., T].argmax(axis=1) == lab))
        summary["engine_accuracy_on_lava_digits"] = float(
            np.mean(eng_first[0][..., T].argmax(axis=1) == lab))
        summary["trainer_accuracy_on_lava_digits"] = float(
            np.mean(pred_tr[: args.lava] == lab))
        ev = {"readout_u": bool(np.array_equal(out_l, eng_first[0]))}
        for tr, es in zip(traces_l, eng_first[1]):
            if tr.spikes is not None and es is not None:
                ev[f"layer{tr.index}_spikes"] = bool(np.array_equal(
                    tr.spikes.astype(bool), es.astype(bool)))
        summary["exact_engine_vs_lava"] = ev
        summary["exact_trainer_vs_lava"] = compare(lava_trainer, traces_l, out_l, T)
        summary["seconds_lava"] = round(time.time() - t0, 1)

    print(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
