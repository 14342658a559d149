"""trainers.slayer.utils: filters, time helpers, LearningStats and Assistant with real values."""

import io as stdio
import math

import numpy as np
import pytest
import torch

from trainers.slayer import classifier, loss, utils
from trainers.slayer.utils import filter as sfilter
from trainers.slayer.utils import time as stime


# ---------------------------------------------------------------- filter
def test_conv_and_corr_hand_values():
    x = torch.tensor([[[1.0, 0.0, 2.0, 0.0]]])
    assert sfilter.conv(x, [1.0, 0.5]).tolist() == [[[1.0, 0.5, 2.0, 1.0]]]
    assert sfilter.conv(x, [1.0, 0.5], sampling_time=2).tolist() == [[[2.0, 1.0, 4.0, 2.0]]]
    g = torch.tensor([1.0, 2.0, 3.0])
    assert sfilter.corr(g, [1.0, 0.5]).tolist() == [2.0, 3.5, 3.0]


def test_corr_is_adjoint_of_conv():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 9, generator=gen, dtype=torch.float64)
    g = torch.rand(2, 3, 9, generator=gen, dtype=torch.float64)
    k = torch.rand(4, generator=gen, dtype=torch.float64)
    lhs = (sfilter.conv(x, k) * g).sum()
    rhs = (x * sfilter.corr(g, k)).sum()
    assert lhs.item() == pytest.approx(rhs.item(), rel=1e-12)


def test_exp_kernels_hand_values():
    torch.testing.assert_close(sfilter.exp_kernel(2.0, 3),
                               torch.tensor([1.0, math.exp(-0.5), math.exp(-1.0)]))
    torch.testing.assert_close(sfilter.exp_kernel(1.0, 4, filter_order=3),
                               torch.tensor([0.0, 0.5 * math.exp(-1), 2 * math.exp(-2), 4.5 * math.exp(-3)]))
    psp = sfilter.psp_kernel(3.0, 7)
    assert psp[0].item() == 0.0
    assert psp[3].item() == pytest.approx(1.0)  # alpha kernel peaks at 1 at t = tau
    assert int(torch.argmax(psp)) == 3


def test_exponential_recursion_equals_long_fir():
    x = torch.zeros(1, 2, 30)
    x[0, 0, [0, 4, 5]] = 1
    x[0, 1, 10] = 2
    y = sfilter.exponential(x, time_constant=4.0)
    torch.testing.assert_close(y, sfilter.conv(x, sfilter.exp_kernel(4.0, 30)))
    assert y[0, 1, 12].item() == pytest.approx(2 * math.exp(-0.5))
    fir = sfilter.FIR(time_constant=4.0, length=30)
    torch.testing.assert_close(fir(x), y)
    torch.testing.assert_close(sfilter.psp(x, 2.0, 8), sfilter.conv(x, sfilter.psp_kernel(2.0, 8)))


# ---------------------------------------------------------------- time
def test_replicate():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    r = stime.replicate(x, 3)
    assert r.shape == (2, 2, 3)
    assert r[1, 0].tolist() == [3.0, 3.0, 3.0]
    assert r[0, 1].tolist() == [2.0, 2.0, 2.0]


def test_shift_scalar_and_per_neuron():
    x = torch.tensor([[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]])
    assert stime.shift(x, 1).tolist() == [[[0, 1, 2, 3], [0, 5, 6, 7]]]
    assert stime.shift(x, -2).tolist() == [[[3, 4, 0, 0], [7, 8, 0, 0]]]
    assert stime.shift(x, 7).tolist() == [[[0] * 4, [0] * 4]]
    per = stime.shift(x, torch.tensor([2.0, -1.0]))
    assert per.tolist() == [[[0, 0, 1, 2], [6, 7, 8, 0]]]
    xg = x.clone().requires_grad_()
    stime.shift(xg, torch.tensor([2, 0])).sum().backward()
    assert xg.grad.tolist() == [[[1, 1, 0, 0], [1, 1, 1, 1]]]
    with pytest.raises(ValueError, match="broadcast"):
        stime.shift(x, torch.tensor([1, 2, 3]))


