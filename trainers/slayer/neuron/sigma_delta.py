"""Sigma-delta neuron (SDNN), lava-dl's ``slayer.neuron.sigma_delta``.

A sigma-delta layer receives *changes* (deltas) and sends changes::

    sigma[t] = sigma[t-1] + z[t]                   (dendrite: :class:`..dendrite.Sigma`)
    act[t]   = activation(norm(sigma[t]))          (relu, identity, or any torch function)
    out[t]   = delta_encode(act)[t]                (:mod:`..axon_delta`: send the change once
                                                    |change| >= threshold, keep the residue)

Three roles (chosen by the blocks of :mod:`..block.sigma_delta`):

* hidden layers: the full sigma -> activation -> delta (Lava ``SigmaDelta``);
* the network input (``Input`` block): delta only, the input is the activation (Lava
  ``Delta``);
* the readout (``Output`` block, ``sigma_output``): sigma only, the output is the
  reconstructed value (Lava ``Sigma``).

Units: training units as the other neurons (float weights ``w = w_file / 64``).  Lava's data
unit is 1/64 of a training unit (``vThMant = threshold * 64``, bias mantissa
``= bias * 64``), and its sigma-delta states carry ``spike_exp + state_exp = 12`` more
fraction bits, so ``mode='fixed'`` (default) keeps ``sigma`` and ``act`` as integers over
``2**18`` and sends messages on the ``1/4096`` grid: bit exact with
:func:`netx.fixed_point.sigma_delta_step` / ``delta_step`` / ``sigma_step`` for
``a_in = round(z * 2**18)`` (exact when the weights are 8-bit quantized, the inputs are
messages of the previous layer, and sums stay below 2**24 in float32).  Fixed mode supports
the ``relu`` and ``identity`` activations (Lava's).  ``mode='float'`` runs the same equations
without rounding.  Gradients are straight-through for the delta encoder (see
:mod:`..axon_delta`) and exact for sigma and the activation.

Export (``device_params``): ``type`` b'SDNN', ``activation`` (function name), ``vThMant``,
``messageBits`` (graded messages, default 16) and ``sigma_output`` on the readout.
"""

from __future__ import annotations

import warnings
from typing import Callable, Dict, Optional, Tuple, Union

import torch
import torch.nn.functional as F

from netx import fixed_point as fxp

from .. import axon_delta
from . import base

Tensor = torch.Tensor

MODES = ("fixed", "float")
#: activations Lava's SigmaDelta runs (fixed mode)
FIXED_ACTIVATIONS = ("relu", "identity")


def _identity(x: Tensor) -> Tensor:
    return x


_identity.__name__ = "identity"

ACTIVATIONS: Dict[str, Callable[[Tensor], Tensor]] = {"relu": F.relu, "identity": _identity}


