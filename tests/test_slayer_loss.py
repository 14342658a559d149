"""trainers.slayer.loss and .classifier against hand-computed values."""

import math

import pytest
import torch

from trainers.slayer import classifier, loss

EPS = 1e-6


def _spikes() -> torch.Tensor:
    """Batch of 2, 3 classes, 4 steps.  Rates: sample 0 [1/4, 3/4, 0], sample 1 [0, 0, 1]."""
    s = torch.zeros(2, 3, 4)
    s[0, 0, 0] = 1
    s[0, 1, :3] = 1
    s[1, 2, :] = 1
    return s


def _window_case():
    """1 sample, 2 classes, 3 steps; W=2 rates r0 = [.5, .5, .5], r1 = [0, .5, 1]."""
    s = torch.tensor([[[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]])
    label = torch.tensor([[0, 1, 1]])
    return s, label


# ---------------------------------------------------------------- classifiers
def test_rate_rate_predict_confidence():
    s = _spikes()
    assert classifier.Rate.rate(s).tolist() == [[0.25, 0.75, 0.0], [0.0, 0.0, 1.0]]
    assert classifier.Rate.predict(s).tolist() == [1, 2]
    assert classifier.Rate()(s).tolist() == [1, 2]
    prob = classifier.Rate.confidence(s)
    torch.testing.assert_close(prob[0], torch.tensor([0.25, 0.75, 0.0]) / (1 + EPS))
    soft = classifier.Rate.confidence(s, mode="softmax")[0]
    z = math.exp(0.25) + math.exp(0.75) + 1.0
    torch.testing.assert_close(soft, torch.tensor([math.exp(0.25) / z, math.exp(0.75) / z, 1 / z]))
    logsoft = classifier.Rate.confidence(s, mode="logsoftmax")[0]
    torch.testing.assert_close(logsoft, torch.log(soft))


def test_rate_ties_go_to_lowest_index_and_nchwt_flattens():
    s = torch.zeros(1, 2, 2, 1, 4)  # NCHWT: classes = 4 flattened (c, h)
    s[0, 0, 1, 0, 0] = 1  # flat class 1, one spike
    s[0, 1, 0, 0, :2] = 1  # flat class 2, two spikes
    s[0, 1, 1, 0, 2:] = 1  # flat class 3, same count
    assert classifier.Rate.rate(s).tolist() == [[0.0, 0.25, 0.5, 0.5]]
    assert classifier.Rate.predict(s).tolist() == [2]


def test_moving_window_rate_and_predict():
    s, _ = _window_case()
    mw = classifier.MovingWindow(2)
    assert mw.rate(s).tolist() == [[[0.5, 0.5, 0.5], [0.0, 0.5, 1.0]]]
    assert mw.predict(s).tolist() == [[0, 0, 1]]  # tie at t=1 -> class 0
    conf = mw(s)
    torch.testing.assert_close(conf[0, :, 2], torch.tensor([0.5, 1.0]) / (1.5 + EPS))
    with pytest.raises(ValueError, match="time_window"):
        classifier.MovingWindow(0)


# ---------------------------------------------------------------- SpikeRate
def test_spike_rate_sum_and_mean():
    s, label = _spikes(), torch.tensor([1, 2])
    # targets [.1, .5, .1] and [.1, .1, .5]; squared errors .0225+.0625+.01 and .01+.01+.25
    expected = 0.0225 + 0.0625 + 0.01 + 0.01 + 0.01 + 0.25
    assert loss.SpikeRate(0.5, 0.1)(s, label).item() == pytest.approx(expected, abs=1e-7)
    assert loss.SpikeRate(0.5, 0.1, reduction="mean")(s, label).item() == pytest.approx(
        expected / 6, abs=1e-7)


def test_spike_rate_gradient_is_2_error_over_T():
    s, label = _spikes().requires_grad_(), torch.tensor([1, 2])
    loss.SpikeRate(0.5, 0.1)(s, label).backward()
    # sample 0 class 1: rate .75, target .5 -> dL/ds[t] = 2 * .25 / 4 at every step
    torch.testing.assert_close(s.grad[0, 1], torch.full((4,), 0.125))
    torch.testing.assert_close(s.grad[1, 2], torch.full((4,), 2 * 0.5 / 4))


def test_spike_rate_moving_window_per_step_labels():
    s, label = _window_case()
    # targets c0 [1,0,0], c1 [0,1,1]: errors c0 [-.5,.5,.5], c1 [0,-.5,0] -> .75 + .25
    assert loss.SpikeRate(1.0, 0.0, moving_window=2)(s, label).item() == pytest.approx(1.0)
    # a per-sample label (N,) applies to every step: label 1 -> c0 [-.5,-.5,-.5]... c1 [1, .5, 0]
    per_sample = loss.SpikeRate(1.0, 0.0, moving_window=2)(s, torch.tensor([1])).item()
    assert per_sample == pytest.approx(3 * 0.25 + 1.0 + 0.25)


def test_spike_rate_rejects_bad_arguments():
    with pytest.raises(ValueError, match="true_rate"):
        loss.SpikeRate(1.5, 0.1)
    with pytest.raises(ValueError, match="reduction"):
        loss.SpikeRate(0.5, 0.1, reduction="max")


# ---------------------------------------------------------------- SpikeMax
def test_spike_max_probability():
    s, label = _spikes(), torch.tensor([1, 2])
    expected = -math.log(0.75 / (1 + EPS) + EPS) - math.log(1 / (1 + EPS) + EPS)
    assert loss.SpikeMax()(s, label).item() == pytest.approx(expected, rel=1e-6)
    assert loss.SpikeMax(reduction="mean")(s, label).item() == pytest.approx(expected / 2, rel=1e-6)


def test_spike_max_silent_label_is_finite():
    s, label = _spikes(), torch.tensor([2, 2])  # sample 0 never fires class 2
    value = loss.SpikeMax()(s, label).item()
    assert value == pytest.approx(-math.log(EPS) - math.log(1 / (1 + EPS) + EPS), rel=1e-6)


def test_spike_max_logsoftmax_is_cross_entropy_on_rates():
    s, label = _spikes(), torch.tensor([1, 2])
    ce0 = -(0.75 - math.log(math.exp(0.25) + math.exp(0.75) + 1))
    ce1 = -(1.0 - math.log(2 + math.exp(1.0)))
    assert loss.SpikeMax(mode="logsoftmax")(s, label).item() == pytest.approx(ce0 + ce1, rel=1e-6)
    softmax = loss.SpikeMax(mode="softmax")(s, label).item()
    assert softmax == pytest.approx(ce0 + ce1, rel=1e-5)


def test_spike_max_moving_window():
    s, label = _window_case()
    # W=2 rates per step: (.5, 0), (.5, .5), (.5, 1); labels 0, 1, 1
    terms = [-(0.5 - math.log(math.exp(0.5) + 1)), -(0.5 - math.log(2 * math.exp(0.5))),
             -(1.0 - math.log(math.exp(0.5) + math.exp(1.0)))]
    value = loss.SpikeMax(moving_window=2, mode="logsoftmax")(s, label).item()
    assert value == pytest.approx(sum(terms), rel=1e-6)


# ---------------------------------------------------------------- SpikeTime
def test_spike_time_first_order():
    out = torch.tensor([[[1.0, 0.0, 0.0]]])
    # h = [1, e^-1, e^-2]: filtered output [1, e^-1, e^-2], desired silent
    expected = 1 + math.exp(-2) + math.exp(-4)
    value = loss.SpikeTime(time_constant=1, length=3)(out, torch.zeros_like(out)).item()
    assert value == pytest.approx(expected, rel=1e-6)
    truncated = loss.SpikeTime(time_constant=1, length=2)(out, torch.zeros_like(out)).item()
    assert truncated == pytest.approx(1 + math.exp(-2), rel=1e-6)


def test_spike_time_second_order_and_difference():
    out = torch.tensor([[[1.0, 0.0, 0.0]]])
    desired = torch.tensor([[[0.0, 1.0, 0.0]]])
    # order 2: h[k] = k e^-k = [0, e^-1, 2 e^-2]
    h = [0.0, math.exp(-1), 2 * math.exp(-2)]
    f_out = [h[0], h[1], h[2]]
    f_des = [0.0, h[0], h[1]]
    expected = sum((a - b) ** 2 for a, b in zip(f_out, f_des))
    value = loss.SpikeTime(time_constant=1, length=3, filter_order=2)(out, desired).item()
    assert value == pytest.approx(expected, rel=1e-6)
    mean = loss.SpikeTime(1, 3, 2, reduction="mean")(out, desired).item()
    assert mean == pytest.approx(expected / 3, rel=1e-6)
    with pytest.raises(ValueError, match="shape"):
        loss.SpikeTime()(out, desired[..., :2])
