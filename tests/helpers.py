"""Small helpers shared by several test modules (imported as ``helpers``: pytest puts
``tests/`` on ``sys.path``)."""

from __future__ import annotations

import numpy as np


def assert_close(actual, expected, rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """``np.testing.assert_allclose`` on tensors (cheaper to import than torch.testing)."""
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(),
                               rtol=rtol, atol=atol)


def after_conv(case: str, neuron) -> tuple:
    """``(conv layer (2, 4, 4), layer)`` where the second layer is a kind neither the Lava
    builder nor the engine runs: ``case`` is ``'convT'``, ``'unpool'`` or ``'concat'``."""
    from netx import spec
    first = spec.ConvLayer(shape=(2, 4, 4), neuron=neuron, kernel_size=(1, 1),
                           weight=np.ones((2, 1, 1, 1), np.float32))
    if case == "convT":
        layer = spec.ConvTransposeLayer(shape=(2, 4, 4), neuron=neuron, kernel_size=(1, 1),
                                        weight=np.ones((2, 2, 1, 1), np.float32))
    elif case == "unpool":
        layer = spec.UnpoolLayer(shape=(2, 8, 8), neuron=neuron, kernel_size=(2, 2),
                                 stride=(2, 2))
    else:
        layer = spec.ConcatLayer(shape=(4, 4, 4))
    return first, layer


def warm_up(net, x, steps: int = 3, lr: float = 0.02) -> None:
    """A few Adam steps pulling the mean output of ``net(x)`` towards 0.2, so that trained
    (not freshly initialised) weights and neuron parameters get exported."""
    import torch
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        loss = (net(x).mean() - 0.2) ** 2
        opt.zero_grad()
        loss.backward()
        opt.step()
