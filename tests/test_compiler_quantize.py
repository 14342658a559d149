"""Quantize pass and compile(): exact integers on a hand-made float network, lava-dl
fixtures unchanged, partition kept through spec.write -> spec.read."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import compiler
from compiler.partition import neuron_cores
from compiler.quantize import float_reason, quantize, quantize_weights
from netx import fixed_point, spec
import hw_profiles


def float_net() -> spec.Network:
    cuba = spec.CubaNeuron
    return spec.Network(layers=[
        spec.InputLayer(shape=(2,)),
        spec.DenseLayer(shape=(2,), neuron=cuba(i_decay=1000.4, v_decay=127.5, vth_mant=80.2),
                        weight=np.array([[3.0, -1.5], [0.25, 2.0]], np.float32),
                        bias=np.array([1.5, -2.5], np.float32)),
        spec.DenseLayer(shape=(3,), neuron=cuba(i_decay=4096, v_decay=0, vth_mant=200000.0),
                        weight=np.array([[0.4, 1.6], [300.0, 0.0], [0.0, 0.0]], np.float32)),
        spec.DenseLayer(shape=(1,), neuron=None,
                        weight=np.array([[100.3, -300.0, 0.0]], np.float32)),
    ], simulation=spec.Simulation(Ts=1.0, tSample=8))


def test_float_network_is_recognised():
    assert float_reason(float_net()) == "layer 1 weight has non-integer values"


def test_hand_made_float_network_exact_integers():
    net = float_net()
    q, rep = quantize(net, "loihi2")
    assert rep.float_input
    l1, l2, l3 = q.layers[1], q.layers[2], q.layers[3]
    # layer 1: mixed sign, step-2 grid; exponents -7..-3 represent every weight exactly,
    # the one nearest 0 wins: mantissa = w * 2^3
    np.testing.assert_array_equal(l1.weight, [[24, -12], [2, 16]])
    assert l1.weight.dtype == np.float32
    assert l1.neuron.wgt_exp == -3
    np.testing.assert_array_equal(l1.bias, [2, -3])  # halves away from zero
    assert (l1.neuron.i_decay, l1.neuron.v_decay, l1.neuron.vth_mant) == (1000, 128, 80)
    # layer 2: excitatory, step-1 grid in [0, 255]; exp 1 keeps 300 = 150 * 2 exactly
    np.testing.assert_array_equal(l2.weight, [[0, 1], [150, 0], [0, 0]])
    assert l2.neuron.wgt_exp == 1
    assert l2.neuron.vth_mant == 200000  # never-firing threshold kept
    # layer 3: no neuron group to hold an exponent -> exp 0; -300 clips to -256
    np.testing.assert_array_equal(l3.weight, [[100, -256, 0]])
    r1, r2, r3 = rep.layers[1], rep.layers[2], rep.layers[3]
    assert (r1.weight_exp, r1.weight_bits, r1.sign_mode) == (-3, 8, "mixed")
    assert (r1.clipped_fraction, r1.max_abs_error, r1.rms_error) == (0.0, 0.0, 0.0)
    assert (r2.weight_exp, r2.sign_mode) == (1, "excitatory")
    assert r2.max_abs_error == pytest.approx(0.4, abs=1e-6)
    assert r2.rms_error == pytest.approx(math.sqrt(2 * 0.4 ** 2 / 6), rel=1e-6)
    assert (r3.weight_exp, r3.clipped_fraction) == (0, pytest.approx(1 / 3))
    assert r3.max_abs_error == pytest.approx(44.0)
    assert r3.rms_error == pytest.approx(math.sqrt((0.3 ** 2 + 44 ** 2) / 3), rel=1e-5)
    assert r1.bias_clipped_fraction == 0.0
    assert q.extras["compiler"]["quantize"]["layer_1"]["weight_exp"] == -3
    assert float_reason(q) is None
    # Lava Dense uses the mantissas unchanged, and the effective weight is mant * 2^exp
    for layer in (l1, l2, l3):
        w = torch.from_numpy(layer.weight.astype(np.int64))
        assert torch.equal(fixed_point.dense_weights(w, 8), w)
    # the input net is untouched
    assert net.layers[1].weight[0, 0] == np.float32(3.0)


def test_weight_exponents_can_be_disabled():
    q, rep = quantize(float_net(), "loihi2", weight_exp=False)
    # layer 1 on the step-2 grid at exponent 0: 3.0/2 = 1.5 -> 2 -> 4;
    # -1.5/2 = -0.75 -> -1 -> -2; 0.25/2 = 0.125 -> 0; 2.0 -> 2
    np.testing.assert_array_equal(q.layers[1].weight, [[4, -2], [0, 2]])
    assert q.layers[1].neuron.wgt_exp is None and rep.layers[1].weight_exp == 0
    np.testing.assert_array_equal(q.layers[2].weight, [[0, 2], [255, 0], [0, 0]])


def test_conv_exponent_is_fixed_at_zero_and_clips():
    q = quantize_weights([np.array([0.6, -3.4, 7.0, 255.9])], hw_profiles.load("loihi1"), [0])
    np.testing.assert_array_equal(q["mantissas"][0], [0, -4, 8, 254])
    assert q["clipped_fraction"] == 0.25 and q["exp"] == 0
    net = spec.Network(layers=[
        spec.InputLayer(shape=(1, 3, 3)),
        spec.ConvLayer(shape=(1, 3, 3), neuron=spec.CubaNeuron(i_decay=0, v_decay=0,
                                                               vth_mant=10),
                       weight=np.array([0.6, -3.4, 7.0, 255.9], np.float32).reshape(1, 1, 2, 2),
                       kernel_size=(2, 2), stride=(1, 1), padding=(1, 1), dilation=(2, 2))])
    spec.validate(net)
    qn, rep = quantize(net, "loihi1")
    np.testing.assert_array_equal(qn.layers[1].weight.ravel(), [0, -4, 8, 254])
    assert qn.layers[1].neuron.wgt_exp is None
    assert rep.layers[1].weight_exp == 0
    assert any("no weight exponent" in n for n in rep.layers[1].notes)
    # a trainer's wgtExp scales the file weights (effective = w * 2^wgtExp): folded in, reset
    net.layers[1].neuron.wgt_exp = 1
    qn, rep = quantize(net, "loihi1")
    np.testing.assert_array_equal(qn.layers[1].weight.ravel(), [2, -6, 14, 254])
    assert qn.layers[1].neuron.wgt_exp == 0


@pytest.mark.parametrize("name", ["mnist.net", "tiny.net", "recurrent_example.net"])
def test_lava_dl_fixtures_pass_through_unchanged(fixtures_dir, tmp_path, name):
    net = spec.read(fixtures_dir / name)
    q, rep = quantize(net, "loihi2")
    assert q is net and not rep.float_input and rep.warnings == []
    out = tmp_path / name
    cnet, crep = compiler.compile(fixtures_dir / name, profile="loihi2", output=out)
    back = spec.read(out)
    assert spec.deep_equal(back.layers, net.layers)
    assert spec.deep_equal(back.simulation, net.simulation)
    assert back.extras["compiler"]["profile"] in (b"loihi2", "loihi2")
    assert "quantize" not in back.extras["compiler"]


def test_fixed_point_network_that_does_not_fit_is_kept_and_reported():
    cuba = spec.CubaNeuron(i_decay=4096, v_decay=0, vth_mant=80)
    net = spec.Network(layers=[
        spec.InputLayer(shape=(2,)),
        # 13-bit mixed-sign mantissas (shared trailing zeros do not count: 2 * 4096 needs 1 bit)
        spec.DenseLayer(shape=(2,), neuron=cuba, weight=np.array([[4095, -1], [0, 3]], np.float32),
                        bias=np.array([4095, -4097], np.float32)),
        spec.DenseLayer(shape=(1,), neuron=cuba, weight=np.array([[8192, 0]], np.float32),
                        delay=np.array([64], np.float32)),
    ], simulation=spec.Simulation(Ts=1.0, tSample=8))
    q, rep = quantize(net, "loihi2")
    assert q is net and not rep.float_input
    assert rep.warnings == [
        "layer 1 (dense): weights need 13 bits, the loihi2 synapse holds 8",
        "layer 1 (dense): bias mantissas span [-4097, 4095], the loihi2 range is [-4096, 4095]",
        "layer 2 (dense): delays up to 64, the loihi2 maximum is 63",
    ]
    table = rep.to_table().splitlines()
    assert table[1:] == [f"warning: {w}" for w in rep.warnings] + [
        "warning: --force-quantize requantizes the network to fit"]
    fq, frep = quantize(net, "loihi2", force=True)
    assert frep.float_input and quantize(fq, "loihi2")[1].warnings == []


def test_compile_round_trip_keeps_partition(tmp_path):
    out = tmp_path / "q.net"
    prof = hw_profiles.load("loihi1")
    cnet, rep = compiler.compile(float_net(), profile=prof, output=out)
    back = spec.read(out)
    part_mem = cnet.extras["compiler"]["partition"]
    part_file = back.extras["compiler"]["partition"]
    assert int(part_file["num_cores"]) == rep.partition.cores_used == 1
    for li in (1, 2, 3):
        for key in ("boxes", "core", "chip"):
            np.testing.assert_array_equal(part_file[f"layer_{li}"][key],
                                          part_mem[f"layer_{li}"][key])
        np.testing.assert_array_equal(neuron_cores(part_file, li, back.layers[li].shape),
                                      np.zeros(back.layers[li].size, dtype=np.int64))
    assert int(back.extras["compiler"]["quantize"]["layer_2"]["weight_exp"]) == 1
    np.testing.assert_array_equal(back.layers[1].weight, [[24, -12], [2, 16]])
    assert back.layers[1].neuron.wgt_exp == -3
    # compiling the compiled file again: already fixed point, same partition
    again, rep2 = compiler.compile(out, profile=prof)
    assert not rep2.quantize.float_input
    np.testing.assert_array_equal(again.extras["compiler"]["partition"]["layer_1"]["boxes"],
                                  part_mem["layer_1"]["boxes"])


def test_compile_error_names_the_file(tmp_path):
    net = spec.Network(layers=[
        spec.InputLayer(shape=(5000,)),
        spec.DenseLayer(shape=(2,), neuron=spec.CubaNeuron(i_decay=0, v_decay=0, vth_mant=1),
                        weight=np.ones((2, 5000), np.float32))])
    path = tmp_path / "wide.net"
    spec.write(net, path)
    with pytest.raises(compiler.CompileError) as info:
        compiler.compile(path, profile="loihi1")
    assert str(info.value).startswith(f"{path}: layer 1 (dense): limit 'input_axons'")


def test_report_table_and_json():
    _, rep = compiler.compile(float_net(), profile="loihi1")
    table = rep.to_table()
    assert "float network quantized" in table and "partition on loihi1" in table
    import json
    d = json.loads(rep.to_json())
    assert d["partition"]["cores_used"] == 1
    assert d["quantize"]["layers"][1]["weight_exp"] == -3


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-600, 600, allow_nan=False, width=32), min_size=1, max_size=30),
       st.sampled_from(["loihi1", "loihi2"]))
def test_chosen_exponent_is_best_and_on_lavas_grid(values, name):
    prof = hw_profiles.load(name)
    w = np.asarray(values, dtype=np.float64)
    exps = list(range(prof.weight_exp_min, prof.weight_exp_max + 1))
    q = quantize_weights([w], prof, exps)
    mant = q["mantissas"][0].astype(np.int64)
    assert np.all(mant == q["mantissas"][0])  # integers
    lava = fixed_point.dense_weights(torch.from_numpy(mant), q["bits"]).numpy()
    np.testing.assert_array_equal(lava, mant)
    err = mant * 2.0 ** q["exp"] - w
    assert q["rms_error"] == pytest.approx(float(np.sqrt(np.mean(err ** 2))), abs=1e-9)
    for e in exps:  # no other exponent does better
        other = quantize_weights([w], prof, [e])
        assert q["rms_error"] <= other["rms_error"] + 1e-9


def test_recurrent_weights_share_one_exponent():
    # 0.5 and -1.25 on the mixed step-2 grid: exact from exponent -3 down; -3 is nearest 0
    net = spec.Network(layers=[
        spec.InputLayer(shape=(1,)),
        spec.RecurrentDenseLayer(shape=(1,), neuron=spec.CubaNeuron(i_decay=0, v_decay=0,
                                                                    vth_mant=5),
                                 weight=np.array([[0.5]], np.float32),
                                 weight_rec=np.array([[-1.25]], np.float32))])
    q, rep = quantize(net, "loihi2")
    np.testing.assert_array_equal(q.layers[1].weight, [[4]])
    np.testing.assert_array_equal(q.layers[1].weight_rec, [[-10]])
    assert q.layers[1].neuron.wgt_exp == -3 and rep.layers[1].rms_error == 0.0
