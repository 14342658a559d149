"""lava-dl code that must run unchanged but for its imports: names, keywords and checkpoints
that lava-dl's tutorials use (NMNIST, PilotNet SDNN) and netx's block keywords."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainers import slayer

pytestmark = pytest.mark.usefixtures("single_thread")

NEURON = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03,
          "tau_grad": 0.03, "scale_grad": 3, "requires_grad": True}


def test_dropout_module_in_neuron_params() -> None:
    """NMNIST tutorial: ``{**neuron_params, 'dropout': slayer.neuron.Dropout(p=0.05)}``."""
    drop = slayer.neuron.Dropout(p=0.5)
    block = slayer.block.cuba.Dense({**NEURON, "dropout": drop}, 20, 30, delay_shift=False)
    assert block.neuron.drop is drop
    torch.manual_seed(0)
    x = torch.ones(4, 20, 8)
    quiet = block.neuron.drop(torch.ones(4, 30, 8))
    # a neuron is dropped for the whole sample: each (sample, neuron) row is all 0 or all 2
    assert set(torch.unique(quiet).tolist()) == {0.0, 2.0}
    assert torch.equal(quiet.amin(-1), quiet.amax(-1))
    block.eval()  # identity in eval mode: the same output as a block without dropout
    plain = slayer.block.cuba.Dense(NEURON, 20, 30, delay_shift=False)
    plain.load_state_dict(block.state_dict())
    plain.eval()
    assert torch.equal(block(x), plain(x))


def test_synapse_grad_norm() -> None:
    """NMNIST tutorial's ``grad_flow``: ``[b.synapse.grad_norm for b in self.blocks]``."""
    torch.manual_seed(1)
    for weight_norm in (False, True):
        block = slayer.block.cuba.Dense(NEURON, 20, 30, weight_norm=weight_norm)
        assert block.synapse.grad_norm == 0.0  # no backward pass yet
        x = (torch.rand(3, 20, 16) < 0.5).float()
        block.synapse(x).sum().backward()
        param = (block.synapse.parametrizations.weight.original0 if weight_norm
                 else block.synapse.weight)
        expected = torch.norm(param.grad).item() / param.grad.numel()
        assert expected > 0 and block.synapse.grad_norm == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("make,extra", [
    (lambda: slayer.block.cuba.Dense(NEURON, 20, 30), (1, 1, 1)),
    (lambda: slayer.block.cuba.Dense(NEURON, 20, 30, weight_norm=True), (1, 1, 1)),
    (lambda: slayer.block.cuba.Conv(NEURON, 2, 4, 3), (1,)),
])
def test_lava_dl_checkpoint_with_conv3d_weights_loads(make, extra) -> None:
    """lava-dl's synapses are Conv3d modules: a saved state dict has weights with trailing
    axes of 1 ((out, in, 1, 1, 1) dense, (out, in, kH, kW, 1) conv)."""
    torch.manual_seed(2)
    source = make()
    names = {"parametrizations.weight.original0": "weight_g",  # lava-dl's weight-norm names
             "parametrizations.weight.original1": "weight_v"}
    state = {}
    for k, v in source.state_dict().items():
        for ours, theirs in names.items():
            k = k.replace(ours, theirs)
        state[k] = v.reshape(v.shape + extra) if "synapse" in k and v.dim() >= 2 else v
    assert any(v.dim() >= 5 for v in state.values())
    target = make()
    target.load_state_dict(state)
    for (k, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        assert torch.equal(a, b), k


def test_flatten_has_no_neuron() -> None:
    """PilotNet tutorial counts spiking layers with ``hasattr(block, 'neuron')``."""
    blocks = [slayer.block.sigma_delta.Flatten(), slayer.block.cuba.Flatten()]
    assert [hasattr(b, "neuron") for b in blocks] == [False, False]
    out = blocks[1](torch.ones(2, 3, 4, 5, 6))
    assert out.shape == (2, 60, 6) and tuple(blocks[1].shape) == (60,)


def test_axon_delta_name() -> None:
    assert slayer.axon.Delta is slayer.axon.delta.Delta


def test_surrogate_uses_lava_dl_multipliers() -> None:
    """tau_rho = 100 * tau_grad * threshold, scale_rho = 0.1 * scale_grad."""
    neuron = slayer.neuron.cuba.Neuron(**NEURON)
    assert neuron.tau_rho == pytest.approx(100 * 0.03 * 1.25)
    assert neuron.scale_rho == pytest.approx(0.3)
    # the one-step surrogate seen through autograd (current_decay 1: u = z, v = z)
    one = slayer.neuron.cuba.Neuron(threshold=1.0, current_decay=1.0, voltage_decay=1.0,
                                    tau_grad=0.01, scale_grad=10.0, mode="float")
    z = torch.tensor([[[0.25], [1.5], [3.0]]], requires_grad=True)
    one(z).sum().backward()
    assert torch.allclose(z.grad, torch.exp(-torch.abs(z.detach() - 1.0)))


def test_netx_dense_block_takes_lava_dl_keywords() -> None:
    pytest.importorskip("lava")
    from netx.blocks import process

    weight = np.array([[10, -20, 30], [40, 0, -8]])
    params = process.cuba_neuron_params(4096, 4096, 10)
    block = process.Dense(weight=weight, neuron_params=params, num_weight_bits=8,
                          weight_exponent=2, sparse_synapse=True)
    assert type(block.synapse).__name__ == "LoihiSparse"
    assert (block.synapse.proc_params["weight_exp"],
            block.synapse.proc_params["num_weight_bits"]) == (2, 8)
    with pytest.raises(TypeError, match="not both"):
        process.Dense(weight=weight, weight_exp=1, weight_exponent=2)
    conv = process.Conv(weight=np.ones((2, 3, 3, 1)), input_shape=(5, 5, 1),
                        num_weight_bits=8, weight_exponent=0)
    assert conv.shape == (3, 3, 2)
