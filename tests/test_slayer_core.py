"""SLAYER core pieces: quantize hook, delays, synapses, dendrite, block family design."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainers import slayer
from trainers.slayer.utils.quantize import MODE, quantize, quantize_8bit

from helpers import assert_close as _close

CUBA = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03}

pytestmark = pytest.mark.usefixtures("single_thread")


def test_quantize_8bit_values_and_straight_through_gradient():
    w = torch.tensor([0.0, 0.5, 1 / 64, 3 / 64, -0.03, 3.99, 10.0, -10.0, -4.0],
                     requires_grad=True)
    q = quantize_8bit(w)
    # multiples of 2/64, clamped to [-256/64, 254/64]
    np.testing.assert_array_equal((q * 64).detach().numpy(),
                                  [0, 32, 0, 4, -2, 254, 254, -256, -256])
    np.testing.assert_array_equal(quantize_8bit(w, descale=True).detach().numpy(),
                                  [0, 32, 0, 4, -2, 254, 254, -256, -256])
    q.sum().backward()
    # straight-through where the rounded value is in range, zero where clamped (3.99 -> 4)
    np.testing.assert_array_equal(w.grad.numpy(), [1, 1, 1, 1, 1, 0, 0, 0, 1])
    x = torch.tensor([0.26, -0.26, 0.74], requires_grad=True)
    np.testing.assert_allclose(quantize(x, 0.5).detach().numpy(), [0.5, -0.5, 0.5])
    np.testing.assert_allclose(quantize(x, 0.5, MODE.FLOOR).detach().numpy(), [0.0, -0.5, 0.5])
    assert slayer.utils.quantize is quantize


def test_delay_shift_whole_steps_exact():
    x = torch.arange(1.0, 7.0).view(1, 1, 6).repeat(1, 3, 1).requires_grad_()
    y = slayer.axon.delay_shift(x, 2)
    np.testing.assert_array_equal(y[0, 0].detach().numpy(), [0, 0, 1, 2, 3, 4])
    per_neuron = slayer.axon.delay_shift(x, torch.tensor([0.0, 1.0, 3.0]))
    np.testing.assert_array_equal(per_neuron[0].detach().numpy(),
                                  [[1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 4, 5], [0, 0, 0, 1, 2, 3]])
    np.testing.assert_array_equal(slayer.axon.delay_shift(x, -1)[0, 0].detach().numpy(),
                                  [2, 3, 4, 5, 6, 0])
    (y[0, 0] * torch.arange(6.0)).sum().backward()
    # out[t] = x[t-2]: d/dx[k] = k + 2 for k < 4, 0 for the two dropped steps
    np.testing.assert_array_equal(x.grad[0, 0].numpy(), [2, 3, 4, 5, 0, 0])


def test_learnable_delay_interpolates_and_learns():
    d = slayer.axon.Delay(max_delay=62)
    x = torch.zeros(1, 2, 6)
    x[0, :, 1] = 1.0
    y = d(x)
    assert d.delay.shape == (2,)
    with torch.no_grad():
        d.delay[:] = torch.tensor([1.0, 2.5])
    y = d(x)
    np.testing.assert_allclose(y[0].detach().numpy(), [[0, 0, 1, 0, 0, 0],
                                                       [0, 0, 0, 0.5, 0.5, 0]])
    (y[0, 1, 4]).backward()  # out[4] = (1-f) x[2] + f x[1]; d/dd = x[1] - x[2] = 1
    np.testing.assert_allclose(d.delay.grad.numpy(), [0.0, 1.0])


def test_dense_synapse_is_one_matmul_over_time():
    torch.manual_seed(0)
    syn = slayer.synapse.Dense(5, 3)
    x = torch.rand(2, 5, 7)
    y = syn(x)
    ref = torch.einsum("oi,nit->not", syn.weight, x)
    _close(y, ref)
    syn_q = slayer.synapse.Dense(5, 3, pre_hook_fx=quantize_8bit)
    syn_q.weight.data = syn.weight.data.clone()
    _close(syn_q(x), torch.einsum("oi,nit->not", quantize_8bit(syn.weight), x))


def test_conv_and_pool_synapses_apply_per_time_step():
    torch.manual_seed(1)
    x = torch.rand(2, 3, 8, 8, 4)
    conv = slayer.synapse.Conv(3, 5, 3, stride=(1, 2), padding=1)
    y = conv(x)
    for t in range(4):
        ref = torch.nn.functional.conv2d(x[..., t], conv.weight, stride=(1, 2), padding=1)
        _close(y[..., t], ref)
    pool = slayer.synapse.Pool(2)
    p = pool(x)
    _close(p[..., 0], torch.nn.functional.avg_pool2d(x[..., 0], 2) * 4)
    unpool = slayer.synapse.Unpool(2)
    assert unpool(p).shape == x.shape
    convt = slayer.synapse.ConvTranspose(3, 2, 2, stride=2)
    assert convt(x).shape == (2, 2, 16, 16, 4)


def test_sigma_dendrite_accumulates():
    sigma = slayer.dendrite.Sigma(persistent_state=True)
    x = torch.tensor([[[1.0, -2.0, 3.0]]])
    np.testing.assert_array_equal(sigma(x)[0, 0].numpy(), [1, -1, 2])
    np.testing.assert_array_equal(sigma(x)[0, 0].numpy(), [3, 1, 4])


def test_blocks_are_generated_from_one_generic_definition():
    from trainers.slayer.block import base
    for name in ("Input", "Flatten", "Average", "Affine", "Dense", "Conv", "Pool",
                 "Recurrent", "KWTA"):
        cls = getattr(slayer.block.cuba, name)
        assert cls.__bases__ == (getattr(base, name),)
        assert cls.neuron_class is slayer.neuron.cuba.Neuron
        assert cls.__module__ == "trainers.slayer.block.cuba"
    # a family for another neuron type is one call
    class Other(slayer.neuron.cuba.Neuron):
        device_type = "OTHER"
    fam = base.make_family(Other, __name__)
    assert isinstance(fam.Dense(CUBA, 4, 2).neuron, Other)


def test_default_hook_quantizes_and_none_keeps_float():
    torch.manual_seed(2)
    q = slayer.block.cuba.Dense(CUBA, 4, 3)
    f = slayer.block.cuba.Dense(CUBA, 4, 3, pre_hook_fx=None)
    assert q.synapse.pre_hook_fx is not None and f.synapse.pre_hook_fx is None
    w = q.synapse.effective_weight() * 64
    _close(w, torch.round(w / 2) * 2)


def test_count_log_and_average_block():
    block = slayer.block.cuba.Dense(dict(CUBA, threshold=0.1), 4, 6, count_log=True)
    out, count = block(torch.ones(2, 4, 10))
    assert torch.isclose(count, (out != 0).float().mean())
    avg = slayer.block.cuba.Average(num_outputs=2)
    x = torch.arange(12.0).view(1, 6, 2)
    np.testing.assert_array_equal(avg(x)[0].numpy(), [[2, 3], [8, 9]])


def test_small_network_trains_in_fixed_point_mode():
    """A 2-layer CUBA net (8-bit weights, Loihi forward) learns to separate two patterns."""
    torch.manual_seed(3)
    T = 10
    x = torch.zeros(2, 8, T)
    x[0, :4, ::2] = 1
    x[1, 4:, ::2] = 1
    target = torch.tensor([0, 1])
    net = torch.nn.Sequential(
        slayer.block.cuba.Dense(dict(CUBA, requires_grad=True), 8, 16, weight_scale=2),
        slayer.block.cuba.Dense(dict(CUBA, requires_grad=True), 16, 2, weight_scale=2))
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    for _ in range(10):
        rate = net(x).mean(-1)
        loss = torch.nn.functional.cross_entropy(rate * 10, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    rate = net(x).mean(-1).detach()
    assert rate.argmax(1).tolist() == [0, 1]
    assert float(rate[0, 0] - rate[0, 1]) > 0.5 and float(rate[1, 1] - rate[1, 0]) > 0.5


def test_kwta_fixed_lateral_weights_reduce_activity():
    torch.manual_seed(6)
    params = dict(CUBA, threshold=0.5)
    kwta = slayer.block.cuba.KWTA(params, 10, 8, num_winners=2, weight_scale=3)
    w_rec = kwta.recurrent_synapse.weight.detach()
    # self excitation 0.5 * theta, inhibition theta / num_winners, not trained
    np.testing.assert_allclose(torch.diagonal(w_rec).numpy(), 0.25)
    assert float(w_rec[0, 1]) == -0.25 and not kwta.recurrent_synapse.weight.requires_grad
    plain = slayer.block.cuba.Dense(params, 10, 8, weight_scale=3)
    plain.synapse.weight.data = kwta.input_synapse.weight.data.clone()
    x = (torch.rand(4, 10, 40) < 0.6).float()
    assert kwta(x).sum() < 0.8 * plain(x).sum()
