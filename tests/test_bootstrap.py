"""Tests of trainers.bootstrap: scheduler, ANN sampler (PWL fit), blocks and export."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from trainers import bootstrap
from trainers.bootstrap import Mode
from trainers.bootstrap.ann_sampler import AnnSampler, pwl
from trainers.bootstrap.routine import BlockModes, Scheduler

S, A, F, N = Mode.SAMPLE, Mode.ANN, Mode.FIT, Mode.SNN


# ----------------------------------------------------------------------------- routine
def test_mode_values_and_exports():
    assert [int(m) for m in (Mode.SNN, Mode.ANN, Mode.SAMPLE, Mode.FIT)] == [0, 1, 2, 3]
    assert bootstrap.routine.Mode is bootstrap.Mode


def test_scheduler_training_sequence():
    sched = Scheduler(num_sample_iter=3, sample_period=2)
    epoch0 = [sched.mode(0, i, True).base_mode for i in range(7)]
    assert epoch0 == [S, S, S, F, A, A, A]
    assert [sched.mode(1, i, True).base_mode for i in range(5)] == [A] * 5
    assert [sched.mode(2, i, True).base_mode for i in range(5)] == [S, S, S, F, A]
    # evaluation: SNN on sampling epochs, ANN otherwise
    assert [sched.mode(e, 0, False).base_mode for e in range(5)] == [N, A, N, A, N]


def test_scheduler_defaults_match_lava_dl():
    sched = Scheduler()
    modes = [sched.mode(0, i, True).base_mode for i in range(13)]
    assert modes == [S] * 10 + [F, A, A]
    assert [sched.mode(e, 5, True).base_mode for e in (0, 1, 9, 10, 11, 20)] == [S, A, A, S, A, S]
    assert [sched.mode(e, 0, False).base_mode for e in (0, 5, 10, 19, 20)] == [N, A, N, A, N]
    assert str(sched.mode(10, 0, False)) == "Mode: SNN"


def test_scheduler_crossover_per_block_modes():
    sched = Scheduler(num_sample_iter=2, sample_period=3, crossover_epochs=[1, 4])
    assert sched.mode(0, 5, True).modes(4) == [A, A, A, A]
    assert sched.mode(1, 0, True).modes(4) == [N, A, A, A]
    assert sched.mode(3, 0, True).modes(4) == [S, S, S, S]   # SAMPLE applies to every block
    assert sched.mode(3, 2, True).modes(4) == [N, F, F, F]
    assert sched.mode(4, 0, True).modes(4) == [N, N, A, A]
    assert sched.mode(4, 0, False).modes(4) == [N, N, A, A]
    assert sched.mode(6, 0, False).modes(4) == [N, N, N, N]
    blocks = ["b0", "b1", "b2"]
    assert [m for _, m in zip(blocks, sched.mode(5, 9, True))] == [N, N, A]
    assert sched.mode(5, 9, True).uses_time and not sched.mode(0, 9, True).uses_time


def test_snn_stat_tracks_best_accuracy():
    from trainers.slayer.utils import LearningStats
    sched = Scheduler()
    stats = LearningStats()
    for correct, best in ((80, True), (90, True), (85, False)):
        stats.testing.correct_samples, stats.testing.num_samples = correct, 100
        stats.testing.loss_sum = 100 - correct
        sched.sync_snn_stat(stats.testing)
        assert sched.snn_stat.accuracy == correct / 100
        assert sched.snn_stat.best_accuracy is best
        sched.update_snn_stat()
        stats.update()
    assert sched.snn_stat.accuracy_log == [0.8, 0.9, 0.85]
    assert sched.snn_stat.max_accuracy == 0.9


# ----------------------------------------------------------------------------- sampler
def _fit(z: torch.Tensor, a: torch.Tensor, **kw) -> AnnSampler:
    sampler = AnnSampler(**kw)
    sampler.append(z.reshape(1, -1, 1), a.reshape(1, -1, 1))
    assert sampler.fit()
    return sampler


def test_pwl_fit_recovers_ramp_exactly():
    # rate = clamp((z - 0.5) / 2, 0, 1): zero crossing 0.5, saturation 2.5
    z = torch.linspace(-2.0, 5.0, 7001, dtype=torch.float64)
    a = ((z - 0.5) / 2).clamp(0, 1)
    sampler = _fit(z, a)
    assert float(sampler.x_points[0]) == pytest.approx(0.5, abs=1e-6)
    assert float(sampler.x_points[-1]) == pytest.approx(2.5, abs=1e-6)
    probe = torch.linspace(-3.0, 6.0, 9001)
    assert torch.max(torch.abs(sampler(probe) - ((probe - 0.5) / 2).clamp(0, 1))) < 1e-6


def test_pwl_fit_knots_lie_on_known_function():
    # monotone 3-segment function (slopes 0.25, 0.1, 0.3; kinks at z = 2 and 4, rate 1 at 5):
    # the centre knots are points of f; the zero crossing extends f's first segment (through
    # the origin); saturation lies between f's (z = 5) and the top samples' median input
    def f(z):
        return torch.where(z < 2, 0.25 * z, torch.where(z < 4, 0.5 + 0.1 * (z - 2),
                                                           0.7 + 0.3 * (z - 4))).clamp(0, 1)
    z = torch.linspace(0.0, 6.0, 6001, dtype=torch.float64)
    sampler = _fit(z, f(z))
    x, y = sampler.x_points.double(), sampler.y_points.double()
    inner = slice(1, -1)
    assert torch.max(torch.abs(f(x[inner]) - y[inner])) < 1e-6
    assert float(x[0]) == pytest.approx(0.0, abs=1e-6)
    top_median = float(z[f(z) > 0.9].median())
    assert 5.0 <= float(x[-1]) <= top_median + 1e-6
    assert y[0] == 0 and y[-1] == 1
    assert bool((x[1:] >= x[:-1]).all()) and bool((y[1:] >= y[:-1]).all())


def test_fit_saturates_at_the_highest_reachable_rate():
    # spike trains whose first step is always silent (a one-step synaptic delay): neuron i
    # fires k_i = min(15, floor(10 z_i)) times in steps 1..15, so rates stop at 15/16
    steps = 16
    z = torch.linspace(0.0, 3.0, 301)
    k = torch.clamp(torch.floor(10 * z + 1e-6), max=15).long()
    t = torch.arange(steps)
    s = ((t >= 1) & (t <= k[:, None])).float()            # (neurons, T)
    sampler = AnnSampler()
    sampler.append(z[None, :, None].expand(1, -1, steps), s[None])
    assert sampler.saturation_level() == 15 / 16
    sampler.fit()
    sampler.eval()  # no training noise
    assert float(sampler.y_points[-1]) == 15 / 16
    assert float(sampler(torch.tensor([10.0]))) == 15 / 16
    # below saturation the PWL stays within 1.2 steps of rate of the staircase k / 16
    probe = torch.linspace(0.2, 1.4, 121)
    truth = torch.clamp(torch.floor(10 * probe + 1e-6), max=15) / 16
    assert torch.max(torch.abs(sampler(probe) - truth)) <= 1.2 / 16


def test_pwl_gradient_is_segment_slope_and_blend():
    x = torch.tensor([0.0, 1.0, 3.0])
    y = torch.tensor([0.0, 0.5, 1.0])
    z = torch.tensor([-1.0, 0.5, 2.0, 4.0], requires_grad=True)
    out = pwl(z, x, y)
    out.sum().backward()
    assert out.tolist() == [0.0, 0.25, 0.75, 1.0]
    assert z.grad.tolist() == [0.0, 0.5, 0.25, 0.0]
    # a second fit to the same samples blends to the same knots; a different one half-way
    z1 = torch.linspace(-1.0, 4.0, 501, dtype=torch.float64)
    sampler = _fit(z1, ((z1 - 1) / 2).clamp(0, 1), blend=0.5)
    first = sampler.x_points.clone()
    sampler.append(z1.reshape(1, -1, 1), (z1 / 2).clamp(0, 1).reshape(1, -1, 1))
    sampler.fit()
    assert torch.allclose(sampler.x_points, first - 0.5, atol=1e-6)


def test_training_noise_matches_measured_rate_spread():
    # SNN-like rates: binomial spike counts out of 16 steps around f(z) = clamp(z / 2, 0, 1);
    # their variance is f (1 - f) / 16, so the measured noise scale is 1/16
    gen = torch.Generator().manual_seed(0)
    z = torch.rand(200_000, generator=gen, dtype=torch.float64) * 2.4 - 0.2
    f = (z / 2).clamp(0, 1)
    a = torch.distributions.Binomial(16, f).sample() / 16
    x, y = torch.tensor([0.0, 2.0], dtype=torch.float64), torch.tensor([0.0, 1.0], dtype=torch.float64)
    assert AnnSampler.residual_scale(z, a, x, y) == pytest.approx(1 / 16, rel=0.03)
    sampler = AnnSampler()
    sampler.x_points.copy_(torch.tensor([0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.0]))
    sampler.y_points.copy_(torch.tensor([0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.0]))
    sampler.fitted.fill_(1)
    sampler.noise_scale.fill_(1 / 16)
    torch.manual_seed(0)
    probe = torch.full((200_000,), 1.0)                  # f = 0.5: variance 0.25 / 16
    noisy = sampler(probe)
    assert float(noisy.var()) == pytest.approx(0.25 / 16, rel=0.05)
    assert float(noisy.mean()) == pytest.approx(0.5, abs=2e-3)
    assert bool(((noisy >= 0) & (noisy <= 1)).all())
    assert torch.equal(sampler.eval()(probe), torch.full_like(probe, 0.5))  # eval: no noise


def test_noise_gain_scales_the_measured_spread():
    # the same binomial SNN-like samples fitted with gain 1 and gain 2: the same knots, and the
    # stored noise scale doubles (gain 2 = twice the SNN's rate variance in ANN training)
    gen = torch.Generator().manual_seed(1)
    z = torch.rand(50_000, generator=gen) * 2.4 - 0.2
    a = torch.distributions.Binomial(16, (z / 2).clamp(0, 1)).sample() / 16
    fitted = [_fit(z, a, noise_gain=gain) for gain in (1.0, 2.0)]
    assert float(fitted[0].noise_scale) == pytest.approx(1 / 16, rel=0.1)
    assert torch.equal(fitted[0].x_points, fitted[1].x_points)
    assert float(fitted[1].noise_scale) == pytest.approx(2 * float(fitted[0].noise_scale), rel=1e-6)
    with pytest.raises(ValueError, match="noise_gain"):
        AnnSampler(noise_gain=-1)


def test_sampler_needs_a_fit_and_survives_silence():
    sampler = AnnSampler()
    with pytest.raises(RuntimeError, match="not fitted"):
        sampler(torch.zeros(3))
    sampler.append(torch.ones(2, 4, 8), torch.zeros(2, 4, 8))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert sampler.fit() is False
    assert sampler(torch.tensor([0.5])).item() == pytest.approx(0.5)


# ----------------------------------------------------------------------------- blocks
NEURON = {"threshold": 1.25, "current_decay": 1, "voltage_decay": 0.03, "tau_grad": 0.03,
          "scale_grad": 3, "requires_grad": False}
T = 8


class TinyNet(torch.nn.Module):
    """Input -> Dense 20-16 -> Dense 16-12 -> Affine 12-4, the tutorial's structure."""

    def __init__(self) -> None:
        super().__init__()
        cuba = bootstrap.block.cuba
        self.blocks = torch.nn.ModuleList([
            cuba.Input(NEURON, weight=1, bias=0),
            cuba.Dense(NEURON, 20, 16, weight_norm=True, weight_scale=2),
            cuba.Dense(NEURON, 16, 12, weight_norm=True, weight_scale=2),
            cuba.Affine(NEURON, 12, 4, weight_norm=True, weight_scale=2),
        ])

    def forward(self, x, mode):
        x = x.unsqueeze(-1).repeat(1, 1, T) if mode.uses_time else x.unsqueeze(-1)
        for block, m in zip(self.blocks, mode):
            x = block(x, mode=m)
        return x


