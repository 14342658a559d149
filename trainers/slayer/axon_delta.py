"""Delta encoder (lava-dl's ``slayer.axon.delta``), exposed as ``slayer.axon.delta``.

Sends the change of an activation once it is large enough.  Per step, in training units::

    delta[t]  = act[t] - act[t-1] + residue[t-1]
    out[t]    = delta[t] if |delta[t]| >= threshold else 0          (inclusive, as Lava)
    residue[t] = delta[t] - out[t]

so ``sum_{k <= t} out[k] = act[t] - residue[t]`` tracks the activation within the threshold.

Fixed mode (``mode='fixed'``) is Lava's ``Delta`` / ``SigmaDelta`` encoder on its scaled grid
(:func:`netx.fixed_point.delta_encode`, ``state_exp = spike_exp = 6``): an activation ``y`` in
training units is the integer ``y * 2**18`` (Lava's data unit is 1/64 of a training unit, like
the weights), the threshold is ``vThMant << 12`` with ``vThMant = threshold * 64``, and the
message put on the wire is ``out >> 6`` (floor), i.e. ``out * 4096`` in training units.

Gradient (straight-through): ``d out[t] / d act`` is that of ``act[t] - act[t-1]`` (the sums
of the outputs follow the activation).  A learnable threshold gets the surrogate
``d out / d threshold = -delta * scale_grad * exp(-| |delta| - threshold | / (tau_grad *
threshold))``.

Layout: time last, ``(N, C..., T)``.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch

from netx import fixed_point as fxp

Tensor = torch.Tensor

__all__ = ["Delta", "delta_encode", "ACT_SCALE", "MESSAGE_SCALE"]

#: fixed-point activation grid: ``act_int = act * ACT_SCALE`` (64 x 2**(spike_exp + state_exp))
ACT_SCALE = 1 << (6 + fxp.SD_SPIKE_EXP + fxp.SD_STATE_EXP)
#: fixed-point message grid: ``message_int = out * MESSAGE_SCALE``
MESSAGE_SCALE = ACT_SCALE >> fxp.SD_STATE_EXP


def _delta_float(act: Tensor, prev: Tensor, residue: Tensor, threshold: Tensor
                 ) -> Tuple[Tensor, Tensor, Tensor]:
    """Float encoder over ``act`` ``(T, *S)`` (no autograd).  Returns ``(out, residue_T,
    delta)`` where ``delta`` holds the pre-threshold deltas."""
    out = torch.empty_like(act)
    deltas = torch.empty_like(act)
    res = residue.clone()
    last = prev
    for t in range(act.shape[0]):
        d = act[t] - last + res
        deltas[t] = d
        fired = torch.abs(d) >= threshold
        out[t] = torch.where(fired, d, torch.zeros_like(d))
        res = d - out[t]
        last = act[t]
    return out, res, deltas


def _delta_fixed(act_int: Tensor, prev: Tensor, residue: Tensor, vth: Tensor
                 ) -> Tuple[Tensor, Tensor, Tensor]:
    """Integer encoder (:func:`netx.fixed_point.delta_encode`) over ``act_int`` ``(T, *S)``.
    Returns ``(messages, residue_T, sent)`` (int64; ``sent`` before the ``>> 6``)."""
    sent = torch.empty_like(act_int)
    res = residue
    last = prev
    for t in range(act_int.shape[0]):
        s, res = fxp.delta_encode(act_int[t], last, res, vth)
        sent[t] = s
        last = act_int[t]
    return sent >> fxp.SD_STATE_EXP, res, sent


def delta_encode(act: Tensor, threshold: Tensor, fixed: bool,
                 state: Optional[Tuple[Tensor, Tensor]] = None, tau_grad: float = 1.0,
                 scale_grad: float = 1.0) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
    """Delta-encode ``act`` ``(T, *S)`` (time-major, training units).

    Args:
        act: activations (differentiable).
        threshold: scalar tensor (training units; differentiable).  In fixed mode it must be
            a multiple of 1/64.
        fixed: Lava's integer encoder (see the module docstring).
        state: ``(previous activation, residue)`` ``S``-shaped in training units (float mode)
            or on the integer grid (fixed mode); ``None`` = zeros.
    Returns:
        ``(out, (act_T, residue_T))``: output ``(T, *S)`` and the final encoder state (same
        convention as ``state``, detached).
    """
    shape = act.shape[1:]
    if fixed:
        act_i = torch.round(act.detach() * ACT_SCALE).to(torch.int64)
        act_i = fxp.wrap_int32(act_i)
        if state is None:
            prev = torch.zeros(shape, dtype=torch.int64, device=act.device)
            res = prev.clone()
        else:
            prev, res = (s.to(torch.int64) for s in state)
        vth = fxp.sigma_delta_scale(int(round(float(threshold.detach()) * 64)))
        msg, res_t, _ = _delta_fixed(act_i, prev, res, vth.to(act.device))
        value = msg.to(act.dtype) / MESSAGE_SCALE
        new_state = (act_i[-1] if act.shape[0] else prev, res_t)
        prev_f = prev.to(act.dtype) / ACT_SCALE
        res_f = res.to(act.dtype) / ACT_SCALE
    else:
        if state is None:
            prev_f = torch.zeros(shape, dtype=act.dtype, device=act.device)
            res_f = torch.zeros_like(prev_f)
        else:
            prev_f, res_f = (s.to(act.dtype) for s in state)
        value, res_t, _ = _delta_float(act.detach(), prev_f, res_f, threshold.detach())
        new_state = (act[-1].detach() if act.shape[0] else prev_f, res_t)
    # straight-through: gradient of the unthresholded change act[t] - act[t-1]
    prev_seq = torch.cat([prev_f.unsqueeze(0), act[:-1]], dim=0)
    change = act - prev_seq
    out = change + (value - change).detach()
    if isinstance(threshold, Tensor) and threshold.requires_grad:
        d = (change.detach() + 0)  # magnitude proxy for the surrogate
        th = threshold.detach()
        rho = scale_grad * torch.exp(-torch.abs(torch.abs(d) - th) / (tau_grad * th.abs() + 1e-12))
        g = (-d * rho).detach()
        out = out + g * (threshold - th)
    return out, new_state


class Delta(torch.nn.Module):
    """Delta encoder module on time-last tensors ``(N, C..., T)``.

    Args:
        threshold: send threshold (training units; multiple of 1/64 in fixed mode).
        tau_grad, scale_grad: surrogate of the threshold gradient.
        persistent_state: continue from the previous call's activation and residue.
        requires_grad: learn the threshold.
        mode: ``'fixed'`` (Lava's integer encoder, messages on the 1/4096 grid) or
            ``'float'``.
    """

    def __init__(self, threshold: float, tau_grad: float = 1.0, scale_grad: float = 1.0,
                 persistent_state: bool = False, requires_grad: bool = False,
                 mode: str = "fixed") -> None:
        super().__init__()
        if mode not in ("fixed", "float"):
            raise ValueError(f"delta mode must be 'fixed' or 'float'; got {mode!r}")
        self.mode = mode
        self.threshold = torch.nn.Parameter(torch.tensor(float(threshold)),
                                            requires_grad=requires_grad)
        self.tau_grad = float(tau_grad)
        self.scale_grad = float(scale_grad)
        self.persistent_state = bool(persistent_state)
        self.state: Optional[Tuple[Tensor, Tensor]] = None

    def reset_state(self) -> None:
        self.state = None

    def effective_threshold(self) -> Tensor:
        """Threshold used in the forward pass (rounded to 1/64 in fixed mode, STE)."""
        th = self.threshold
        if self.mode == "fixed":
            th = th + (torch.round(th * 64) / 64 - th).detach()
        return th

    def forward(self, input: Tensor) -> Tensor:
        act = input.movedim(-1, 0)
        state = self.state if (self.persistent_state and self.state is not None
                               and self.state[0].shape == act.shape[1:]) else None
        out, new_state = delta_encode(act, self.effective_threshold(), self.mode == "fixed",
                                      state, self.tau_grad, self.scale_grad)
        if self.persistent_state:
            self.state = new_state
        return out.movedim(0, -1)
