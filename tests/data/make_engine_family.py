"""Make tests/data/engine_family/: trainer-exported networks of every neuron/synapse kind and
what Lava (fixed_pt) does with them, for tests/test_engine_family.py (which needs no Lava).

Run once from the repository root (Lava runs each process as an OS process: a few minutes):

    .venv/bin/python tests/data/make_engine_family.py

For each case it builds a small network from ``trainers.slayer`` blocks (seeded), trains the
two-layer spiking and sigma-delta nets 3 Adam steps in fixed mode (as
tests/test_slayer_family_lava.py does), exports it with ``slayer.block.export_hdf5`` to
``<case>.net``, draws ``SAMPLES`` inputs in Lava's layout and records, per sample, Lava's
traces of every layer (``netx.run(backend='lava', return_layers=True)``: what each layer sends,
and its ``u``/``v`` and other neuron Vars) into ``lava.npz``:

* ``<case>__input``: (SAMPLES, *lava_shape(in), STEPS) integers;
* ``<case>__L<k>__<field>``: layer k's trace (``spikes``, ``u``, ``v``, ``state_<name>``),
  (SAMPLES, *lava_shape, STEPS), int64 (spikes as 0/1).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository root
sys.path.insert(0, str(HERE.parent))  # tests/ (helpers)

import netx  # noqa: E402
from helpers import warm_up  # noqa: E402
from trainers import slayer  # noqa: E402

OUT = HERE / "engine_family"
SAMPLES, STEPS = 3, 24
ALIF = dict(threshold=1.0, threshold_step=0.5, current_decay=0.5, voltage_decay=0.25,
            threshold_decay=0.25, refractory_decay=0.25)
RF = {"threshold": 0.25, "period": 7, "decay": 0.25}
CUBA = dict(threshold=1.0, current_decay=0.25, voltage_decay=0.1)
SD = {"threshold": 0.125}


def _train(blocks, x):
    net = torch.nn.Sequential(*blocks)
    warm_up(net, x)
    return list(net)


def _spikes(shape, p=0.3):
    return (torch.rand(*shape) < p).float()


def build(case: str):
    """(blocks, lava_input) of one case; lava_input (SAMPLES, *lava_shape(in), STEPS)."""
    torch.manual_seed(sum(map(ord, case)))
    if case in ("alif", "rf", "rf_iz"):
        params = dict(ALIF if case == "alif" else RF, requires_grad=True)
        mod = getattr(slayer.block, case)
        x = _spikes((SAMPLES, 12, STEPS))
        blocks = _train([mod.Input(None), mod.Dense(params, 12, 10, weight_scale=3),
                         mod.Dense(params, 10, 4, weight_scale=3)], x)
        return blocks, x.numpy()
    if case in ("rf_complex", "rf_iz_complex"):
        mod = getattr(slayer.block, case.replace("_complex", ""))
        x = _spikes((SAMPLES, 12, STEPS))
        blocks = [mod.Input(None), mod.ComplexDense(RF, 12, 8, weight_scale=3),
                  mod.Dense(RF, 8, 4, weight_scale=3)]
        return blocks, x.numpy()
    if case == "sigma_delta":
        mod = slayer.block.sigma_delta
        data = torch.randint(0, 40, (SAMPLES, 12, STEPS))  # Lava units (64 x training units)
        blocks = _train([mod.Input(SD), mod.Dense(SD, 12, 10, weight_scale=3),
                         mod.Output(SD, 10, 4, weight_scale=3)], data.float() / 64)
        return blocks, data.numpy()
    if case == "sigma_delta_conv":
        mod = slayer.block.sigma_delta
        data = torch.randint(0, 40, (SAMPLES, 2, 7, 6, STEPS))  # NCHWT, Lava units
        blocks = [mod.Input(SD), mod.Conv(SD, 2, 4, 3, stride=2, weight_scale=3),
                  mod.Flatten(), mod.Dense(SD, 4 * 3 * 2, 6, weight_scale=3),
                  mod.Output(SD, 6, 3, weight_scale=3)]
        return blocks, data.numpy().transpose(0, 3, 2, 1, 4)  # -> (B, W, H, C, T)
    if case in ("cuba_delay", "alif_delay"):
        mod = slayer.block.cuba if case == "cuba_delay" else slayer.block.alif
        params = CUBA if case == "cuba_delay" else ALIF
        x = _spikes((SAMPLES, 12, STEPS), 0.4)
        blocks = [mod.Input(None), mod.Dense(params, 12, 10, weight_scale=3, delay=True),
                  mod.Dense(params, 10, 4, weight_scale=3, delay=True)]
        torch.nn.Sequential(*blocks)(x)  # shapes the per-neuron delays
        with torch.no_grad():
            for b, top in zip(blocks[1:], (6, 3)):
                b.delay.delay.copy_(torch.randint(0, top + 1, b.delay.delay.shape).float())
        return blocks, x.numpy()
    raise ValueError(case)


CASES = ("alif", "rf", "rf_iz", "rf_complex", "rf_iz_complex", "sigma_delta",
         "sigma_delta_conv", "cuba_delay", "alif_delay")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    arrays = {}
    for case in CASES:
        blocks, x = build(case)
        with torch.no_grad():  # a forward pass fixes the shapes the export writes
            y = torch.as_tensor(x if x.ndim == 3 else x.transpose(0, 3, 2, 1, 4)).float()
            torch.nn.Sequential(*blocks)(y / 64 if case.startswith("sigma") else y)
        path = OUT / f"{case}.net"
        slayer.block.export_hdf5(blocks, str(path))
        x = np.asarray(x).astype(np.int64)
        _, traces = netx.run(path, x, backend="lava", return_layers=True)
        arrays[f"{case}__input"] = x
        for k, tr in enumerate(traces):
            fields = {"spikes": tr.spikes, "u": tr.u, "v": tr.v}
            fields.update({f"state_{n}": a for n, a in tr.state.items()})
            for name, a in fields.items():
                if a is not None:
                    arrays[f"{case}__L{k}__{name}"] = np.asarray(a).astype(np.int64)
        sent = sum(int(np.count_nonzero(t.spikes)) for t in traces)
        print(f"{case}: {len(traces)} layers, {sent} non-zero messages")
    np.savez_compressed(OUT / "lava.npz", **arrays)
    print(f"wrote {OUT / 'lava.npz'}")


if __name__ == "__main__":
    main()
