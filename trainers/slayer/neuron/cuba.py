"""CUBA-LIF neuron (current-based leaky integrate and fire), lava-dl's ``slayer.neuron.cuba``.

Equations, units and the Loihi mapping are documented in :mod:`.dynamics`; in short, with
``z`` the synapse output (float weights ``w = w_file / 64``)::

    current[t] = (1 - current_decay) * current[t-1] + z[t]
    voltage[t] = (1 - voltage_decay) * voltage[t-1] + current[t]
    spike[t]   = voltage[t] > threshold ;  voltage[t] = 0 after a spike

Two modes share that one definition (:class:`.dynamics.CubaDynamics`):

* ``mode='fixed'`` (default, like lava-dl, whose CUBA neuron always runs on the integer grid):
  the forward pass is Loihi's fixed-point CUBA-LIF (:func:`netx.fixed_point.cuba_step`) on
  ``a = round(z * 64)``, decays ``round(decay * 4096)``, threshold mantissa
  ``round(threshold * 64)``; a layer with 8-bit weights (the default hook) and binary input
  spikes therefore produces bit for bit the spikes and current (``u = current * 4096``) of a
  Lava ``LIF`` (``fixed_pt``) fed the same integer input.  Gradients are straight-through.
* ``mode='float'``: the same recurrence in floating point (fast training, no rounding).

File export (``device_params``): ``type`` b'CUBA', ``iDecay`` / ``vDecay`` (out of 4096, scalar
or per neuron), ``vThMant``, ``refDelay`` 1, ``gradedSpike``, and ``wgtExp`` when the weight
scale is not 64.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple

import torch

from . import base
from .dynamics import CubaConfig, CubaDynamics

Tensor = torch.Tensor

MODES = ("fixed", "float")


class Neuron(base.Neuron):
    """CUBA-LIF neuron layer; input and output ``(N, C..., T)``.

    Args:
        threshold: spike threshold (training units; rounded to a multiple of 1/64).
        current_decay, voltage_decay: decays in [0, 1] (scalar, or per channel with
            ``shared_param=False``); stored as ``decay * 4096``.
        tau_grad, scale_grad, scale, norm, dropout, shared_param, persistent_state,
        requires_grad, graded_spike: see :class:`.base.Neuron`.
        mode: ``'fixed'`` (Loihi fixed-point forward) or ``'float'``.
    """

    device_type = "CUBA"
    decay_names = ("current_decay", "voltage_decay")

    def __init__(self, threshold: float, current_decay: base.ParamLike,
                 voltage_decay: base.ParamLike, tau_grad: float = 1.0, scale_grad: float = 1.0,
                 scale: int = 1 << 6, norm: Optional[Callable[[], torch.nn.Module]] = None,
                 dropout: Optional[base.DropoutLike] = None, shared_param: bool = True,
                 persistent_state: bool = False, requires_grad: bool = False,
                 graded_spike: bool = False, mode: str = "fixed") -> None:
        super().__init__(threshold=threshold, tau_grad=tau_grad, scale_grad=scale_grad,
                         scale=scale, norm=norm, dropout=dropout, shared_param=shared_param,
                         persistent_state=persistent_state, requires_grad=requires_grad,
                         graded_spike=graded_spike)
        self.mode = mode
        self._decay_parameter("current_decay", current_decay)
        self._decay_parameter("voltage_decay", voltage_decay)
        self.register_buffer("current_state", torch.zeros(1), persistent=False)
        self.register_buffer("voltage_state", torch.zeros(1), persistent=False)
        self.register_buffer("output_state", torch.zeros(1), persistent=False)

    @property
    def mode(self) -> str:
        """``'fixed'`` or ``'float'`` (may be switched at any time)."""
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"neuron mode must be one of {MODES}; got {value!r}")
        self._mode = value

    # ------------------------------------------------------------------ dynamics
    def _decay(self, p: Tensor) -> Tensor:
        """Decay used in the forward pass (out of 4096): clamped, rounded in fixed mode (STE)."""
        p = torch.clamp(p, 0, self.p_scale)
        if self.mode == "fixed":
            p = p + (torch.round(p) - p).detach()
        return self._broadcast(p)

    def evolve(self, input: Tensor, spiking: bool = True,
               state: Optional[Tuple[Tensor, Tensor]] = None, delay: bool = False,
               want_current: bool = True
               ) -> Tuple[Tensor, Tensor, Tuple[Tensor, Tensor]]:
        """Run the dynamics over ``input`` ``(N, C..., T)``.

        Args:
            input: synaptic input (training units), time last.
            spiking: threshold and reset (True) or a non-spiking integrator (False).
            state: explicit initial ``(current, voltage)``, each ``(N, C...)``; by default the
                persistent state (if enabled and shape-compatible) or zeros.  With an explicit
                state nothing is stored back.
            delay: delay the output by one step (``out[..., t] = s[..., t-1]``; with a
                persistent state the first step carries the previous call's last output).
            want_current: also return the current sequence (else an empty tensor).

        Returns:
            ``(out, current, (current_T, voltage_T))``: ``out`` the spikes (or voltage when
            not spiking) and ``current`` the current, both ``(N, C..., T)``; the final state.
        """
        z = self._normalize(input)
        self._init_shape(z.shape[1:-1], self.decay_names)
        zt = z.movedim(-1, 0).contiguous()  # (T, N, C...)
        shape = zt.shape[1:]
        if state is None:
            u0 = self._state("current_state", shape, zt)
            v0 = self._state("voltage_state", shape, zt)
            s0 = self._state("output_state", shape, zt) if delay else None
        else:
            u0, v0 = (s.detach().to(zt.dtype) for s in state)
            s0 = None
        pc = self._decay(self.current_decay)
        pv = self._decay(self.voltage_decay)
        beta_c = 1 - pc / self.p_scale
        beta_v = 1 - pv / self.p_scale
        fixed = self.mode == "fixed"
        cfg = CubaConfig(
            theta=self.threshold, tau_rho=self.tau_rho, scale_rho=self.scale_rho, fixed=fixed,
            i_decay=pc.detach().to(torch.int64) if fixed else None,
            v_decay=pv.detach().to(torch.int64) if fixed else None,
            vth_mant=self.v_th_mant, graded=self.graded_spike, spiking=spiking, delay=delay,
            want_current=want_current)
        out, cur, u_last, v_last, s_last = CubaDynamics.apply(zt, beta_c, beta_v, u0, v0, s0,
                                                              cfg)
        if state is None:
            self._keep_state(current_state=u_last, voltage_state=v_last, output_state=s_last)
        current = cur.movedim(0, -1) if want_current else cur
        return out.movedim(0, -1), current, (u_last, v_last)

    def dynamics(self, input: Tensor) -> Tuple[Tensor, Tensor]:
        """Current and voltage ``(N, C..., T)`` of a non-spiking neuron (no threshold/reset)."""
        voltage, current, _ = self.evolve(input, spiking=False)
        return current, voltage

    #: ``forward(input, delay_shift=True)`` fuses the blocks' one-step output delay
    fuses_delay_shift = True

    def forward(self, input: Tensor, delay_shift: bool = False) -> Tensor:
        """Spikes ``(N, C..., T)`` (binary, or graded voltages) for input ``(N, C..., T)``;
        ``delay_shift`` delays them by one step (the blocks' synaptic latency)."""
        spikes, _, _ = self.evolve(input, spiking=True, delay=delay_shift, want_current=False)
        return self._dropout(spikes)

    # ------------------------------------------------------------------ export
    @property
    def cx_current_decay(self):
        """``iDecay``: scalar int, or an int array with one value per neuron (C, H, W order)."""
        return self._per_neuron(self.current_decay)

    @property
    def cx_voltage_decay(self):
        """``vDecay``: scalar int, or an int array with one value per neuron."""
        return self._per_neuron(self.voltage_decay)

    @property
    def device_params(self) -> Dict[str, object]:
        """Neuron group of the ``.net`` file (lava-dl 0.6 keys)."""
        params: Dict[str, object] = {
            "type": self.device_type,
            "iDecay": self.cx_current_decay,
            "vDecay": self.cx_voltage_decay,
            "vThMant": self.v_th_mant,
            "refDelay": 1,
            "gradedSpike": self.graded_spike,
        }
        if self.weight_exponent != 0:
            params["wgtExp"] = self.weight_exponent
        return params