def _data(n: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 20, generator=torch.Generator().manual_seed(seed)) * 2 - 0.2


def test_hybrid_crossover_two_blocks_always_snn():
    torch.manual_seed(0)
    net = TinyNet()
    lengths = []
    hooks = [b.register_forward_hook(lambda m, i, o: lengths.append(o.shape[-1]))
             for b in net.blocks]
    sched = Scheduler(num_sample_iter=2, sample_period=1, crossover_epochs=[0, 0])
    x = _data()
    seen = {}
    for it in range(5):
        lengths.clear()
        mode = sched.mode(0, it, True)
        with torch.no_grad():
            net(x, mode)
        seen.setdefault(mode.base_mode, list(lengths))
        # spiking in every mode: SNN, or SAMPLE (= SNN + recording, applies to every block)
        assert all(m in (N, S) for m in mode.modes(4)[:2])
    assert seen == {S: [T, T, T, T], F: [T, T, 1, 1], A: [T, T, 1, 1]}
    # blocks 0-1 really are the SNN: their outputs in ANN mode equal those of a pure SNN run
    outs = {}
    for name, mode in (("hybrid", sched.mode(0, 4, True)), ("snn", BlockModes(N))):
        y = x.unsqueeze(-1).repeat(1, 1, T)
        with torch.no_grad():
            for block, m in zip(net.blocks[:2], mode):
                y = block(y, mode=m)
        outs[name] = y
    assert torch.equal(outs["hybrid"], outs["snn"])
    assert set(outs["snn"].unique().tolist()) <= {0.0, 1.0}
    # only the blocks after the crossover were fitted
    assert [int(b.sampler.fitted) for b in net.blocks[:3]] == [0, 0, 1]
    assert net.blocks[3].sampler is None
    for h in hooks:
        h.remove()


