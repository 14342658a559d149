"""netx.hdf5.Network (the Lava builder) and netx.blocks against lava-dl 0.6.0's ground truth.

Lava runs every process as an OS process: step counts are kept small and every run stops
in ``finally``.  Reference values come from lava-dl's fixture files, or (for networks without
recorded outputs) from the Loihi equations in :mod:`netx.fixed_point`.
"""

from __future__ import annotations

import typing as ty

import numpy as np
import pytest
import torch

pytest.importorskip("lava", reason="lava-nc is not installed (needs Python 3.10)")

from lava.magma.core.run_conditions import RunSteps  # noqa: E402
from lava.magma.core.run_configs import Loihi1SimCfg, Loihi2SimCfg  # noqa: E402
from lava.proc.io.sink import RingBuffer as Sink  # noqa: E402
from lava.proc.io.source import RingBuffer as Source  # noqa: E402

from netx import fixed_point as fp  # noqa: E402
from netx import hdf5, spec  # noqa: E402
from netx.blocks import process as blocks  # noqa: E402
from netx.errors import NetxFormatError  # noqa: E402

pytestmark = pytest.mark.lava

FIXED = {"Loihi2SimCfg(fixed_pt)": lambda: Loihi2SimCfg(select_tag="fixed_pt"),
         "Loihi1SimCfg(fixed_pt)": lambda: Loihi1SimCfg(select_tag="fixed_pt")}
FLOAT = {"Loihi1SimCfg()": lambda: Loihi1SimCfg(),
         "Loihi2SimCfg(floating_pt)": lambda: Loihi2SimCfg(select_tag="floating_pt")}


def run(proc, steps: int, run_cfg, sinks: ty.Sequence = (), source=None,
        source_port=None, per_step: ty.Callable[[], ty.Any] = None,
        after: ty.Callable[[], ty.Any] = None):
    """Run ``proc`` for ``steps`` steps; return the sinks' data and readings (``per_step``
    after every step, or ``after`` once at the end)."""
    buffers = []
    for port in sinks:
        sink = Sink(shape=port.shape, buffer=steps)
        port.connect(sink.a_in)
        buffers.append(sink)
    if source is not None:
        Source(data=source).s_out.connect(source_port)
    readings = []
    try:
        if per_step is None:
            proc.run(condition=RunSteps(num_steps=steps), run_cfg=run_cfg)
        else:
            for _ in range(steps):
                proc.run(condition=RunSteps(num_steps=1), run_cfg=run_cfg)
                readings.append(per_step())
        if after is not None:
            readings.append(after())
        data = [b.data.get().copy() for b in buffers]
    finally:
        proc.stop()
    return data, readings


def to_lava(a: np.ndarray) -> np.ndarray:
    """SLAYER (C, H, W, T) -> Lava (W, H, C, T)."""
    return a.transpose(2, 1, 0, 3)


# --------------------------------------------------------------------------- tiny.net
def tinynet(fixtures_dir, steps: int, run_cfg) -> np.ndarray:
    net = hdf5.Network(net_config=fixtures_dir / "tiny.net", reset_interval=17)
    bias = np.load(fixtures_dir / "gts/tinynet/input_bias.npy")
    net.in_layer.neuron.bias_mant.init = bias.astype(np.int64)
    (out,), _ = run(net, steps, run_cfg, sinks=[net.out])
    return out


@pytest.mark.parametrize("cfg", list(FIXED))
def test_tinynet_output_bit_exact(fixtures_dir, cfg):
    """Two samples of 17 steps: each sample's output equals lava-dl's, so the per-layer
    reset phases (offset = block position + 1) restart every layer exactly."""
    gt = to_lava(np.load(fixtures_dir / "gts/tinynet/output.npy")[0])
    out = tinynet(fixtures_dir, 34 if cfg.startswith("Loihi2") else 17, FIXED[cfg]())
    assert gt[..., 1:].sum() == 92  # the fixture really spikes
    np.testing.assert_array_equal(out[..., 2:17], gt[..., 1:])
    if out.shape[-1] == 34:
        np.testing.assert_array_equal(out[..., 19:34], gt[..., 1:])