class Neuron(base.Neuron):
    """Sigma-delta layer; input and output ``(N, C..., T)`` (deltas in, deltas out).

    Args:
        threshold: delta threshold (training units; rounded to 1/64 in fixed mode); a
            learnable scalar when ``requires_grad``.
        activation: callable (e.g. ``torch.nn.functional.relu``) or name (``'relu'``,
            ``'identity'``); ``None`` = identity.
        tau_grad, scale_grad: surrogate of the threshold gradient.
        scale: weight scale (default 64).
        norm, dropout, shared_param, persistent_state, requires_grad: as
            :class:`.base.Neuron` (the threshold is one value per layer whatever
            ``shared_param``, as Lava's SigmaDelta holds one).
        message_bits: ``messageBits`` written to the file (graded messages; 16).
        mode: ``'fixed'`` or ``'float'``; by default ``'fixed'`` for the activations Lava
            runs (relu, identity) and ``'float'`` for any other (it trains, as in lava-dl,
            but netx cannot deploy it: a warning says so).
        cum_error: lava-dl's cumulative-error delta encoder; only ``False`` is available.
    """

    device_type = "SDNN"
    decay_names: Tuple[str, ...] = ()
    fuses_delay_shift = False

    def __init__(self, threshold: float,
                 activation: Union[None, str, Callable[[Tensor], Tensor]] = F.relu,
                 tau_grad: float = 1.0, scale_grad: float = 1.0, scale: int = 1 << 6,
                 norm: Optional[Callable[[], torch.nn.Module]] = None,
                 dropout: Optional[base.DropoutLike] = None, shared_param: bool = True,
                 persistent_state: bool = False, requires_grad: bool = False,
                 message_bits: int = 16, mode: Optional[str] = None,
                 cum_error: bool = False) -> None:
        if cum_error:
            raise ValueError("cum_error=True (cumulative-error delta encoding) is not "
                             "available; use the default cum_error=False")
        super().__init__(threshold=threshold, tau_grad=tau_grad, scale_grad=scale_grad,
                         scale=scale, norm=norm, dropout=dropout, shared_param=shared_param,
                         persistent_state=persistent_state, requires_grad=requires_grad,
                         graded_spike=True)
        if activation is None:
            activation = _identity
        if isinstance(activation, str):
            if activation not in ACTIVATIONS:
                raise ValueError(f"unknown SDNN activation {activation!r}; "
                                 f"known: {sorted(ACTIVATIONS)}")
            activation = ACTIVATIONS[activation]
        self.activation = activation
        if mode is None:
            mode = "fixed" if self.activation_name in FIXED_ACTIVATIONS else "float"
            if mode == "float":
                warnings.warn(f"SDNN activation {self.activation_name!r} has no fixed-point "
                              f"model (Lava runs {FIXED_ACTIVATIONS}): training in "
                              "mode='float'; netx will refuse to deploy it", stacklevel=2)
        self.message_bits = int(message_bits)
        self.sigma_output = False  # set by the Output block
        self.delta_only = False    # set by the Input block
        self.delta = axon_delta.Delta(threshold, tau_grad, scale_grad, persistent_state,
                                      requires_grad, mode)
        self.mode = mode
        self._sigma: Optional[Tensor] = None

    # ------------------------------------------------------------------ attributes
    @property
    def threshold(self) -> float:
        """Delta threshold (training units, float; the parameter is ``delta.threshold``)."""
        delta = self._modules.get("delta") if "_modules" in self.__dict__ else None
        if delta is None:
            return self._initial_threshold
        return float(delta.threshold.detach())

    @threshold.setter
    def threshold(self, value: float) -> None:
        delta = self._modules.get("delta") if "_modules" in self.__dict__ else None
        if delta is None:
            self._initial_threshold = float(value)
        else:
            with torch.no_grad():
                delta.threshold.fill_(float(value))

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"neuron mode must be one of {MODES}; got {value!r}")
        if value == "fixed" and self.activation_name not in FIXED_ACTIVATIONS:
            raise ValueError(f"SDNN activation {self.activation_name!r} has no fixed-point "
                             f"model (only {FIXED_ACTIVATIONS}); use mode='float'")
        self._mode = value
        self.delta.mode = value

    @property
    def activation_name(self) -> str:
        name = getattr(self.activation, "__name__", type(self.activation).__name__)
        return name.lower()

    @property
    def v_th_mant(self) -> int:
        return int(round(self.threshold * 64))

    # ------------------------------------------------------------------ dynamics
    def _sigma_sum(self, z: Tensor) -> Tensor:
        """Running sum over time (persistent across calls when enabled); fixed mode on the
        ``2**18`` grid (int32 wrap as Lava), STE."""
        start = self._sigma if (self.persistent_state and self._sigma is not None
                                and self._sigma.shape == z.shape[:-1]) else None
        total = torch.cumsum(z, dim=-1)
        if start is not None:
            total = total + start.unsqueeze(-1)
        if self.mode == "fixed":
            a = torch.round(z.detach() * axon_delta.ACT_SCALE).to(torch.int64)
            exact = torch.cumsum(a, dim=-1)
            if start is not None:
                exact = exact + torch.round(start * axon_delta.ACT_SCALE).to(torch.int64
                                                                             ).unsqueeze(-1)
            exact = fxp.wrap_int32(exact).to(z.dtype) / axon_delta.ACT_SCALE
            total = total + (exact - total).detach()
        if self.persistent_state and z.shape[-1]:
            self._sigma = total[..., -1].detach()
        return total

    def forward(self, input: Tensor) -> Tensor:
        """Deltas out ``(N, C..., T)`` for deltas in (or the activation itself for an input
        neuron; the reconstructed sum for a ``sigma_output`` readout)."""
        self._init_shape(input.shape[1:-1], ())
        if self.delta_only:
            return self._dropout(self.delta(input))
        sigma = self._sigma_sum(input)
        if self.sigma_output:
            return sigma
        act = self.activation(self._normalize(sigma))
        return self._dropout(self.delta(act))

    def reset_state(self) -> None:
        self._sigma = None
        self.delta.reset_state()

    # ------------------------------------------------------------------ export
    @property
    def device_params(self) -> Dict[str, object]:
        """Neuron group of the ``.net`` file (SDNN keys)."""
        params: Dict[str, object] = {
            "type": self.device_type,
            "activation": self.activation_name,
            "vThMant": self.v_th_mant,
            "messageBits": self.message_bits,
        }
        if self.sigma_output:
            params["sigma_output"] = True
        return params
