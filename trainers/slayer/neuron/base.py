"""What every SLAYER neuron shares: threshold grid, surrogate shape, scales, norm, dropout,
lazily shaped per-neuron parameters and persistent state.

A concrete neuron (e.g. :class:`trainers.slayer.neuron.cuba.Neuron`) adds its own decays and
dynamics.  Tensors are NCT / NCHWT (batch, neurons..., time last).
"""

from __future__ import annotations

from typing import Callable, Dict, Iterable, Optional, Sequence, Union

import numpy as np
import torch

from ..utils.quantize import quantize_8bit
from .dropout import Dropout

Tensor = torch.Tensor
ParamLike = Union[float, Sequence[float], np.ndarray, Tensor]
#: a dropout module (lava-dl style) or a dropout probability
DropoutLike = Union[float, torch.nn.Module]

#: parameter scale: decays are stored as ``decay * P_SCALE`` (out of 4096, like the file)
P_SCALE = 1 << 12
#: lava-dl's surrogate multipliers: the spike surrogate has width
#: ``tau_grad * threshold * TAU_RHO_MULT`` and height ``scale_grad * SCALE_RHO_MULT``, so that
#: ``tau_grad = scale_grad = 1`` is a broad, low starting point and lava-dl's tutorial values
#: (``tau_grad=0.03, scale_grad=3``) shape the gradient as they did there
TAU_RHO_MULT = 100.0
SCALE_RHO_MULT = 0.1