@pytest.mark.parametrize("cfg", list(FLOAT))
def test_tinynet_float_models_agree(fixtures_dir, cfg):
    """Without select_tag Lava picks float models: ours are rescaled onto the fixed-point
    grid, so the spikes agree with the bit-exact ones (>= 99% of neuron-steps)."""
    gt = to_lava(np.load(fixtures_dir / "gts/tinynet/output.npy")[0])
    out = tinynet(fixtures_dir, 17, FLOAT[cfg]())
    agreement = float(np.mean(out[..., 2:17] == gt[..., 1:]))
    assert agreement >= 0.99
    assert out[..., 2:17].sum() > 0.9 * gt[..., 1:].sum()


def test_tinynet_reset_offsets(fixtures_dir):
    """Block k resets at time_step % interval == k + 1 (Lava counts steps from 1)."""
    net = hdf5.Network(net_config=fixtures_dir / "tiny.net", reset_interval=17, reset_offset=3)
    assert [b.neuron.proc_params["reset_offset"] for b in net.layers] == [4, 5, 6]
    assert all(type(b.neuron) is blocks.LoihiLIFReset for b in net.layers)
    plain = hdf5.Network(net_config=fixtures_dir / "tiny.net")
    assert all(type(b.neuron) is blocks.LoihiLIF for b in plain.layers)
    early = hdf5.Network(net_config=fixtures_dir / "tiny.net", reset_interval=17,
                         reset_offset=-2)
    assert [b.neuron.proc_params["reset_offset"] for b in early.layers] == [16, 0, 1]
    with pytest.raises(ValueError, match="reset_interval"):
        hdf5.Network(net_config=fixtures_dir / "tiny.net", reset_interval=0)


@pytest.mark.parametrize("tag", ["fixed_pt", None])
def test_tinynet_conv_layer_spikes_and_current(fixtures_dir, tag):
    """Layer 1 alone, fed the recorded input spikes one step early: spikes and u (= SLAYER's
    current x 64) equal lava-dl's from step 1 on.  The block resets at time step 2, as in the
    whole network, which drops the bias-only first step SLAYER does not have."""
    gts = fixtures_dir / "gts/tinynet"
    inp = to_lava(np.load(gts / "input.npy")[0])
    spikes = to_lava(np.load(gts / "layer1.npy")[0])
    current = to_lava(np.load(gts / "current.npy")[0])
    net = hdf5.Network(net_config=fixtures_dir / "tiny.net", skip_layers=1, num_layers=2,
                       reset_interval=17, reset_offset=1)
    assert len(net) == 1 and isinstance(net.in_layer, blocks.Conv)
    np.testing.assert_array_equal(net.in_layer.weight, np.load(gts / "layer1_kernel.npy"))
    layer = net.out_layer
    data = np.concatenate([inp[..., 1:], np.zeros(inp.shape[:-1] + (1,))], axis=-1)
    (out,), u = run(net, 16, Loihi2SimCfg(select_tag=tag), sinks=[net.out], source=data,
                    source_port=net.inp, per_step=lambda: layer.neuron.u.get().copy())
    u = np.stack(u, axis=-1)
    assert spikes[..., 1:].sum() == 1633
    np.testing.assert_array_equal(out[..., 1:], spikes[..., 1:])
    np.testing.assert_array_equal(u[..., 1:], 64 * current[..., 1:])


# --------------------------------------------------------------------------- dense fixture
def dense_fixture_run(fixtures_dir, steps: int, run_cfg):
    gts = fixtures_dir / "gts/dense"
    weight = np.load(gts / "weight.npy")
    layer = spec.DenseLayer(shape=(256,), weight=weight.astype(np.float32),
                            neuron=spec.CubaNeuron(i_decay=4096, v_decay=415, vth_mant=6))
    net = hdf5.Network(net_config=spec.Network(layers=[layer]))
    spikes = np.load(gts / "in.npy")[:, :steps]
    (out,), _ = run(net, steps, run_cfg, sinks=[net.out], source=spikes, source_port=net.inp)
    return out, np.load(gts / "out.npy")[:, :steps]


@pytest.mark.slow
def test_dense_fixture_bit_exact_2000_steps(fixtures_dir):
    out, gt = dense_fixture_run(fixtures_dir, 2000, Loihi2SimCfg(select_tag="fixed_pt"))
    assert gt.sum() == 1826
    np.testing.assert_array_equal(out, gt)


