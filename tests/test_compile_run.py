"""Issue 5 acceptance: a compiled network runs on Lava exactly as the engine (and the trainer)
predicts.

For a small float network trained and exported by our SLAYER trainer, and for each lava-dl
fixture (tiny.net, mnist.net, recurrent_example.net):

* ``compiler.compile(..., 'loihi2')`` -> the compiled ``.net``;
* 20 random inputs of ``R`` steps are run (a) batched on the engine, one sample each, and
  (b) concatenated in time as ONE Lava ``fixed_pt`` run (and one engine run) with a per-layer
  reset every ``R`` steps;
* the Lava run must equal the engine run step for step; for networks without bias or
  recurrence both must also equal the batched engine outputs laid end to end (sample
  ``i``'s last ``L`` output steps, ``L`` = the network's latency, appear at the start of
  segment ``i + 1``); for the others (tiny.net has conv biases, recurrent_example.net is
  recurrent, so a reset is not a fresh start) two samples also run on Lava one by one and
  must equal the batched engine.

The fixtures are fixed point, so compiling them must leave every weight, bias, delay and
neuron parameter unchanged (passthrough).  The float trainer network is compiled both with
``weight_exp=False`` and with exponents (``test_trainer_net_weight_exp_lava_vs_engine``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import h5py
import numpy as np
import pytest
import torch

import compiler
import netx
from netx import spec
from trainers import slayer

SAMPLES = 20
NEURON = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.125,
          "tau_grad": 1.0, "scale_grad": 1.0, "requires_grad": False, "mode": "float"}


# --------------------------------------------------------------------------- helpers
def _latency(net: spec.Network) -> Tuple[int, int]:
    """``(L, reset_offset)``: input at step t first reaches the output at step ``t + L``;
    ``reset_offset`` makes each neuron group reset exactly when a new sample reaches it."""
    groups = sum(1 for layer in net.layers if layer.kind != "flatten")
    has_input = net.layers[0].kind == "input"
    return groups - 1 + (0 if has_input else 1), 0 if has_input else 1


def _end_to_end(batched: np.ndarray, r: int, lat: int) -> np.ndarray:
    """Batched outputs ``(B, ..., r + lat)`` laid end to end as one run of ``B * r + lat``
    steps with a reset every ``r`` steps: segment ``i``'s steps ``1..lat`` carry sample
    ``i - 1``'s tail (steps ``r+1..r+lat``), the rest sample ``i``'s steps ``lat+1..r``."""
    b = batched.shape[0]
    out = np.zeros(batched.shape[1:-1] + (b * r + lat,), dtype=batched.dtype)
    for i in range(b):
        out[..., i * r + lat:(i + 1) * r] = batched[i, ..., lat:r]
        out[..., (i + 1) * r:(i + 1) * r + lat] = batched[i, ..., r:r + lat]
    return out


def _segments_independent(net: spec.Network) -> bool:
    """Whether a run with per-layer resets equals separate runs laid end to end: not with a
    bias (in a separate run, layer k integrates its bias for k steps before the input
    arrives; after a reset it does not) nor a recurrent layer (its own last spike of the
    previous sample is in flight through the reset)."""
    for layer in net.layers:
        if layer.kind == "dense_rec":
            return False
        bias = getattr(layer, "bias", None)
        if layer.kind != "input" and bias is not None and np.any(np.asarray(bias) != 0):
            return False
    return True


def _check_lava_equals_engine(path: Path, samples: np.ndarray, separate: int = 2
                              ) -> np.ndarray:
    """``samples`` ``(B, *lava_shape(in), r)``: one Lava run of the concatenation (reset
    every ``r`` steps) == one engine run of it, step for step.  Where segments are
    independent (:func:`_segments_independent`) both also equal the batched engine outputs
    laid end to end; elsewhere the first ``separate`` samples also run on Lava one by one
    and must equal the batched engine.  Returns the batched engine output."""
    net = spec.read(path)
    lat, offset = _latency(net)
    b, r = samples.shape[0], samples.shape[-1]
    assert r > lat
    padded = np.concatenate([samples, np.zeros(samples.shape[:-1] + (lat,), samples.dtype)], -1)
    batched = netx.run(path, padded, backend="engine")  # (B, *out, r + lat)
    concat = np.concatenate(list(samples) + [np.zeros(samples.shape[1:-1] + (lat,),
                                                      samples.dtype)], axis=-1)
    kw = dict(reset_interval=r, reset_offset=offset)
    engine_concat = netx.run(path, concat, backend="engine", **kw)
    lava = netx.run(path, concat, backend="lava", **kw)
    assert lava.shape == engine_concat.shape == (*batched.shape[1:-1], b * r + lat)
    mismatch = np.argwhere(lava != engine_concat)
    assert mismatch.size == 0, f"Lava != engine at (neuron..., step) {mismatch[:5].tolist()}"
    if _segments_independent(net):
        np.testing.assert_array_equal(engine_concat, _end_to_end(batched, r, lat))
    else:
        lava_each = netx.run(path, padded[:separate], backend="lava")
        np.testing.assert_array_equal(lava_each, batched[:separate])
    return batched


def _nontrivial(out: np.ndarray) -> None:
    """The comparison must not be vacuous: outputs vary and are not all zero."""
    assert np.count_nonzero(out) > 0
    per_sample = out.reshape(out.shape[0], -1)
    assert len({row.tobytes() for row in per_sample}) > 1


def _random_inputs(shape: Tuple[int, ...], r: int, high: int, density: float,
                   seed: int, quiet: int = 4) -> np.ndarray:
    """``(SAMPLES, *shape, r)`` graded integer inputs in ``[1, high]`` at ``density``,
    zero in the last ``quiet`` steps (float64, as the Lava source wants)."""
    rng = np.random.RandomState(seed)
    x = rng.randint(1, high + 1, size=(SAMPLES, *shape, r)) * (
        rng.rand(SAMPLES, *shape, r) < density)
    x[..., r - quiet:] = 0
    return x.astype(np.float64)


def _same_parameters(a: spec.Network, b: spec.Network) -> None:
    """Every array / scalar of every layer and neuron of ``a`` equals ``b``'s, exactly."""
    assert len(a.layers) == len(b.layers)
    for i, (la, lb) in enumerate(zip(a.layers, b.layers)):
        assert la.kind == lb.kind and tuple(la.shape) == tuple(lb.shape), i
        for name in ("weight", "weight_rec", "weight_real", "weight_imag", "bias", "delay"):
            va, vb = getattr(la, name, None), getattr(lb, name, None)
            assert (va is None) == (vb is None), (i, name)
            if va is not None:
                assert np.asarray(va).dtype == np.asarray(vb).dtype, (i, name)
                np.testing.assert_array_equal(va, vb, err_msg=f"layer {i} {name}")
        assert (la.neuron is None) == (lb.neuron is None), i
        if la.neuron is not None:
            for key, va in vars(la.neuron).items():
                if key == "extra":
                    continue
                np.testing.assert_array_equal(va, getattr(lb.neuron, key),
                                              err_msg=f"layer {i} neuron {key}")


