"""Resonate-and-fire neurons (RF, RF-Izhikevich, adaptive ADRF / ADRF-Izhikevich): one
definition shared by ``rf``, ``rf_iz``, ``adrf`` and ``adrf_iz``.

State: a complex value ``(real, imag)`` in training units (Lava's integers over 4096).
With ``decay`` in [0, 1] (stored x4096) and ``frequency = 1 / period`` (cycles per step)::

    sin_decay = (4096 - decay) * sin(2 pi frequency)     (file key sinDecay, rounded)
    cos_decay = (4096 - decay) * cos(2 pi frequency)     (file key cosDecay, rounded)
    real[t] = (cos_decay * real[t-1] - sin_decay * imag[t-1]) / 4096 + z_real[t]
    imag[t] = (sin_decay * real[t-1] + cos_decay * imag[t-1]) / 4096 + z_imag[t]

``z`` is the synaptic input: a real tensor drives the real part only (plain synapses), a
complex tensor (``slayer.synapse.complex``) drives both.  Spikes:

* ``RF_PHASE`` (``rf``): ``real[t] >= threshold`` while ``imag`` crosses zero upward
  (``imag[t] >= 0 > imag[t-1]``); no reset.
* ``RF_IZHIKEVICH`` (``rf_iz``): ``imag[t] >= threshold``; then ``real = 0`` and
  ``imag = threshold - 1/4096`` (Lava's ``vth - 1``).
* ``ADRF_*`` (``adrf``, ``adrf_iz``): the tested part minus a refractory state ``ref``
  against an adaptive threshold ``theta`` (as :mod:`.alif`): ``theta`` relaxes to
  ``threshold`` by ``threshold_decay``, ``ref`` decays by ``refractory_decay``, a spike adds
  ``2 theta`` to ``ref`` and ``threshold_step`` to ``theta``; no resonator reset.

Fixed mode (default) is bit exact with :func:`netx.fixed_point.rf_step`, ``rf_iz_step`` and
``adrf_step`` for the integer input ``round(z * 64)``; ``mode='float'`` runs the same step in
floating point.  The spike surrogate is taken on the tested part's distance to the threshold
(the phase-crossing condition is a constant mask).

Export: ``type``, ``sinDecay``, ``cosDecay`` (integers; scalar or per neuron), ``vThMant``,
``gradedSpike`` (+ ``thDecay``, ``refDecay``, ``vThStep`` for ADRF).
"""

from __future__ import annotations

import math
from typing import Callable, Dict, Optional, Tuple, Union

import numpy as np
import torch

from netx import fixed_point as fxp

from ..spike_complex import phase_cross
from . import base
from .stepwise import STATE_SCALE, StepNeuron, snap, to_grid, to_input

Tensor = torch.Tensor