def test_dense_fixture_float_models_agree(fixtures_dir):
    out, gt = dense_fixture_run(fixtures_dir, 200, Loihi1SimCfg())
    assert float(np.mean(out == gt)) >= 0.99
    assert abs(out.sum() - gt.sum()) <= 0.05 * gt.sum()


def test_dense_block_bit_exact(fixtures_dir):
    """The lava-dl style block API, Dense(neuron_params=..., weight=...), reproduces the
    recorded output spikes (first 400 steps; all 2000 in the slow test)."""
    gts = fixtures_dir / "gts/dense"
    block = blocks.Dense(neuron_params={"neuron_proc": blocks.LoihiLIF, "du": 4095,
                                        "dv": 415, "vth": 6, "bias_exp": 6},
                         weight=np.load(gts / "weight.npy"))
    assert block.inp.shape == (200,) and block.out.shape == (256,)
    (out,), _ = run(block, 400, Loihi2SimCfg(select_tag="fixed_pt"), sinks=[block.out],
                    source=np.load(gts / "in.npy")[:, :400], source_port=block.inp)
    gt = np.load(gts / "out.npy")[:, :400]
    assert gt.sum() > 300
    np.testing.assert_array_equal(out, gt)


# --------------------------------------------------------------------------- reference sim
def reference(layers: ty.List[dict], steps: int, inputs: np.ndarray = None) -> ty.List[np.ndarray]:
    """Loihi CUBA chain from netx.fixed_point: each layer gets ``W s`` of the previous
    layer's spikes one step late (plus ``W_rec s`` of its own); returns per-layer spikes
    (N, T), and the last layer's final voltage as the last element."""
    states = [fp.CubaState(torch.zeros(L["n"], dtype=torch.int64),
                           torch.zeros(L["n"], dtype=torch.int64)) for L in layers]
    prev = [torch.zeros(L["n"], dtype=torch.int64) for L in layers]
    record = [[] for _ in layers]
    for t in range(steps):
        new = []
        for i, L in enumerate(layers):
            if i == 0 and "w" not in L:
                a = torch.zeros(L["n"], dtype=torch.int64)
            else:
                src = prev[i - 1] if i > 0 else (
                    torch.as_tensor(inputs[:, t - 1]) if t > 0 else torch.zeros(
                        inputs.shape[0], dtype=torch.int64))
                a = fp.apply_weight_exp(
                    torch.as_tensor(L["w"]).to(torch.int64) @ src.to(torch.int64),
                    L.get("wgt_exp", 0))
                if "w_rec" in L:
                    a = a + torch.as_tensor(L["w_rec"]).to(torch.int64) @ prev[i]
            bias = fp.scaled_bias(torch.as_tensor(L.get("bias", 0)), 6)
            states[i], s = fp.cuba_step(states[i], a, torch.as_tensor(L["i_decay"]),
                                        torch.as_tensor(L["v_decay"]),
                                        fp.threshold(L["vth"]), bias)
            new.append(s.to(torch.int64))
            record[i].append(s.numpy())
        prev = new
    return [np.stack(r, axis=-1) for r in record] + [states[-1].v.numpy()]


@pytest.mark.parametrize("wgt_exp", [-2, 0, 1])
def test_dense_wgt_exp_scales_synaptic_input(wgt_exp):
    """``neuron/wgtExp`` (written by the compiler): the synapse delivers
    ``floor((W s) * 2**wgtExp)``, Lava's weight_exp semantics."""
    rng = np.random.default_rng(3)
    weight = rng.integers(-60, 61, size=(12, 20)).astype(np.float32)
    spikes = (rng.random((20, 24)) < 0.4).astype(np.int64)
    layer = spec.DenseLayer(shape=(12,), weight=weight, neuron=spec.CubaNeuron(
        i_decay=1024, v_decay=512, vth_mant=40, wgt_exp=wgt_exp))
    net = hdf5.Network(net_config=spec.Network(layers=[layer]))
    (out,), _ = run(net, 24, Loihi2SimCfg(select_tag="fixed_pt"), sinks=[net.out],
                    source=spikes, source_port=net.inp)
    ref = reference([dict(n=12, w=weight, i_decay=1024, v_decay=512, vth=40,
                          wgt_exp=wgt_exp)], 24, spikes)[0]
    assert out.sum() > 0
    np.testing.assert_array_equal(out, ref)