# --------------------------------------------------------------------------- trainer net
class _Tiny(torch.nn.Module):
    """16 -> 12 -> 6 CUBA, float mode, float weights (``pre_hook_fx=None``); NCT."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = torch.nn.ModuleList([
            slayer.block.cuba.Dense(NEURON, 16, 12, weight_scale=4, weight_norm=False,
                                    delay_shift=False, pre_hook_fx=None),
            slayer.block.cuba.Dense(NEURON, 12, 6, weight_scale=4, weight_norm=False,
                                    delay_shift=False, pre_hook_fx=None),
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


@pytest.fixture(scope="module")
def trainer_net(tmp_path_factory) -> Dict[str, object]:
    """Train ``_Tiny`` 5 Adam steps on random spikes (float), export, compile for loihi2
    twice: with weight exponents disabled (``plain``) and enabled (``exp``)."""
    torch.manual_seed(0)
    model = _Tiny()
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(32, 16, 12, generator=g) < 0.3).float()
    target = torch.randint(0, 6, (32,), generator=g)
    error = slayer.loss.SpikeRate(true_rate=0.5, false_rate=0.05, reduction="sum")
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(5):
        opt.zero_grad()
        error(model(x), target).backward()
        opt.step()
    d = tmp_path_factory.mktemp("trainer_net")
    path = d / "float.net"
    with h5py.File(path, "w") as f:
        for i, block in enumerate(model.blocks):
            block.export_hdf5(f.create_group(f"layer/{i}"))
    out = {"model": model, "float": path}
    for name, exp in (("plain", False), ("exp", True)):
        out[name] = d / f"{name}.loihi2.net"
        _, out[name + "_report"] = compiler.compile(path, "loihi2", output=out[name],
                                                    weight_exp=exp)
    return out


def test_trainer_net_is_float_and_compiles_to_integers(trainer_net) -> None:
    fnet = spec.read(trainer_net["float"])
    w = fnet.layers[0].weight
    assert not np.all(w == np.round(w))  # really float weights
    rep = trainer_net["plain_report"].quantize
    assert rep.float_input and [r.action for r in rep.layers] == ["quantized", "quantized"]
    cnet = spec.read(trainer_net["plain"])
    for layer, flayer in zip(cnet.layers, fnet.layers):
        assert np.all(layer.weight == np.round(layer.weight))
        # exponent 0, mixed signs: even mantissas in [-256, 254], nearest to the float weight
        assert np.all(layer.weight % 2 == 0) and layer.weight.min() >= -256
        assert np.abs(layer.weight - flayer.weight).max() <= 1.0 + 1e-6
        assert layer.neuron.wgt_exp in (None, 0)  # absent = 0
        assert layer.neuron.vth_mant == 64 and layer.neuron.i_decay == 1024
        assert layer.neuron.v_decay == 512


def test_trainer_fixed_mode_equals_engine_on_compiled_weights(trainer_net) -> None:
    """The trainer in fixed mode, given the compiled (quantized) weights, and the engine give
    the same spikes on 20 random inputs (engine output lags by the 2 synaptic steps)."""
    cnet = spec.read(trainer_net["plain"])
    model = _Tiny()
    model.load_state_dict(trainer_net["model"].state_dict())
    for block, layer in zip(model.blocks, cnet.layers):
        block.synapse.weight.data = torch.tensor(layer.weight / 64.0,
                                                 dtype=torch.float32).reshape(
            block.synapse.weight.shape)
        block.neuron.mode = "fixed"
    rng = np.random.RandomState(5)
    x = (rng.rand(SAMPLES, 16, 14) < 0.4).astype(np.float32)
    with torch.no_grad():
        trainer_out = model(torch.tensor(x)).numpy()
    engine_out = netx.run(trainer_net["plain"],
                          np.concatenate([x, np.zeros((SAMPLES, 16, 2), np.float32)], -1),
                          backend="engine")
    _nontrivial(engine_out)
    np.testing.assert_array_equal(engine_out[..., 2:], trainer_out > 0)
    assert not engine_out[..., :2].any()


@pytest.mark.lava
def test_trainer_net_lava_equals_engine(trainer_net) -> None:
    x = _random_inputs((16,), r=12, high=1, density=0.4, seed=11)
    _nontrivial(_check_lava_equals_engine(trainer_net["plain"], x))


@pytest.mark.lava
def test_trainer_net_weight_exp_lava_vs_engine(trainer_net) -> None:
    """With exponents the quantizer picks a non-zero ``wgtExp``; the Lava builder and the
    engine both scale the synaptic input by ``2**wgtExp``: identical spikes."""
    cnet = spec.read(trainer_net["exp"])
    exps = [layer.neuron.wgt_exp or 0 for layer in cnet.layers]
    assert any(e != 0 for e in exps), exps
    x = _random_inputs((16,), r=12, high=1, density=0.4, seed=11)
    _check_lava_equals_engine(trainer_net["exp"], x)


# --------------------------------------------------------------------------- fixtures
# name -> (graded input max, density, steps per sample)
FIXTURE_INPUTS = {"tiny.net": (60, 0.3, 10), "mnist.net": (255, 0.3, 12),
                  "recurrent_example.net": (1, 0.5, 12)}


@pytest.fixture(scope="module")
def compiled_fixtures(fixtures_dir, tmp_path_factory) -> Dict[str, Tuple[Path, object]]:
    d = tmp_path_factory.mktemp("compiled_fixtures")
    out = {}
    for name in FIXTURE_INPUTS:
        dst = d / name.replace(".net", ".loihi2.net")
        _, report = compiler.compile(fixtures_dir / name, "loihi2", output=dst)
        out[name] = (dst, report)
    return out


@pytest.mark.parametrize("name", list(FIXTURE_INPUTS))
def test_fixture_compile_is_passthrough(name, fixtures_dir, compiled_fixtures) -> None:
    path, report = compiled_fixtures[name]
    assert report.quantize.float_input is False
    _same_parameters(spec.read(fixtures_dir / name), spec.read(path))
    # and the compiled file still runs exactly as the original on the engine
    net = spec.read(path)
    lava_in = spec.lava_shape(spec.input_shapes(net)[0])
    high, density, r = FIXTURE_INPUTS[name]
    x = _random_inputs(lava_in, r=r, high=high, density=density, seed=3)[:4]
    kw = {"input_shape": spec.input_shapes(net)[0]} if net.layers[0].kind == "conv" else {}
    np.testing.assert_array_equal(netx.run(path, x, backend="engine", **kw),
                                  netx.run(fixtures_dir / name, x, backend="engine", **kw))


@pytest.mark.lava
@pytest.mark.parametrize("name", list(FIXTURE_INPUTS))
def test_fixture_compiled_lava_equals_engine(name, compiled_fixtures) -> None:
    path, _ = compiled_fixtures[name]
    net = spec.read(path)
    high, density, r = FIXTURE_INPUTS[name]
    x = _random_inputs(spec.lava_shape(spec.input_shapes(net)[0]), r=r, high=high,
                       density=density, seed=7)
    _nontrivial(_check_lava_equals_engine(path, x))
