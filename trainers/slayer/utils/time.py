"""Time-axis helpers for spike tensors (time is always the last axis: NCT, NCHWT)."""

from __future__ import annotations

from typing import Union

import torch

Tensor = torch.Tensor

__all__ = ["replicate", "shift"]


def replicate(input: Tensor, num_steps: int) -> Tensor:
    """Add a trailing time axis holding ``num_steps`` copies of ``input``.

    ``(N, C)`` -> ``(N, C, T)`` or ``(N, C, H, W)`` -> ``(N, C, H, W, T)`` with
    ``out[..., t] == input`` for every ``t < num_steps`` (e.g. a static image presented for
    ``num_steps`` steps).  The result is a new tensor (not a view).
    """
    if int(num_steps) < 1:
        raise ValueError(f"num_steps must be >= 1; got {num_steps}")
    return input.unsqueeze(-1).repeat(*([1] * input.dim()), int(num_steps))


def shift(input: Tensor, shift_steps: Union[int, float, Tensor]) -> Tensor:
    """Delay a tensor along its last (time) axis by ``shift_steps`` steps, filling with zeros.

    ``out[..., t] = input[..., t - s]`` where ``0 <= t - s < T``, else ``0``.  ``s > 0`` delays
    (moves events later), ``s < 0`` advances them; the length ``T`` is kept, so events moved
    past either end are dropped.

    Args:
        input: ``(..., T)`` tensor (NCT, NCHWT, ...).
        shift_steps: one shift for everything, or a tensor of per-trace shifts broadcastable
            to ``input.shape[:-1]`` (e.g. shape ``(C,)`` for NCT, ``(C, 1, 1)`` for NCHWT).
            Values are rounded to the nearest integer number of steps.

    Returns:
        Tensor of ``input``'s shape and dtype (differentiable in ``input``).
    """
    num_steps = input.shape[-1]
    if not torch.is_tensor(shift_steps) or shift_steps.numel() == 1:
        s = int(round(float(shift_steps)))
        out = torch.zeros_like(input)
        if abs(s) >= num_steps:
            return out
        if s >= 0:
            out[..., s:] = input[..., : num_steps - s]
        else:
            out[..., : num_steps + s] = input[..., -s:]
        return out
    s = torch.round(shift_steps.to(input.device).float()).long()
    try:
        s = torch.broadcast_to(s, input.shape[:-1]).unsqueeze(-1)
    except RuntimeError as err:
        raise ValueError(f"shift_steps of shape {tuple(shift_steps.shape)} does not broadcast to "
                         f"the non-time axes {tuple(input.shape[:-1])} of the input") from err
    source = torch.arange(num_steps, device=input.device) - s  # (..., T) index t - s
    valid = (source >= 0) & (source < num_steps)
    gathered = torch.gather(input, -1, source.clamp(0, num_steps - 1))
    return torch.where(valid, gathered, torch.zeros_like(gathered))