def mnist_reference(model: spec.Network, drive: np.ndarray, steps: int):
    return reference([
        dict(n=784, i_decay=4096, v_decay=123, vth=80, bias=drive),
        dict(n=512, w=model[1].weight, i_decay=4096, v_decay=123, vth=80),
        dict(n=512, w=model[2].weight, i_decay=4096, v_decay=123, vth=80),
        dict(n=10, w=model[3].weight, i_decay=0, v_decay=4096, vth=1 << 17),
    ], steps)


def test_mnist_loads_and_matches_reference(fixtures_dir):
    """Input, two spiking dense layers and an affine readout (no neuron group) that
    accumulates 64 W s without spiking; spikes and the readout voltage equal the
    netx.fixed_point reference exactly."""
    net = hdf5.Network(net_config=fixtures_dir / "mnist.net")
    kinds = [type(b) for b in net.layers]
    assert kinds == [blocks.Input, blocks.Dense, blocks.Dense, blocks.Affine]
    assert [b.out.shape for b in net.layers] == [(784,), (512,), (512,), (10,)]
    assert net.in_layer.transform == {"weight": 76.0, "bias": 64.0}
    text = str(net)
    for word in ("Input", "Dense", "Affine", "784", "512", "10", "du=4095 dv=123 vth=80",
                 "integrator"):
        assert word in text
    assert len(text.splitlines()) == 3 + 4  # title, header, rule, one row per block

    model = spec.read(fixtures_dir / "mnist.net")
    drive = np.random.default_rng(0).integers(0, 60, size=784)
    net.in_layer.neuron.bias_mant.init = drive
    steps = 8
    (s1, s2, s3), (v,) = run(net, steps, Loihi2SimCfg(select_tag="fixed_pt"),
                             sinks=[net.layers[1].out, net.layers[2].out, net.out],
                             after=lambda: net.out_layer.neuron.v.get().copy())
    ref = mnist_reference(model, drive, steps)
    assert ref[1].sum() > 50 and ref[2].sum() > 10 and np.abs(ref[-1]).sum() > 0
    np.testing.assert_array_equal(s1, ref[1])
    np.testing.assert_array_equal(s2, ref[2])
    np.testing.assert_array_equal(v, ref[-1])
    assert s3.sum() == 0  # the readout never spikes


def test_mnist_float_readout_agrees(fixtures_dir):
    model = spec.read(fixtures_dir / "mnist.net")
    drive = np.random.default_rng(1).integers(0, 60, size=784)
    steps = 6
    ref = mnist_reference(model, drive, steps)[-1]
    net = hdf5.Network(net_config=fixtures_dir / "mnist.net")
    net.in_layer.neuron.bias_mant.init = drive
    _, (v,) = run(net, steps, Loihi1SimCfg(),
                  after=lambda: net.out_layer.neuron.v.get().copy())
    assert int(np.argmax(v)) == int(np.argmax(ref))
    np.testing.assert_allclose(v, ref, rtol=0, atol=0.02 * np.abs(ref).max())


def test_num_layers_truncates(fixtures_dir):
    net = hdf5.Network(net_config=fixtures_dir / "mnist.net", num_layers=2)
    assert len(net) == 2
    assert [type(b) for b in net.layers] == [blocks.Input, blocks.Dense]
    assert net.out.shape == (512,) and net.inp.shape == (784,)
    skipped = hdf5.Network(net_config=fixtures_dir / "mnist.net", skip_layers=1)
    assert [type(b) for b in skipped.layers] == [blocks.Dense, blocks.Dense, blocks.Affine]
    assert skipped.inp.shape == (784,)
    assert skipped.layer_index == [1, 2, 3]


