"""The speed paths give exactly the results of the reference paths they replace.

* :func:`netx.fixed_point.cuba_step_f64_` with a float spike output, a scratch buffer and the
  engine's hints equals :func:`netx.fixed_point.cuba_step` (int64), wrap included.
* The SLAYER CUBA neuron's fixed-point forward on float64 buffers equals its int64
  ``cuba_step`` path: spikes, current, final state and input gradients, bit for bit.
"""

from __future__ import annotations

import pytest
import torch

from netx import fixed_point as fp
from trainers.slayer.neuron import dynamics
from trainers.slayer.neuron.cuba import Neuron


def test_cuba_step_f64_float_spikes_work_and_hints_match_cuba_step():
    g = torch.Generator().manual_seed(3)
    shape = (4, 30)
    for trial in range(40):
        u = torch.randint(-2 ** 23 + 1, 2 ** 23, shape, generator=g)
        v = torch.randint(-2 ** 23 + 1, 2 ** 23, shape, generator=g)
        a = torch.randint(-2 ** 18 + 1, 2 ** 18, shape, generator=g)
        di = torch.randint(0, 4097, (30,), generator=g)
        di[:10] = 4096  # no decayed current in the first 10 columns (hint below)
        dv = torch.randint(0, 4097, (30,), generator=g)
        vth = fp.threshold(torch.randint(0, 2 ** 17, (30,), generator=g))
        bias = 0 if trial % 2 else fp.scaled_bias(torch.randint(-4096, 4096, (30,),
                                                                generator=g), 6)
        state, s = fp.cuba_step(fp.CubaState(u, v), a, di, dv, vth, bias)
        uf, vf = u.double(), v.double()
        spikes = torch.empty(shape, dtype=torch.float32)
        work = torch.empty(shape, dtype=torch.float64)
        fp.cuba_step_f64_(uf, vf, a.double(), fp.keep_factor(di), fp.keep_factor(dv),
                          vth.double(), bias if trial % 2 else bias.double(), spikes,
                          [slice(10, 30)] if trial % 3 else None, None, work)
        assert torch.equal(uf.long(), state.u) and torch.equal(vf.long(), state.v)
        assert torch.equal(spikes, s.float())


def _evolve(neuron: Neuron, z: torch.Tensor, spiking: bool):
    z = z.clone().requires_grad_(True)
    out, cur, (u_t, v_t) = neuron.evolve(z, spiking=spiking, delay=True)
    g = torch.linspace(-1, 1, out.numel()).reshape(out.shape)
    (out * g).sum().backward()
    return out.detach(), cur.detach(), u_t, v_t, z.grad


@pytest.mark.parametrize("case", range(6))
def test_fixed_neuron_f64_path_equals_int64_path(monkeypatch, case):
    torch.manual_seed(case)
    # (N, C, T); z on the 1/64 grid for half the cases (8-bit weights, binary spikes)
    z = torch.randn(3, 20, 40) * [0.3, 2.0, 30.0][case % 3]
    if case % 2:
        z = torch.round(z * 64) / 64
    if case == 2:  # positive input, no current decay: the 24-bit current wraps
        z = z.abs() * 3
    decay = ([0.0] * 20 if case == 2 else torch.rand(20).tolist())  # case 2: wraps
    v_decay = torch.rand(20).tolist()
    spiking = case != 4
    plan = dynamics._fixed_f64_plan
    results = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(dynamics, "_fixed_f64_plan", lambda *args: None)
        neuron = Neuron(1.0, decay, v_decay, mode="fixed", shared_param=False)
        results.append(_evolve(neuron, z, spiking))
    # the fast path was taken (the input is within its exactness bound)
    assert plan(z.movedim(-1, 0).contiguous(), torch.zeros(()),
                dynamics.CubaConfig(1.0, fixed=True, i_decay=torch.tensor(0))) is not None
    for fast_value, ref_value in zip(*results):
        assert torch.equal(fast_value, ref_value)
    if case == 2:  # the current really wrapped: negative although every input is positive
        assert float(results[1][1].max()) * 4096 > 2 ** 22
        assert float(results[1][1].min()) < 0