# ---------------------------------------------------------------- LearningStats
def _two_epochs() -> utils.LearningStats:
    stats = utils.LearningStats()
    stats.training.loss_sum, stats.training.correct_samples, stats.training.num_samples = 8.0, 3, 4
    stats.testing.loss_sum, stats.testing.correct_samples, stats.testing.num_samples = 3.0, 1, 2
    assert stats.training.loss == 2.0 and stats.training.accuracy == 0.75
    assert stats.validation.loss is None and stats.validation.accuracy is None
    stats.update()
    assert stats.training.best_loss and stats.training.best_accuracy
    assert stats.training.num_samples == 0  # reset after update
    stats.training.loss_sum, stats.training.correct_samples, stats.training.num_samples = 4.0, 2, 4
    stats.testing.loss_sum, stats.testing.correct_samples, stats.testing.num_samples = 4.0, 2, 2
    stats.update()
    return stats


def test_learning_stats_logs_and_bests():
    stats = _two_epochs()
    assert stats.training.loss_log == [2.0, 1.0]
    assert stats.training.accuracy_log == [0.75, 0.5]
    assert stats.testing.loss_log == [1.5, 2.0]
    assert stats.testing.accuracy_log == [0.5, 1.0]
    assert stats.validation.loss_log == [None, None]
    assert stats.training.best_loss and not stats.training.best_accuracy
    assert not stats.testing.best_loss and stats.testing.best_accuracy
    assert (stats.training.min_loss, stats.training.max_accuracy) == (1.0, 0.75)
    assert (stats.testing.min_loss, stats.testing.max_accuracy) == (1.5, 1.0)


def test_learning_stats_print():
    stats = utils.LearningStats()
    stats.training.loss_sum, stats.training.correct_samples, stats.training.num_samples = 5.0, 3, 4
    out = stdio.StringIO()
    text = stats.print(3, iter=7, time_elapsed=2.0, header=["run A"], file=out)
    lines = text.split("\n")
    assert lines[0] == "run A"
    assert lines[1] == "Epoch    3 : i =     7 : 500.0000 ms/sample"
    assert lines[2] == "Training   loss =     1.25000    accuracy = 0.75000"
    assert out.getvalue() == text + "\n"
    progress = stats.print(4, iter=5, dataloader=[0] * 20, file=stdio.StringIO()).split("\n")
    assert progress[0] == "Epoch    4 : i =     5/   20 ( 25%)"


def test_learning_stats_save_load(tmp_path):
    stats = _two_epochs()
    stats.save(str(tmp_path) + "/")
    loss_txt = (tmp_path / "loss.txt").read_text().splitlines()
    assert loss_txt[0] == "# training testing"
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "loss.txt"), [[2.0, 1.5], [1.0, 2.0]])
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "accuracy.txt"), [[0.75, 0.5], [0.5, 1.0]])
    again = utils.LearningStats()
    again.load(tmp_path)  # a directory works too
    assert again.testing.loss_log == [1.5, 2.0]
    assert again.training.accuracy_log == [0.75, 0.5]
    assert again.testing.min_loss == 1.5 and again.testing.max_accuracy == 1.0


def test_learning_stats_plot(tmp_path):
    stats = _two_epochs()
    figs = stats.plot(path=str(tmp_path) + "/")
    for name in ("loss.png", "accuracy.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loss_lines = figs[0].axes[0].get_lines()
    assert [line.get_label() for line in loss_lines] == ["Training", "Testing"]
    assert list(loss_lines[0].get_ydata()) == [2.0, 1.0]
    assert list(figs[1].axes[0].get_lines()[1].get_ydata()) == [0.5, 1.0]


# ---------------------------------------------------------------- Assistant
class _Scale(torch.nn.Module):
    """y = w * x with w = 1, optionally returning (y, w^2) and/or a count."""

    def __init__(self, extra_loss=False, count=False):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(1.0))
        self.extra_loss, self.count = extra_loss, count

    def forward(self, x):
        out = [self.w * x]
        if self.extra_loss:
            out.append(self.w ** 2)
        if self.count:
            out.append(torch.tensor([7]))
        return out[0] if len(out) == 1 else tuple(out)


def _sq(output, target):
    return ((output - target) ** 2).sum()


