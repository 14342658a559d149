"""Adaptive LIF neuron (adaptive threshold and refractory), lava-dl's ``slayer.neuron.alif``.

One step in training units (states are Lava's integers over 4096; decays out of 4096)::

    current[t]  = (1 - current_decay) * current[t-1] + z[t]
    voltage[t]  = (1 - voltage_decay) * voltage[t-1] + current[t]
    theta[t]    = threshold + (1 - threshold_decay) * (theta[t-1] - threshold)
    ref[t]      = (1 - refractory_decay) * ref[t-1]
    spike[t]    = voltage[t] - ref[t] >= theta[t]          (inclusive)
    on a spike:   ref[t] += 2 * theta[t];  theta[t] += threshold_step

The voltage is not reset: the refractory state holds the neuron back.  Fixed mode
(default) is Lava's ``ATRLIF`` fixed_pt model, :func:`netx.fixed_point.alif_step`, bit for bit
for the integer input ``round(z * 64)``; ``mode='float'`` runs the step above in floating
point.  Gradients: see :mod:`.stepwise`.

Export (``device_params``): ``type`` b'ALIF', CUBA keys (``iDecay``, ``vDecay``, ``vThMant``,
``refDelay``, ``gradedSpike``, [``wgtExp``]) plus ``thDecay``, ``refDecay`` (out of 4096) and
``vThStep = threshold_step * 64``.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple

import torch

from netx import fixed_point as fxp

from . import base
from .stepwise import STATE_SCALE, StepNeuron, snap, to_grid, to_input

Tensor = torch.Tensor


class Neuron(StepNeuron):
    """Adaptive-threshold LIF layer; input and output ``(N, C..., T)``.

    Args:
        threshold: resting threshold (training units; multiple of 1/64).
        threshold_step: threshold increase per spike (training units; multiple of 1/64).
        current_decay, voltage_decay, threshold_decay, refractory_decay: decays in [0, 1]
            (scalar, or per channel with ``shared_param=False``), stored as ``decay * 4096``.
        tau_grad, scale_grad, scale, norm, dropout, shared_param, persistent_state,
        requires_grad, graded_spike: see :class:`.base.Neuron`.
        mode: ``'fixed'`` (Loihi fixed point, default) or ``'float'``.
    """

    device_type = "ALIF"
    decay_names = ("current_decay", "voltage_decay", "threshold_decay", "refractory_decay")

    def __init__(self, threshold: float, threshold_step: float,
                 current_decay: base.ParamLike, voltage_decay: base.ParamLike,
                 threshold_decay: base.ParamLike, refractory_decay: base.ParamLike,
                 tau_grad: float = 1.0, scale_grad: float = 1.0, scale: int = 1 << 6,
                 norm: Optional[Callable[[], torch.nn.Module]] = None,
                 dropout: Optional[base.DropoutLike] = None, shared_param: bool = True,
                 persistent_state: bool = False, requires_grad: bool = False,
                 graded_spike: bool = False, mode: str = "fixed") -> None:
        super().__init__(threshold=threshold, tau_grad=tau_grad, scale_grad=scale_grad,
                         scale=scale, norm=norm, dropout=dropout, shared_param=shared_param,
                         persistent_state=persistent_state, requires_grad=requires_grad,
                         graded_spike=graded_spike, mode=mode)
        self.threshold_step = float(round(float(threshold_step) * 64) / 64)
        self._decay_parameter("current_decay", current_decay)
        self._decay_parameter("voltage_decay", voltage_decay)
        self._decay_parameter("threshold_decay", threshold_decay)
        self._decay_parameter("refractory_decay", refractory_decay)

    # ------------------------------------------------------------------ dynamics
    def _initial_state(self, like: Tensor) -> Tuple[Tensor, ...]:
        zero = torch.zeros_like(like)
        return zero, zero.clone(), zero + self.threshold, zero.clone()

    def _step_params(self) -> Dict[str, object]:
        p = {name: self._decay(getattr(self, name)) for name in self.decay_names}
        if self.fixed:
            p.update({f"int_{name}": self._int(p[name]) for name in self.decay_names})
        return p

    def _step(self, z: Tensor, state: Tuple[Tensor, ...], p: Dict[str, object],
              spiking: bool) -> Tuple[Tensor, Tuple[Tensor, ...]]:
        u, v, th, r = state
        one = self.p_scale
        th0 = self.threshold
        u1 = (1 - p["current_decay"] / one) * u + z
        v1 = (1 - p["voltage_decay"] / one) * v + u1
        th1 = th0 + (1 - p["threshold_decay"] / one) * (th - th0)
        r1 = (1 - p["refractory_decay"] / one) * r
        exact = None
        if self.fixed:
            prev = fxp.AlifState(to_grid(u), to_grid(v), to_grid(th), to_grid(r))
            vth_step = self.threshold_step_mant if spiking else 0
            vth = self.v_th_mant if spiking else 1 << 40
            # the step before the spike decision, then the spike/adaptation of alif_step
            new, fired = fxp.alif_step(prev, to_input(z), p["int_current_decay"],
                                       p["int_voltage_decay"], p["int_threshold_decay"],
                                       p["int_refractory_decay"], vth, vth_step)
            scale = 1.0 / STATE_SCALE
            u1 = snap(u1, new.u * scale)
            v1 = snap(v1, new.v * scale)
            if spiking:
                # theta/ref before the spike update (the update is re-applied below)
                th_pre = torch.where(fired, new.theta - fxp.threshold(vth_step), new.theta)
                r_pre = torch.where(fired, new.r - 2 * th_pre, new.r)
                th1 = snap(th1, th_pre * scale)
                r1 = snap(r1, r_pre * scale)
                exact = fired
        if not spiking:
            return v1, (u1, v1, th, r)
        s = self._spike(v1 - r1 - th1, exact, inclusive=True)
        fired = s.detach()
        r2 = r1 + 2 * th1 * fired
        th2 = th1 + self.threshold_step * fired
        out = v1 * s if self.graded_spike else s
        return out, (u1, v1, th2, r2)

    # ------------------------------------------------------------------ export
    @property
    def threshold_step_mant(self) -> int:
        """``vThStep`` (threshold step times 64)."""
        return int(round(self.threshold_step * 64))

    @property
    def device_params(self) -> Dict[str, object]:
        """Neuron group of the ``.net`` file (``ALIF`` keys)."""
        params: Dict[str, object] = {
            "type": self.device_type,
            "iDecay": self._per_neuron(self.current_decay),
            "vDecay": self._per_neuron(self.voltage_decay),
            "thDecay": self._per_neuron(self.threshold_decay),
            "refDecay": self._per_neuron(self.refractory_decay),
            "vThMant": self.v_th_mant,
            "vThStep": self.threshold_step_mant,
            "refDelay": 1,
            "gradedSpike": self.graded_spike,
        }
        if self.weight_exponent != 0:
            params["wgtExp"] = self.weight_exponent
        return params
