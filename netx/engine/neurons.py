"""Neuron groups of the engine's general path (every neuron type netx builds on Lava).

The fused path of :mod:`netx.engine.core` updates all-CUBA networks with one vectorised step.
Any other network runs group by group, and each group here holds its parameters and state
and calls ONE step function of :mod:`netx.fixed_point` per time step (no equation is written
here):

=============  ============================  =======================================
plan kind      Lava process (netx builder)   step
=============  ============================  =======================================
``cuba``,      ``LIF``                       :func:`~netx.fixed_point.cuba_step`
``readout``,                                 (``floating_pt``:
``relay``                                    :func:`~netx.fixed_point.cuba_step_float`)
``alif``       ``ATRLIF``                    :func:`~netx.fixed_point.alif_step`
``delta``      ``Delta`` (SDNN input)        :func:`~netx.fixed_point.delta_step`
``sigma_delta`` ``SigmaDelta``               :func:`~netx.fixed_point.sigma_delta_step`
``sigma``      ``Sigma`` (SDNN readout)      :func:`~netx.fixed_point.sigma_step`
``rf``         ``RF``                        :func:`~netx.fixed_point.rf_step`
``rf_iz``      ``RF_IZ``                     :func:`~netx.fixed_point.rf_iz_step`
=============  ============================  =======================================

States are int64 on Lava's grids (``fixed_pt``); CUBA groups also run Lava's float model
(``floating_pt``, float64).  A group's output is its spikes (bool) or, for sigma-delta
kinds, its graded messages (int64: a ``Delta``/``SigmaDelta`` sends ``delta >>
state_exp``, a ``Sigma`` its running sum).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np
import torch

from .. import fixed_point as fp
from ..support import GRADED_KINDS, NeuronPlan

#: int32 range: ``Delta``/``SigmaDelta`` send an int32 delta shifted right by ``state_exp``;
#: ``Sigma`` sends its int32 sum.
_INT32 = float(2 ** 31)


def _tensor(value: Any, size: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """A scalar or per-neuron parameter as a tensor that broadcasts over ``(B, size)``."""
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    t = torch.as_tensor(arr if arr.size > 1 else arr[:1].copy())
    if t.numel() not in (1, size):
        raise ValueError(f"{t.numel()} parameter values for {size} neurons")
    return t.to(device=device, dtype=dtype)


class Group:
    """One neuron group: ``plan`` (from :func:`netx.support.neuron_plan`), its size, its bias
    mantissas (scalar or per neuron, C, H, W order), ``mode`` and the sigma-delta
    ``spike_exp``."""

    def __init__(self, plan: NeuronPlan, size: int, bias_mant: Any = 0,
                 mode: str = "fixed_pt", spike_exp: int = fp.SD_SPIKE_EXP) -> None:
        self.kind = plan.kind
        self.plan = plan
        self.size = int(size)
        self.fixed = mode == "fixed_pt"
        self.spike_exp = int(spike_exp)
        self.bias_mant = bias_mant
        self.device: Optional[torch.device] = None

    # ------------------------------------------------------------------ description
    @property
    def graded(self) -> bool:
        """Sends graded messages (int64) instead of spikes (bool)."""
        return self.kind in GRADED_KINDS

    @property
    def message_bound(self) -> float:
        """Largest magnitude of what the group sends."""
        if self.kind == "sigma":
            return _INT32
        if self.graded:
            return _INT32 / 2 ** fp.SD_STATE_EXP
        return 1.0

    @property
    def has_bias(self) -> bool:
        """Lava's process has a ``bias_mant`` (bias input mode can drive it)."""
        return self.kind in ("cuba", "readout", "relay", "alif")

    @property
    def resettable(self) -> bool:
        return self.kind in ("cuba", "readout", "relay", "average")

    @property
    def out_dtype(self) -> torch.dtype:
        return torch.int64 if self.graded else torch.bool

    # ------------------------------------------------------------------ setup
    def prepare(self, device: torch.device) -> None:
        """Parameters as tensors on ``device`` (once per device)."""
        if self.device == device:
            return
        p, n = self.plan.params, self.size
        i64 = torch.int64

        def t(value: Any, dtype: torch.dtype = i64) -> torch.Tensor:
            return _tensor(value, n, dtype, device)

        if self.kind in ("cuba", "readout", "relay", "average"):
            if self.fixed:
                self.i_decay, self.v_decay = t(p["i_decay"]), t(p["v_decay"])
                self.vth = fp.threshold(t(p["vth_mant"]))
            else:  # netx's float LIF: Lava's float equations on the x64 grid
                f64 = torch.float64
                self.i_decay = t(p["i_decay"], f64) / fp.DECAY_UNITY
                self.v_decay = t(p["v_decay"], f64) / fp.DECAY_UNITY
                self.vth = t(p["vth_mant"], f64) * 2.0 ** fp.VTH_SHIFT
        elif self.kind == "alif":
            self.alif = {k: t(p[k]) for k in ("i_decay", "v_decay", "th_decay", "ref_decay",
                                              "vth_mant", "vth_step")}
        elif self.kind in ("delta", "sigma_delta"):
            self.vth = fp.sigma_delta_scale(t(p["vth_mant"]), self.spike_exp, fp.SD_STATE_EXP)
        elif self.kind in ("rf", "rf_iz"):
            self.sin_decay, self.cos_decay = t(p["sin_decay"]), t(p["cos_decay"])
            self.vth = fp.threshold(t(p["vth_mant"]))
        self.bias_base = t(self.bias_mant, i64 if self.fixed else torch.float64)
        self.device = device

    def bias(self, bias_mant: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The bias on the state grid, from the group's bias mantissas (or ``bias_mant``,
        e.g. ``(B, n)`` per-sample mantissas of a bias-driven input layer)."""
        b = self.bias_base if bias_mant is None else bias_mant
        if self.kind == "sigma_delta":
            return fp.sigma_delta_scale(b, self.spike_exp, fp.SD_STATE_EXP)
        if self.fixed:
            return fp.scaled_bias(b, 6)
        return b * 64.0

    def zero_state(self, batch: int) -> Any:
        shape, dev = (batch, self.size), self.device
        if self.kind == "alif":
            return fp.alif_zero_state(shape, self.alif["vth_mant"], device=dev)
        if self.kind in ("delta", "sigma_delta"):
            return fp.sigma_delta_zero_state(shape, device=dev)
        if self.kind == "sigma":
            return torch.zeros(shape, dtype=torch.int64, device=dev)
        dtype = torch.int64 if self.fixed else torch.float64
        z = torch.zeros(shape, dtype=dtype, device=dev)
        if self.kind in ("rf", "rf_iz"):
            return fp.RfState(z, z.clone())
        return fp.CubaState(z, z.clone())

    # ------------------------------------------------------------------ dynamics
    def step(self, state: Any, a: torch.Tensor, a_imag: Optional[torch.Tensor],
             bias: torch.Tensor) -> Tuple[Any, torch.Tensor]:
        """One time step: ``a`` the synaptic (real) input of this step (int64 in
        ``fixed_pt``), ``a_imag`` the imaginary input of a complex synapse, ``bias`` from
        :meth:`bias`.  Returns ``(state, output)``."""
        k = self.kind
        if k in ("cuba", "readout", "relay", "average"):
            if self.fixed:
                return fp.cuba_step(state, a, self.i_decay, self.v_decay, self.vth, bias)
            return fp.cuba_step_float(state, a * 2.0 ** fp.ACT_SHIFT, self.i_decay,
                                      self.v_decay, self.vth, bias)
        if k == "alif":
            p = self.alif
            return fp.alif_step(state, a, p["i_decay"], p["v_decay"], p["th_decay"],
                                p["ref_decay"], p["vth_mant"], p["vth_step"], bias)
        if k == "delta":
            return fp.delta_step(state, a, self.vth, self.spike_exp, fp.SD_STATE_EXP)
        if k == "sigma_delta":
            return fp.sigma_delta_step(state, a, self.vth, bias, relu=self.plan.params["relu"],
                                       state_exp=fp.SD_STATE_EXP)
        if k == "sigma":
            sigma = fp.sigma_step(state, a)
            return sigma, sigma
        if a_imag is None:
            a_imag = torch.zeros_like(a)
        step = fp.rf_iz_step if k == "rf_iz" else fp.rf_step
        return step(state, a, a_imag, self.sin_decay, self.cos_decay, self.vth)

    def reset(self, state: Any) -> Any:
        """Lava ``LIFReset``: zero ``u`` and ``v`` (CUBA only)."""
        return fp.CubaState(torch.zeros_like(state.u), torch.zeros_like(state.v))

    def trace(self, state: Any) -> Dict[str, torch.Tensor]:
        """The state to record, named ``u``/``v`` (CUBA current and voltage; ALIF's ``i`` and
        ``v``) or by the Lava process's Var (``theta``, ``r``; ``real``, ``imag``;
        ``sigma``, ``act``, ``residue``)."""
        k = self.kind
        if k == "alif":
            return {"u": state.u, "v": state.v, "theta": state.theta, "r": state.r}
        if k in ("delta", "sigma_delta"):
            return {"sigma": state.sigma, "act": state.act, "residue": state.residue}
        if k == "sigma":
            return {"sigma": state}
        if k in ("rf", "rf_iz"):
            return {"real": state.real, "imag": state.imag}
        return {"u": state.u, "v": state.v}