class Neuron(torch.nn.Module):
    """Base of SLAYER neurons.

    Args:
        threshold: spike threshold in training units (rounded to a multiple of 1/64; the file's
            ``vThMant = threshold * 64``).
        tau_grad, scale_grad: surrogate width (relative to the threshold) and height, in
            lava-dl's units (see :data:`TAU_RHO_MULT`, :data:`SCALE_RHO_MULT`).
        scale: weight scale ``w_scale``: file weights are ``w * scale`` (power of two, default 64).
        norm: a normalization class (e.g. :class:`.norm.MeanOnlyBatchNorm`) instantiated with no
            arguments and applied to the synaptic input, or ``None``.
        dropout: a dropout module (lava-dl: ``slayer.neuron.Dropout(p=0.05)``) or the
            probability of silencing a neuron for a whole sample (``None``: no dropout).
        shared_param: one decay per layer (True) or one per neuron channel (False).
        persistent_state: keep the state between calls (for streaming / chunked sequences).
        requires_grad: learn the decays.
        graded_spike: output the voltage at spike times instead of 1.
    """

    #: ``type`` written in the neuron group of the ``.net`` file; set by subclasses.
    device_type: str = ""

    def __init__(self, threshold: float, tau_grad: float = 1.0, scale_grad: float = 1.0,
                 scale: int = 1 << 6, norm: Optional[Callable[[], torch.nn.Module]] = None,
                 dropout: Optional[DropoutLike] = None, shared_param: bool = True,
                 persistent_state: bool = False, requires_grad: bool = False,
                 graded_spike: bool = False) -> None:
        super().__init__()
        scale = int(scale)
        if scale <= 0 or scale & (scale - 1):
            raise ValueError(f"neuron scale must be a power of two; got {scale}")
        self.w_scale = scale
        self.p_scale = P_SCALE
        self.s_scale = P_SCALE
        self.threshold = float(round(float(threshold) * 64) / 64)
        self.tau_grad = float(tau_grad)
        self.scale_grad = float(scale_grad)
        self.shared_param = bool(shared_param)
        self.persistent_state = bool(persistent_state)
        self.requires_grad = bool(requires_grad)
        self.graded_spike = bool(graded_spike)
        self.shape: Optional[torch.Size] = None
        self.norm = norm() if norm is not None else None
        if dropout is None or isinstance(dropout, torch.nn.Module):
            self.drop = dropout  # lava-dl passes a module: slayer.neuron.Dropout(p=0.05)
        else:
            self.drop = Dropout(dropout)

    # ------------------------------------------------------------------ parameters
    @property
    def tau_rho(self) -> float:
        """Surrogate width in voltage units: ``tau_grad * threshold * TAU_RHO_MULT``."""
        return self.tau_grad * TAU_RHO_MULT * max(abs(self.threshold), 1.0 / 64)

    @property
    def scale_rho(self) -> float:
        """Surrogate height: ``scale_grad * SCALE_RHO_MULT``."""
        return self.scale_grad * SCALE_RHO_MULT

    @property
    def v_th_mant(self) -> int:
        """Threshold mantissa written to the file (``vThMant``)."""
        return int(round(self.threshold * 64))

    @property
    def weight_exponent(self) -> int:
        """``wgtExp = log2(4096 / w_scale) - 6`` (0 for the default scale 64)."""
        return int(np.log2(self.s_scale // self.w_scale)) - 6

    def _decay_parameter(self, name: str, value: ParamLike) -> None:
        """Register a decay (fraction in [0, 1]) stored as ``value * 4096``."""
        data = torch.as_tensor(np.asarray(value, dtype=np.float64) * self.p_scale,
                               dtype=torch.float32).reshape(-1)
        if self.shared_param and data.numel() != 1:
            raise ValueError(f"{name}: shared_param=True needs a scalar; got {data.numel()} values")
        self.register_parameter(name, torch.nn.Parameter(data, requires_grad=self.requires_grad))

    def _init_shape(self, shape: torch.Size, names: Iterable[str]) -> None:
        """Fix the neuron shape (``C, ...``) on first use; expand per-channel parameters."""
        if self.shape is None:
            self.shape = torch.Size(shape)
        elif tuple(self.shape) != tuple(shape):
            raise ValueError(f"{type(self).__name__}: input neuron shape {tuple(shape)} differs "
                             f"from the shape {tuple(self.shape)} seen before")
        if not self.shared_param:
            for name in names:
                p = getattr(self, name)
                if p.numel() == 1 and shape[0] != 1:
                    p.data = p.data * torch.ones(shape[0], dtype=p.dtype, device=p.device)
                elif p.numel() != shape[0]:
                    raise ValueError(f"{name} has {p.numel()} values for {shape[0]} channels")

    def _broadcast(self, p: Tensor) -> Tensor:
        """View a parameter (1 or C values) so that it broadcasts against ``(N, C, ...)``."""
        if p.numel() == 1:
            return p.reshape(())
        assert self.shape is not None
        return p.reshape((-1,) + (1,) * (len(self.shape) - 1))

    def _per_neuron(self, p: Tensor) -> Union[int, np.ndarray]:
        """Integer file value of a decay: a scalar, or one value per neuron (C, H, W flattened)."""
        values = torch.clamp(p.detach(), 0, self.p_scale).round().to(torch.int64).cpu()
        if values.numel() == 1:
            return int(values.reshape(()))
        shape = tuple(self.shape) if self.shape is not None else (values.numel(),)
        full = values.reshape((-1,) + (1,) * (len(shape) - 1)).expand(shape)
        return full.reshape(-1).numpy().copy()

    # ------------------------------------------------------------------ hooks
    def quantize_8bit(self, weight: Tensor, descale: bool = False) -> Tensor:
        """Default weight hook of the blocks (8-bit, multiples of 2 / w_scale)."""
        return quantize_8bit(weight, scale=self.w_scale, descale=descale)

    def _normalize(self, z: Tensor) -> Tensor:
        return self.norm(z) if self.norm is not None else z

    def _dropout(self, s: Tensor) -> Tensor:
        return self.drop(s) if self.drop is not None else s

    # ------------------------------------------------------------------ state
    def _state(self, name: str, shape: torch.Size, like: Tensor) -> Tensor:
        """The stored state when persistent and shape-compatible, else zeros."""
        value = getattr(self, name, None)
        if self.persistent_state and isinstance(value, Tensor) and value.shape == shape:
            return value.to(device=like.device, dtype=like.dtype)
        return torch.zeros(shape, dtype=like.dtype, device=like.device)

    def _keep_state(self, **states: Tensor) -> None:
        if self.persistent_state:
            for name, value in states.items():
                setattr(self, name, value.detach())

    def reset_state(self) -> None:
        """Forget the persistent state (the next call starts from zero)."""
        for name in ("current_state", "voltage_state", "output_state"):
            if hasattr(self, name):
                setattr(self, name, torch.zeros(1))

    @property
    def device_params(self) -> Dict[str, object]:  # pragma: no cover - abstract
        raise NotImplementedError