def test_recurrent_example_matches_reference(fixtures_dir):
    model = spec.read(fixtures_dir / "recurrent_example.net")
    net = hdf5.Network(net_config=fixtures_dir / "recurrent_example.net")
    assert [type(b) for b in net.layers] == [blocks.RecurrentDense] * 2
    assert net.inp.shape == (6,) and net.out.shape == (5,)
    assert [b.num_synapses for b in net.layers] == [30 + 25, 25 + 25]
    # per-neuron decays reach Lava as arrays (du = iDecay - 1)
    np.testing.assert_array_equal(net.layers[0].neuron_params["du"],
                                  model[0].neuron.i_decay - 1)
    steps = 12
    spikes = (np.random.default_rng(2).random((6, steps)) < 0.6).astype(float)
    (s1, s2), _ = run(net, steps, Loihi2SimCfg(select_tag="fixed_pt"),
                      sinks=[net.layers[0].out, net.out], source=spikes, source_port=net.inp)
    layers = [dict(n=5, w=L.weight, w_rec=L.weight_rec, i_decay=L.neuron.i_decay,
                   v_decay=L.neuron.v_decay, vth=60) for L in model]
    ref = reference(layers, steps, inputs=spikes.astype(np.int64))
    assert ref[0].sum() > 5 and ref[1].sum() > 0
    np.testing.assert_array_equal(s1, ref[0])
    np.testing.assert_array_equal(s2, ref[1])


# --------------------------------------------------------------------------- other blocks
def test_pool_block_sums_windows():
    """Sum pooling 2x2 with weight 3 on a 4x4x2 input: u = 64 * 3 * (spikes in window)."""
    rng = np.random.default_rng(3)
    spikes = (rng.random((4, 4, 2, 3)) < 0.5).astype(float)
    relay = {"neuron_proc": blocks.LoihiLIF, "du": 4095, "dv": 0, "vth": 1 << 16,
             "bias_exp": 6}
    pool = blocks.Pool(kernel_size=2, input_shape=(4, 4, 2), weight=3, neuron_params=relay)
    assert pool.shape == (2, 2, 2)
    _, u = run(pool, 3, Loihi2SimCfg(select_tag="fixed_pt"), source=spikes,
               source_port=pool.inp, per_step=lambda: pool.neuron.u.get().copy())
    window = spikes.reshape(2, 2, 2, 2, 2, 3).sum(axis=(1, 3))  # (x, y, c, t)
    np.testing.assert_array_equal(u[1], 64 * 3 * window[..., 0])
    np.testing.assert_array_equal(u[2], 64 * 3 * window[..., 1])


def test_conv_kernel_layout_matches_lava_dl(fixtures_dir):
    model = spec.read(fixtures_dir / "tiny.net")
    kernel = blocks.torch_to_lava_kernel(model[1].weight)
    np.testing.assert_array_equal(kernel, np.load(fixtures_dir / "gts/tinynet/layer1_kernel.npy"))
    net = hdf5.Network(net_config=fixtures_dir / "tiny.net")
    assert [b.shape for b in net.layers] == [(16, 16, 3), (6, 6, 24), (1, 1, 36)]
    np.testing.assert_array_equal(net.layers[1].neuron.bias_mant.init[0, 0],
                                  np.load(fixtures_dir / "gts/tinynet/layer1_bias.npy"))


def test_flatten_uses_chw_order():
    """A dense layer after a conv output reads it in (C, H, W) order, as SLAYER flattens."""
    relay = spec.CubaNeuron(i_decay=4096, v_decay=4096, vth_mant=0)
    weight = np.zeros((2, 8), dtype=np.float32)
    weight[0, 1] = 1  # CHW index 1 = (c=0, h=0, w=1)
    weight[1, 4] = 1  # CHW index 4 = (c=1, h=0, w=0)
    model = spec.Network(layers=[
        spec.InputLayer(shape=(2, 2, 2), neuron=relay),
        spec.FlattenLayer(shape=(8,)),
        spec.DenseLayer(shape=(2,), neuron=spec.CubaNeuron(i_decay=4096, v_decay=4096,
                                                           vth_mant=0), weight=weight)])
    net = hdf5.Network(net_config=model)
    data = np.zeros((2, 2, 2, 4))  # Lava (W, H, C, T)
    data[1, 0, 0, 0] = 1  # x=1, y=0, c=0 -> only output 0
    data[0, 0, 1, 1] = 1  # x=0, y=0, c=1 -> only output 1
    (out,), _ = run(net, 4, Loihi2SimCfg(select_tag="fixed_pt"), sinks=[net.out],
                    source=data, source_port=net.inp)
    # the source feeds the input neurons' a_in directly (same step); the dense synapse adds
    # one step
    np.testing.assert_array_equal(out, [[0, 1, 0, 0], [0, 0, 1, 0]])