class ResonatorNeuron(StepNeuron):
    """Generic resonate-and-fire layer; use :mod:`.rf`, :mod:`.rf_iz`, :mod:`.adrf` or
    :mod:`.adrf_iz`.  Input ``(N, C..., T)`` real or complex, output ``(N, C..., T)``.

    Args:
        threshold: spike threshold (training units; multiple of 1/64).
        period: oscillation period in steps (scalar, or per channel with
            ``shared_param=False``); learnt as ``frequency = 1 / period``.
        decay: amplitude decay per step in [0, 1], stored x4096.
        threshold_step, threshold_decay, refractory_decay: adaptive variants only.
        tau_grad, scale_grad, scale, norm, dropout, shared_param, persistent_state,
        requires_grad, graded_spike: see :class:`.base.Neuron`.
        mode: ``'fixed'`` (Loihi fixed point, default) or ``'float'``.
    """

    izhikevich = False
    adaptive = False
    complex_input = True

    def __init__(self, threshold: float, period: base.ParamLike, decay: base.ParamLike,
                 threshold_step: float = 0.0, threshold_decay: base.ParamLike = 0.0,
                 refractory_decay: base.ParamLike = 0.0, tau_grad: float = 1.0,
                 scale_grad: float = 1.0, scale: int = 1 << 6,
                 norm: Optional[Callable[[], torch.nn.Module]] = None,
                 dropout: Optional[base.DropoutLike] = None, shared_param: bool = True,
                 persistent_state: bool = False, requires_grad: bool = False,
                 graded_spike: bool = False, mode: str = "fixed") -> None:
        super().__init__(threshold=threshold, tau_grad=tau_grad, scale_grad=scale_grad,
                         scale=scale, norm=norm, dropout=dropout, shared_param=shared_param,
                         persistent_state=persistent_state, requires_grad=requires_grad,
                         graded_spike=graded_spike, mode=mode)
        period_arr = np.asarray(period, dtype=np.float64).reshape(-1)
        if (period_arr <= 0).any():
            raise ValueError(f"RF period must be positive; got {period}")
        freq = torch.as_tensor(1.0 / period_arr, dtype=torch.float32)
        if self.shared_param and freq.numel() != 1:
            raise ValueError("period: shared_param=True needs a scalar")
        self.frequency = torch.nn.Parameter(freq, requires_grad=self.requires_grad)
        self._decay_parameter("decay", decay)
        names = ["frequency", "decay"]
        if self.adaptive:
            self.threshold_step = float(round(float(threshold_step) * 64) / 64)
            self._decay_parameter("threshold_decay", threshold_decay)
            self._decay_parameter("refractory_decay", refractory_decay)
            names += ["threshold_decay", "refractory_decay"]
        self.decay_names = tuple(names)

    # ------------------------------------------------------------------ parameters
    def _sin_cos(self) -> Tuple[Tensor, Tensor]:
        """``(sin_decay, cos_decay)`` out of 4096 (float tensors, differentiable)."""
        keep = self.p_scale - torch.clamp(self.decay, 0, self.p_scale)
        angle = 2 * math.pi * self.frequency
        return keep * torch.sin(angle), keep * torch.cos(angle)

    def _step_params(self) -> Dict[str, object]:
        sin_d, cos_d = self._sin_cos()
        if self.fixed:
            sin_d = sin_d + (torch.round(sin_d) - sin_d).detach()
            cos_d = cos_d + (torch.round(cos_d) - cos_d).detach()
        p: Dict[str, object] = {"sin": self._broadcast(sin_d), "cos": self._broadcast(cos_d)}
        if self.adaptive:
            p["threshold_decay"] = self._decay(self.threshold_decay)
            p["refractory_decay"] = self._decay(self.refractory_decay)
        if self.fixed:
            for name in list(p):
                p[f"int_{name}"] = self._int(p[name])
        return p

    def _initial_state(self, like: Tensor) -> Tuple[Tensor, ...]:
        zero = torch.zeros_like(like)
        if self.adaptive:
            return zero, zero.clone(), zero + self.threshold, zero.clone()
        return zero, zero.clone()

    # ------------------------------------------------------------------ one step
    def _step(self, z: Tensor, state: Tuple[Tensor, ...], p: Dict[str, object],
              spiking: bool) -> Tuple[Tensor, Tuple[Tensor, ...]]:
        re, im = state[0], state[1]
        z_re, z_im = (z.real, z.imag) if z.is_complex() else (z, None)
        one = self.p_scale
        sin_d, cos_d = p["sin"], p["cos"]
        re1 = (cos_d * re - sin_d * im) / one + z_re
        im1 = (sin_d * re + cos_d * im) / one
        if z_im is not None:
            im1 = im1 + z_im
        th1 = r1 = None
        if self.adaptive:
            th, r = state[2], state[3]
            th1 = self.threshold + (1 - p["threshold_decay"] / one) * (th - self.threshold)
            r1 = (1 - p["refractory_decay"] / one) * r
        exact = None
        scale = 1.0 / STATE_SCALE
        if self.fixed:
            a_re = to_input(z_re)
            a_im = to_input(z_im) if z_im is not None else torch.zeros_like(a_re)
            prev = fxp.RfState(to_grid(re), to_grid(im))
            new = fxp.rf_rotate(prev, a_re, a_im, p["int_sin"], p["int_cos"])
            re1 = snap(re1, new.real * scale)
            im1 = snap(im1, new.imag * scale)
            if spiking:
                exact = self._exact_spikes(prev, state, a_re, a_im, p)
                if self.adaptive:
                    exact, th_pre, r_pre = exact
                    th1 = snap(th1, th_pre * scale)
                    r1 = snap(r1, r_pre * scale)
        if not spiking:
            return re1, (re1, im1) + tuple(state[2:])
        tested = im1 if self.izhikevich else re1
        if self.adaptive:
            s = self._spike(tested - r1 - th1, exact, inclusive=True)
        else:
            s = self._spike(tested - self.threshold, exact, inclusive=True)
        if not self.izhikevich:  # phase condition: imaginary part crosses zero upward
            s = s * phase_cross(im1, im)
        fired = s.detach()
        out = tested * s if self.graded_spike else s
        if self.adaptive:
            return out, (re1, im1, th1 + self.threshold_step * fired, r1 + 2 * th1 * fired)
        if self.izhikevich:  # reset: real 0, imag threshold - 1/4096
            keep = 1 - fired
            re1 = re1 * keep
            im1 = im1 * keep + (self.threshold - 1.0 / STATE_SCALE) * fired
        return out, (re1, im1)

    def _exact_spikes(self, prev: fxp.RfState, state: Tuple[Tensor, ...], a_re: Tensor,
                      a_im: Tensor, p: Dict[str, object]):
        """Fixed-point spikes of this step from :mod:`netx.fixed_point` (for the adaptive
        variants also theta and ref before the spike update)."""
        if self.adaptive:
            st = fxp.AdrfState(prev.real, prev.imag, to_grid(state[2]), to_grid(state[3]))
            nxt, fired = fxp.adrf_step(st, a_re, a_im, p["int_sin"], p["int_cos"],
                                       p["int_threshold_decay"], p["int_refractory_decay"],
                                       self.v_th_mant, self.threshold_step_mant,
                                       izhikevich=self.izhikevich)
            th_pre = torch.where(fired, nxt.theta - fxp.threshold(self.threshold_step_mant),
                                 nxt.theta)
            r_pre = torch.where(fired, nxt.r - 2 * th_pre, nxt.r)
            return fired, th_pre, r_pre
        vth = fxp.threshold(self.v_th_mant)
        step = fxp.rf_iz_step if self.izhikevich else fxp.rf_step
        _, fired = step(prev, a_re, a_im, p["int_sin"], p["int_cos"], vth)
        return fired

    # ------------------------------------------------------------------ export
    @property
    def threshold_step_mant(self) -> int:
        """``vThStep`` (threshold step times 64; adaptive variants)."""
        return int(round(getattr(self, "threshold_step", 0.0) * 64))

    def _per_neuron_signed(self, p: Tensor) -> Union[int, np.ndarray]:
        values = torch.round(p.detach()).to(torch.int64).cpu().reshape(-1)
        if values.numel() == 1:
            return int(values[0])
        shape = tuple(self.shape) if self.shape is not None else (values.numel(),)
        full = values.reshape((-1,) + (1,) * (len(shape) - 1)).expand(shape)
        return full.reshape(-1).numpy().copy()

    @property
    def device_params(self) -> Dict[str, object]:
        """Neuron group of the ``.net`` file."""
        sin_d, cos_d = self._sin_cos()
        params: Dict[str, object] = {
            "type": self.device_type,
            "sinDecay": self._per_neuron_signed(sin_d),
            "cosDecay": self._per_neuron_signed(cos_d),
            "vThMant": self.v_th_mant,
            "gradedSpike": self.graded_spike,
        }
        if self.adaptive:
            params["thDecay"] = self._per_neuron(self.threshold_decay)
            params["refDecay"] = self._per_neuron(self.refractory_decay)
            params["vThStep"] = self.threshold_step_mant
        if self.weight_exponent != 0:
            params["wgtExp"] = self.weight_exponent
        return params
