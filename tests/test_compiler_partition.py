"""Partition pass: limits respected (checked by brute force), exact core counts, report
numbers against hand-computed values, named errors for infeasible networks."""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hw_profiles
from compiler import CompileError
from compiler.partition import LIMITS, neuron_cores, partition
from netx import spec


def small_profile(**kw) -> hw_profiles.HwProfile:
    base = dataclasses.replace(hw_profiles.load("loihi2"), name="test", chips=1,
                               cores_per_chip=100000)
    return dataclasses.replace(base, **kw)


def cuba() -> spec.CubaNeuron:
    return spec.CubaNeuron(i_decay=1024, v_decay=128, vth_mant=80)


# --------------------------------------------------------------------------- brute force
STRUCTURAL = ("flatten", "concat")


def brute_presyn(net: spec.Network) -> Dict[int, List[List[Tuple[int, int]]]]:
    """For every core layer, the presynaptic neurons of each of its neurons as
    (source, index) with source = layer index or -1 (host).  Plain loops, written apart from
    the partitioner's box arithmetic."""
    out: Dict[int, List[List[Tuple[int, int]]]] = {}
    core = []
    for i, layer in enumerate(net.layers):
        is_core = layer.kind not in STRUCTURAL and not (layer.kind == "input"
                                                       and layer.neuron is None)
        core.append(is_core)
        if not is_core:
            continue
        j = i - 1
        while j >= 0 and not core[j] and net.layers[j].kind != "input":
            j -= 1
        src = j if j >= 0 and core[j] else -1
        src_shape = net.layers[j].shape if j >= 0 else None
        lists: List[List[Tuple[int, int]]] = []
        if layer.kind == "input":
            lists = [[(-1, n)] for n in range(layer.size)]
        elif layer.kind == "average":
            n_src = int(np.prod(src_shape))
            per = n_src // layer.size
            lists = [[(src, k) for k in range(n * per, (n + 1) * per)] for n in range(layer.size)]
        elif layer.kind in ("dense", "dense_rec"):
            n_in = layer.weight.shape[1]
            for n in range(layer.size):
                pre = [(src, k) for k in range(n_in)]
                if layer.kind == "dense_rec":
                    pre += [(i, k) for k in range(layer.size)]
                lists.append(pre)
        else:
            ci_n, hi, wi = src_shape
            co_n, ho, wo = layer.shape
            k_h, k_w = layer.kernel_size
            s, p, d = layer.stride[0], layer.padding[0], layer.dilation[0]
            groups = getattr(layer, "groups", co_n if layer.kind in ("pool", "unpool") else 1)
            if layer.kind in ("pool", "unpool"):
                groups = co_n
            ipg, opg = ci_n // groups, co_n // groups
            for co in range(co_n):
                g = co // opg
                for y in range(ho):
                    for x in range(wo):
                        pre = []
                        for ci in range(g * ipg, (g + 1) * ipg):
                            for ky in range(k_h):
                                for kx in range(k_w):
                                    if layer.kind in ("conv", "pool"):
                                        iy, ix = y * s - p + ky * d, x * s - p + kx * d
                                    else:  # transposed: y = iy*s - p + ky*d
                                        ny, nx_ = y + p - ky * d, x + p - kx * d
                                        if ny % s or nx_ % s:
                                            continue
                                        iy, ix = ny // s, nx_ // s
                                    if 0 <= iy < hi and 0 <= ix < wi:
                                        pre.append((src, (ci * hi + iy) * wi + ix))
                        lists.append(sorted(set(pre)))
        out[i] = lists
    return out