def test_assistant_train_step_and_stats():
    net = _Scale()
    stats = utils.LearningStats()
    helper = utils.Assistant(net, _sq, torch.optim.SGD(net.parameters(), lr=0.1), stats)
    out = helper.train(torch.tensor([2.0]), torch.tensor([0.0]))
    assert out.item() == 2.0
    # L = (2w)^2 = 4, dL/dw = 8 w x... = 8 -> w = 1 - 0.8
    assert net.w.item() == pytest.approx(0.2)
    assert (stats.training.loss_sum, stats.training.num_samples) == (4.0, 1)
    out = helper.test(torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [0.0]]))
    assert net.w.item() == pytest.approx(0.2)  # no step when testing
    assert stats.testing.num_samples == 2
    assert stats.testing.loss_sum == pytest.approx((0.04 + 0.36) * 2)
    helper.valid(torch.tensor([1.0]), torch.tensor([1.0]))
    assert stats.validation.loss_sum == pytest.approx(0.64)
    helper.reduce_lr(2.0)
    assert helper.optimizer.param_groups[0]["lr"] == pytest.approx(0.05)


def test_assistant_lam_and_count_log():
    net = _Scale(extra_loss=True, count=True)
    stats = utils.LearningStats()
    helper = utils.Assistant(net, _sq, torch.optim.SGD(net.parameters(), lr=0.1), stats,
                             count_log=True, lam=0.5)
    out, count = helper.train(torch.tensor([2.0]), torch.tensor([0.0]))
    assert (out.item(), count.tolist()) == (2.0, [7])
    # L = 4 w^2 + 0.5 w^2 -> dL/dw = 9 -> w = 1 - 0.9; stats keep the task loss only
    assert net.w.item() == pytest.approx(0.1)
    assert stats.training.loss_sum == 4.0
    plain = utils.Assistant(_Scale(), _sq, torch.optim.SGD(net.parameters(), lr=0.1), count_log=True)
    with pytest.raises(ValueError, match="expects net"):
        plain.train(torch.tensor([2.0]), torch.tensor([0.0]))


def test_assistant_counts_correct_samples_with_classifier():
    spikes = torch.zeros(3, 2, 4)
    spikes[0, 0, :3] = 1
    spikes[1, 1, :] = 1
    spikes[2, 0, :1] = 1
    spikes[2, 1, :2] = 1

    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gain = torch.nn.Parameter(torch.tensor(1.0))

        def forward(self, x):
            return x * self.gain

    net, stats = Fixed(), utils.LearningStats()
    helper = utils.Assistant(net, loss.SpikeRate(0.75, 0.0), torch.optim.SGD(net.parameters(), lr=0.0),
                             stats, classifier=classifier.Rate.predict)
    helper.test(spikes, torch.tensor([0, 1, 0]))  # predictions 0, 1, 1
    assert stats.testing.correct_samples == 2 and stats.testing.accuracy == pytest.approx(2 / 3)
    # SpikeRate sum: rates [.75,0], [0,1], [.25,.5]; targets [.75,0], [0,.75], [.75,0]
    expected = 0.0 + 0.0625 + 0.25 + 0.25
    assert stats.testing.loss_sum == pytest.approx(expected * 3)


def test_assistant_trains_rate_readout_on_digits():
    """End to end: SpikeMax + Rate classifier + Assistant + LearningStats on sklearn digits.

    A sigmoid rate layer (a differentiable stand-in for a spiking layer) is trained as a
    readout; the held-out accuracy must clear a floor.
    """
    from sklearn.datasets import load_digits

    torch.manual_seed(0)
    data = load_digits()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(data.target))
    x = torch.tensor(data.data[order] / 16.0, dtype=torch.float32)
    y = torch.tensor(data.target[order], dtype=torch.long)
    x_train, y_train, x_test, y_test = x[:1400], y[:1400], x[1400:], y[1400:]

    class RateNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(64, 10)

        def forward(self, inp):  # (N, 64) -> (N, 10, T=8) "rates" replicated over time
            return stime.replicate(torch.sigmoid(self.fc(inp)), 8)

    net, stats = RateNet(), utils.LearningStats()
    helper = utils.Assistant(net, loss.SpikeMax(reduction="mean"),
                             torch.optim.Adam(net.parameters(), lr=0.05), stats,
                             classifier=classifier.Rate.predict)
    for _epoch in range(8):
        for i in range(0, len(x_train), 200):
            helper.train(x_train[i:i + 200], y_train[i:i + 200])
        helper.test(x_test, y_test)
        stats.update()
    assert stats.testing.accuracy_log[-1] > 0.93  # 0.962 when written
    assert stats.training.loss_log[-1] < stats.training.loss_log[0]