def test_ann_mode_is_pwl_of_synapse_and_state_dict_keeps_fit():
    torch.manual_seed(1)
    net = TinyNet()
    x = _data()
    with torch.no_grad():
        for m in (S, S, F):
            net(x, BlockModes(m))
        net.eval()  # ANN mode without the training noise is deterministic
        dense = net.blocks[1]
        inp = (torch.rand(16, 20, 1) < 0.3).float()
        expected = dense.sampler(dense.synapse(inp))
        assert torch.equal(dense(inp.repeat(1, 1, T), mode=A), expected)  # time-averaged input
        assert expected.shape == (16, 16, 1)
        other = TinyNet().eval()
        other.load_state_dict(net.state_dict())
        assert torch.equal(other(x, BlockModes(A)), net(x, BlockModes(A)))
        assert torch.equal(other(x, BlockModes(N)), net(x, BlockModes(N)))


def test_conv_pool_flatten_blocks_run_every_mode():
    torch.manual_seed(2)
    cuba = bootstrap.block.cuba
    blocks = torch.nn.ModuleList([
        cuba.Conv(NEURON, 1, 4, 3, padding=1, weight_scale=8),
        cuba.Pool(NEURON, 2),
        cuba.Flatten(),
        cuba.Dense(NEURON, 4 * 3 * 3, 5, weight_scale=8),
    ])
    x = (torch.rand(4, 1, 6, 6, T) < 0.5).float()
    blocks.eval()

    def run(mode):
        y = x if mode != A else x.mean(-1, keepdim=True)
        for b in blocks:
            y = b(y, mode=mode)
        return y

    with torch.no_grad():
        run(S)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every sampler saw spikes
            fit = run(F)
        ann = run(A)
        snn = run(N)
    assert [int(b.sampler.fitted) for b in blocks if b.sampler is not None] == [1, 1, 1]
    assert blocks[2].sampler is None
    assert fit.shape == ann.shape == (4, 5, 1) and snn.shape == (4, 5, T)
    assert torch.equal(fit, ann)
    assert bool(((ann >= 0) & (ann <= 1)).all())