def check_limits(net: spec.Network, pnet: spec.Network, report, profile) -> None:
    """Every neuron on exactly one core; every core within every limit (brute force)."""
    part = pnet.extras["compiler"]["partition"]
    presyn = brute_presyn(net)
    bits = {r.index: r.synapse_bits for r in report.layers}
    cores_of = {}
    for li, lists in presyn.items():
        shape = net.layers[li].shape
        cores = neuron_cores(part, li, shape)
        assert cores.shape == (len(lists),)
        assert (cores >= 0).all(), f"layer {li}: unassigned neurons"
        boxes = np.asarray(part[f"layer_{li}"]["boxes"])
        covered = np.prod(boxes[:, 1::2] - boxes[:, 0::2], axis=1).sum()
        assert covered == len(lists), f"layer {li}: tiles overlap"
        cores_of[li] = cores
    n_cores = int(part["num_cores"])
    used = np.zeros((n_cores, 4), dtype=np.int64)
    in_sets = [set() for _ in range(n_cores)]
    targets: Dict[Tuple[int, int], set] = {}
    for li, lists in presyn.items():
        for n, pre in enumerate(lists):
            c = cores_of[li][n]
            used[c, 0] += 1
            used[c, 1] += len(pre) * bits[li]
            in_sets[c].update(pre)
            for src in pre:
                if src[0] >= 0:
                    targets.setdefault(src, set()).add(c)
    for (li, n), cs in targets.items():
        used[cores_of[li][n], 3] += len(cs)
    used[:, 2] = [len(s) for s in in_sets]
    cap = np.array([profile.neurons_per_core, profile.synaptic_memory_bits_per_core,
                    profile.input_axons_per_core, profile.output_axons_per_core])
    for c in range(n_cores):
        for k, name in enumerate(LIMITS):
            assert used[c, k] <= cap[k], f"core {c} exceeds {name}: {used[c, k]} > {cap[k]}"
    # spikes per wave: (presynaptic neuron, destination tile) pairs by where they travel
    intra = inter = inter_chip = 0
    per_chip = int(part["cores_per_chip"])
    for li, lists in presyn.items():
        entry = part[f"layer_{li}"]
        np.testing.assert_array_equal(entry["chip"], entry["core"] // per_chip)
        box = net.layers[li].shape if len(net.layers[li].shape) == 3 else \
            (net.layers[li].size, 1, 1)
        ids = np.arange(len(lists)).reshape(box)
        for (c0, c1, y0, y1, x0, x1), core in zip(entry["boxes"], entry["core"]):
            pre = set()
            for n in ids[c0:c1, y0:y1, x0:x1].ravel():
                pre.update(x for x in lists[n] if x[0] >= 0)
            for src, j in pre:
                sc = cores_of[src][j]
                if sc == core:
                    intra += 1
                else:
                    inter += 1
                    inter_chip += int(sc // per_chip != core // per_chip)
    assert (report.intra_core_spikes, report.inter_core_spikes, report.inter_chip_spikes) == \
        (intra, inter, inter_chip)
    all_cores = np.concatenate(list(cores_of.values())) if cores_of else np.zeros(0, np.int64)
    assert report.cores_used == n_cores == len(set(all_cores.tolist()))


# --------------------------------------------------------------------------- hand-made
def two_dense_net() -> spec.Network:
    """host(50) -> dense 250 (4-bit weights) -> dense 3 readout (1-bit weights)."""
    w1 = np.tile(np.array([-8, 7, 1, 0, 3], dtype=np.float32), (250, 10))
    w2 = np.ones((3, 250), dtype=np.float32)
    return spec.Network(layers=[
        spec.InputLayer(shape=(50,)),
        spec.DenseLayer(shape=(250,), neuron=cuba(), weight=w1),
        spec.DenseLayer(shape=(3,), neuron=None, weight=w2),
    ])


def test_dense_layer_needs_exactly_k_cores_and_report_numbers():
    # 50 synapses x 4 bits = 200 bits per neuron; 4000 bits per core -> 20 neurons per core
    prof = small_profile(neurons_per_core=64, synaptic_memory_bits_per_core=4000,
                         input_axons_per_core=1000, output_axons_per_core=1000)
    net = two_dense_net()
    pnet, rep = partition(net, prof)
    l1, l2 = rep.layers
    assert (l1.index, l1.fan_in, l1.synapse_bits) == (1, 50, 4)
    assert l1.tiles == 13 == l1.cores  # ceil(250 / 20)
    assert l1.tile_shape == (20, 1, 1)
    assert l1.limiting == "synaptic_memory_bits"
    assert l1.utilisation["synaptic_memory_bits"] == pytest.approx(20 * 200 / 4000)
    assert l1.utilisation["neurons"] == pytest.approx(20 / 64)
    assert l1.utilisation["input_axons"] == pytest.approx(50 / 1000)
    assert l1.utilisation["output_axons"] == pytest.approx(20 / 1000)
    assert (l1.input_axons, l1.output_axons) == (13 * 50, 250)
    # readout: 250 synapses x 1 bit; 3 x 250 = 750 bits do not fit beside 19-20 x 200 bits
    assert (l2.fan_in, l2.synapse_bits, l2.tiles, l2.cores) == (250, 1, 1, 1)
    assert l2.limiting == "none (one core)"
    assert rep.cores_used == 14 and rep.chips_used == 1
    assert rep.neurons == 253
    assert rep.host_input_axons == 650
    assert (rep.inter_core_spikes, rep.intra_core_spikes) == (250, 0)
    assert rep.core_graph_edges == 13
    boxes = pnet.extras["compiler"]["partition"]["layer_1"]["boxes"]
    sizes = boxes[:, 1] - boxes[:, 0]
    assert sizes.sum() == 250 and sizes.max() <= 20 and sizes.min() >= 19
    check_limits(net, pnet, rep, prof)


def test_readout_packs_into_the_core_it_talks_to():
    # 4100 bits per core: still 20 neurons (4000 bits) per core -> 13 tiles of 19 or 20;
    # a 1-neuron readout (250 synapses x 1 bit) fits only beside a 19-neuron tile
    # (3800 + 250 <= 4100); all of them feed it equally, the latest such core wins
    prof = small_profile(neurons_per_core=64, synaptic_memory_bits_per_core=4100,
                         input_axons_per_core=1000, output_axons_per_core=1000)
    net = two_dense_net()
    net.layers[2] = spec.DenseLayer(shape=(1,), neuron=None,
                                    weight=np.ones((1, 250), dtype=np.float32))
    pnet, rep = partition(net, prof)
    assert rep.layers[0].tiles == 13 and rep.cores_used == 13
    part = pnet.extras["compiler"]["partition"]
    sizes = np.diff(part["layer_1"]["boxes"][:, :2], axis=1).ravel()
    assert sizes.tolist() == [19, 19, 19, 19, 20, 19, 19, 19, 20, 19, 19, 19, 20]
    assert part["layer_2"]["core"].tolist() == [11]
    assert (rep.intra_core_spikes, rep.inter_core_spikes) == (19, 231)
    check_limits(net, pnet, rep, prof)


def test_conv_tiles_by_hand():
    # host (2, 8, 8) -> conv 2->4, 3x3, pad 1: 256 neurons, 64 per core -> 4 tiles.  The
    # fewest input axons come from full-channel 4x4 quadrants: each reads 2 ch x 5 rows x
    # 5 cols = 50 inputs (200 in all); bands of 2 rows x 8 cols would read 48+64+64+48 = 224
    w = np.arange(-36, 36, dtype=np.float32).reshape(4, 2, 3, 3)
    net = spec.Network(layers=[
        spec.InputLayer(shape=(2, 8, 8)),
        spec.ConvLayer(shape=(4, 8, 8), neuron=cuba(), weight=w, kernel_size=(3, 3),
                       stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1)])
    prof = small_profile(neurons_per_core=64)
    pnet, rep = partition(net, prof)
    (lay,) = rep.layers
    assert (lay.fan_in, lay.synapse_bits, lay.tiles, lay.cores) == (18, 7, 4, 4)
    assert lay.tile_shape == (4, 4, 4)
    assert lay.input_axons == 4 * 50
    assert rep.host_input_axons == 200
    assert lay.utilisation["input_axons"] == pytest.approx(50 / prof.input_axons_per_core)
    assert lay.limiting == "neurons"
    check_limits(net, pnet, rep, prof)


def test_output_axon_limit_splits_the_source_layer():
    # a spiking input of 100 neurons feeds a dense layer cut into 10 tiles of 10 neurons
    # (10 neurons per core): each input neuron needs 10 output axons, so with 500 output
    # axons per core the input layer must use tiles of <= 50 neurons
    net = spec.Network(layers=[
        spec.InputLayer(shape=(100,), neuron=cuba()),
        spec.DenseLayer(shape=(100,), neuron=cuba(), weight=np.ones((100, 100), np.float32))])
    prof = small_profile(neurons_per_core=10, output_axons_per_core=1000)
    _, rep = partition(net, prof)
    assert rep.layers[0].tiles == 10  # 10 neurons x 10 targets = 100 output axons each
    prof = small_profile(neurons_per_core=100, synaptic_memory_bits_per_core=1000,
                         output_axons_per_core=500)
    pnet, rep = partition(net, prof)
    assert rep.layers[1].tiles == 10  # 100 synapses x 1 bit -> 10 neurons per core
    assert rep.layers[0].tiles == 2 and rep.layers[0].limiting == "output_axons"
    assert rep.layers[0].utilisation["output_axons"] == pytest.approx(500 / 500)
    check_limits(net, pnet, rep, prof)


def test_average_layer_reads_contiguous_groups():
    # dense 12 -> average 3 (groups of 4): a tile of k average neurons reads 4k neurons
    net = spec.Network(layers=[
        spec.InputLayer(shape=(5,)),
        spec.DenseLayer(shape=(12,), neuron=cuba(), weight=np.ones((12, 5), np.float32)),
        spec.AverageLayer(shape=(3,), neuron=cuba())])
    prof = small_profile(neurons_per_core=64, input_axons_per_core=8)
    pnet, rep = partition(net, prof)
    avg = rep.layers[1]
    assert (avg.kind, avg.fan_in, avg.tiles, avg.tile_shape) == ("average", 4, 2, (2, 1, 1))
    assert avg.limiting == "input_axons"
    assert avg.input_axons == 12  # 8 + 4
    check_limits(net, pnet, rep, prof)


# --------------------------------------------------------------------------- infeasible
def test_fan_in_above_axon_limit_raises_named_error():
    net = spec.Network(layers=[
        spec.InputLayer(shape=(5000,)),
        spec.DenseLayer(shape=(4,), neuron=cuba(), weight=np.ones((4, 5000), np.float32))])
    with pytest.raises(CompileError) as info:
        partition(net, "loihi1")
    e = info.value
    assert (e.layer, e.limit, e.needed, e.available) == (1, "input_axons", 5000, 4096)
    assert "layer 1 (dense)" in str(e) and "needed 5000, available 4096" in str(e)


def test_one_neuron_synapses_above_memory_raises_named_error():
    net = spec.Network(layers=[
        spec.InputLayer(shape=(4000,)),
        spec.DenseLayer(shape=(2,), neuron=cuba(),
                        weight=np.full((2, 4000), -100, np.float32) + np.eye(2, 4000) * 201)])
    prof = small_profile(synaptic_memory_bits_per_core=16000)
    with pytest.raises(CompileError) as info:
        partition(net, prof)
    e = info.value  # 4000 synapses x 8 bits (mixed sign, odd values)
    assert (e.layer, e.limit, e.needed, e.available) == (1, "synaptic_memory_bits", 32000,
                                                         16000)


def test_more_neurons_than_the_system_raises_named_error():
    # loihi1: 1 chip x 128 cores x 1024 neurons = 131,072 neurons
    net = spec.Network(layers=[
        spec.InputLayer(shape=(4,)),
        spec.DenseLayer(shape=(140000,), neuron=cuba(),
                        weight=np.ones((140000, 4), np.float32))])
    with pytest.raises(CompileError) as info:
        partition(net, "loihi1")
    e = info.value
    assert (e.layer, e.limit, e.available) == (1, "cores", 128)
    assert e.needed == 137  # ceil(140000 / 1024)
    assert "needed 137, available 128" in str(e)


# --------------------------------------------------------------------------- fixtures
def test_tiny_fixture_partition(fixtures_dir):
    net = spec.read(fixtures_dir / "tiny.net")
    prof = hw_profiles.load("loihi1")
    pnet, rep = partition(net, prof)
    # input 3x16x16 (spiking input layer) = 768, conv1 24x6x6 = 864, conv2 36 neurons
    assert [r.neurons for r in rep.layers] == [768, 864, 36]
    assert [r.fan_in for r in rep.layers] == [1, 75, 600]
    assert rep.cores_used == 2
    check_limits(net, pnet, rep, prof)


# --------------------------------------------------------------------------- property
@st.composite
def random_case(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 31)))
    c = draw(st.integers(1, 4))
    h = draw(st.integers(3, 9))
    w = draw(st.integers(3, 9))
    layers: List[spec.Layer] = [spec.InputLayer(shape=(c, h, w),
                                                neuron=cuba() if draw(st.booleans()) else None)]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "conv", "pool", "convT"]))
        k = draw(st.integers(1, 3))
        s = draw(st.integers(1, 2))
        p = draw(st.integers(0, k - 1))
        d = draw(st.integers(1, 2))
        if kind == "pool":
            ho, wo = (h + 2 * p - d * (k - 1) - 1) // s + 1, (w + 2 * p - d * (k - 1) - 1) // s + 1
            if ho < 1 or wo < 1:
                continue
            layers.append(spec.PoolLayer(shape=(c, ho, wo), neuron=cuba(), weight=4.0,
                                         kernel_size=(k, k), stride=(s, s), padding=(p, p),
                                         dilation=(d, d)))
        else:
            g = draw(st.sampled_from([x for x in (1, 2) if c % x == 0]))
            co = g * draw(st.integers(1, 3))
            if kind == "conv":
                ho, wo = (h + 2 * p - d * (k - 1) - 1) // s + 1, \
                    (w + 2 * p - d * (k - 1) - 1) // s + 1
                wt = rng.integers(-8, 8, size=(co, c // g, k, k)).astype(np.float32)
                cls = spec.ConvLayer
            else:
                ho, wo = (h - 1) * s - 2 * p + d * (k - 1) + 1, \
                    (w - 1) * s - 2 * p + d * (k - 1) + 1
                wt = rng.integers(-8, 8, size=(c, co // g, k, k)).astype(np.float32)
                cls = spec.ConvTransposeLayer
            if ho < 1 or wo < 1 or ho > 14 or wo > 14:
                continue
            layers.append(cls(shape=(co, ho, wo), neuron=cuba(), weight=wt, kernel_size=(k, k),
                              stride=(s, s), padding=(p, p), dilation=(d, d), groups=g))
            c = co
        h, w = ho, wo
    if draw(st.booleans()):
        n_in = c * h * w
        layers.append(spec.FlattenLayer(shape=(n_in,)))
        n = draw(st.integers(1, 12))
        layers.append(spec.DenseLayer(shape=(n,), neuron=cuba(),
                                      weight=rng.integers(-3, 4, (n, n_in)).astype(np.float32)))
        if draw(st.booleans()):
            n_avg = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
            layers.append(spec.AverageLayer(shape=(n_avg,), neuron=cuba()))
            n = n_avg
        if draw(st.booleans()):
            m = draw(st.integers(1, 8))
            layers.append(spec.RecurrentDenseLayer(
                shape=(m,), neuron=cuba(), weight=np.ones((m, n), np.float32),
                weight_rec=np.ones((m, m), np.float32)))
    prof = small_profile(
        chips=1000, cores_per_chip=draw(st.integers(1, 6)),
        neurons_per_core=draw(st.integers(2, 64)),
        synaptic_memory_bits_per_core=draw(st.integers(16, 2000)),
        input_axons_per_core=draw(st.integers(8, 400)),
        output_axons_per_core=draw(st.integers(8, 400)))
    return spec.Network(layers=layers), prof


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_case())
def test_every_assignment_respects_every_limit(case):
    net, prof = case
    spec.validate(net)
    try:
        pnet, rep = partition(net, prof)
    except CompileError as e:
        assert e.limit in LIMITS + ("cores",)
        assert e.needed > e.available
        if e.limit in ("input_axons", "synaptic_memory_bits"):
            # the claim is about a single neuron: check it against brute force
            presyn = brute_presyn(net)[e.layer]
            most = max(len(p) for p in presyn)
            if e.limit == "input_axons":
                assert most == e.needed
        return
    check_limits(net, pnet, rep, prof)