def test_average_readout_groups_in_chw_order():
    """'average' over 2 groups of a (C=2, H=2, W=2) input: group g = channel g; one step
    after the input spikes, v = 64 * (spikes in the group), and nothing spikes."""
    relay = spec.CubaNeuron(i_decay=4096, v_decay=4096, vth_mant=0)
    model = spec.Network(layers=[spec.InputLayer(shape=(2, 2, 2), neuron=relay),
                                 spec.AverageLayer(shape=(2,))])
    net = hdf5.Network(net_config=model)
    assert isinstance(net.out_layer, blocks.Average) and net.out_layer.group_size == 4
    data = np.zeros((2, 2, 2, 3))  # Lava (W, H, C, T)
    data[:, :, 0, 0] = [[1, 1], [1, 0]]  # 3 spikes in channel 0 at t=0
    data[1, 1, 1, 1] = 1  # 1 spike in channel 1 at t=1
    (out,), v = run(net, 3, Loihi2SimCfg(select_tag="fixed_pt"), sinks=[net.out],
                    source=data, source_port=net.inp,
                    per_step=lambda: net.out_layer.neuron.v.get().copy())
    np.testing.assert_array_equal(np.stack(v), [[0, 0], [64 * 3, 0], [0, 64]])
    assert out.sum() == 0


def test_unbuildable_layers_raise_located_errors(fixtures_dir):
    cuba = spec.CubaNeuron(i_decay=4096, v_decay=1024, vth_mant=10)
    concat = spec.Network(layers=[spec.InputLayer(shape=(4,), neuron=cuba),
                                  spec.ConcatLayer(shape=(4,))])
    with pytest.raises(NetxFormatError, match="layer 1.*key 'type'.*'concat'"):
        hdf5.Network(net_config=concat)
    adrf = spec.AdrfNeuron(sin_decay=100, cos_decay=3000, vth_mant=10)  # ALIF builds now
    dense = spec.Network(layers=[spec.DenseLayer(shape=(2,), neuron=adrf,
                                                 weight=np.ones((2, 3), np.float32))])
    with pytest.raises(NetxFormatError, match="layer 0.*neuron/type.*ADRF_PHASE"):
        hdf5.Network(net_config=dense)
    first_conv = spec.Network(layers=[spec.read(fixtures_dir / "tiny.net")[1]])
    with pytest.raises(NetxFormatError, match="layer 0.*input_shape"):
        hdf5.Network(net_config=first_conv)
    assert hdf5.Network(net_config=first_conv, input_shape=(16, 16, 3)).out.shape == (6, 6, 24)
    too_big = spec.Network(layers=[spec.DenseLayer(
        shape=(2,), neuron=cuba, weight=np.array([[300, -5, 1], [0, 2, 3]], np.float32))])
    with pytest.raises(NetxFormatError, match="layer 0.*key 'weight'.*between"):
        hdf5.Network(net_config=too_big)
    with pytest.raises(NetxFormatError, match="no layer"):
        hdf5.Network(net_config=fixtures_dir / "tiny.net", num_layers=0)


def test_hardware_run_config_one_argument_away():
    if hdf5.lava_loihi_available():  # pragma: no cover - needs Intel's lava-loihi
        from lava.magma.core.run_configs import Loihi2HwCfg
        assert isinstance(hdf5.run_config("loihi2_hw"), Loihi2HwCfg)
    else:
        with pytest.raises(hdf5.LavaLoihiUnavailable, match="lava-loihi.*fixed_pt"):
            hdf5.run_config("loihi2_hw")
    cfg = hdf5.run_config("fixed_pt")
    assert isinstance(cfg, Loihi2SimCfg) and cfg.select_tag == "fixed_pt"
    assert hdf5.run_config("floating_pt").select_tag == "floating_pt"


@pytest.mark.skipif(not hdf5.lava_loihi_available(),
                    reason="Intel's lava-loihi extension (Loihi hardware models) is not "
                           "installed; hardware runs need an INRC Loihi system")
def test_tinynet_on_loihi2_hardware(fixtures_dir):  # pragma: no cover - needs hardware
    gt = to_lava(np.load(fixtures_dir / "gts/tinynet/output.npy")[0])
    out = tinynet(fixtures_dir, 17, hdf5.run_config("loihi2_hw"))
    np.testing.assert_array_equal(out[..., 2:17], gt[..., 1:])