def test_export_hdf5_reads_back_with_netx_spec(tmp_path):
    from netx import spec
    from trainers import slayer
    torch.manual_seed(3)
    net = TinyNet()
    x = _data()
    with torch.no_grad():
        for m in (S, F, N):
            net(x, BlockModes(m))
    path = tmp_path / "tiny_bootstrap.net"
    slayer.block.export_hdf5(net.blocks, str(path), simulation={"Ts": 1, "tSample": T})
    read = spec.read(path)
    assert [layer.kind for layer in read.layers] == ["input", "dense", "dense", "dense"]
    assert [tuple(layer.shape) for layer in read.layers] == [(20,), (16,), (12,), (4,)]
    for layer in read.layers[:3]:
        n = layer.neuron
        assert isinstance(n, spec.CubaNeuron)
        assert (n.type, n.i_decay, n.v_decay, n.vth_mant) == ("CUBA", 4096, 123, 80)
        assert n.graded_spike is False
    assert read.layers[3].neuron is None  # affine readout
    assert float(np.asarray(read.layers[0].weight).ravel()[0]) == 64.0
    assert float(np.asarray(read.layers[0].bias).ravel()[0]) == 0.0
    w = net.blocks[1].synapse.weight.detach().numpy()  # weight norm folded in by the export
    expected = np.clip(np.round(w * 32), -128, 127) * 2
    assert read.layers[1].weight.shape == (16, 20)
    assert np.array_equal(read.layers[1].weight, expected.astype(np.float32))
    assert read.simulation.tSample == T


def test_export_has_the_keys_lava_dl_writes(tmp_path, fixtures_dir):
    import h5py
    from trainers import slayer
    net = TinyNet()
    with torch.no_grad():
        net(_data(), BlockModes(N))
    path = tmp_path / "keys.net"
    slayer.block.export_hdf5(net.blocks, str(path), simulation={"Ts": 1, "tSample": 16})

    def keys(filename):
        found = set()
        with h5py.File(filename, "r") as f:
            f.visititems(lambda name, obj: found.add(name) if isinstance(obj, h5py.Dataset) else None)
        return found

    assert keys(path) == keys(fixtures_dir / "mnist.net")
