"""Shared machinery of the step-by-step neurons (ALIF, RF, RF-Izhikevich, ADRF, ADRF-Iz).

These neurons carry more state than CUBA (threshold, refractory, complex resonator) and are
run one time step at a time with ordinary autograd.  Each neuron writes ONE step definition
in training units; the two modes share it:

* ``mode='float'``: the step as written (floating point).
* ``mode='fixed'`` (default, as for CUBA): the same float step is evaluated from the previous
  state, then its values are replaced by the exact Loihi fixed-point step from
  :mod:`netx.fixed_point` (straight-through: the gradient is the float step's).  The states
  are then exact multiples of ``1 / 4096`` (Lava's state grid, see
  :mod:`trainers.slayer.neuron.dynamics`) and the spikes are Lava's spikes for the integer
  input ``a = round(z * 64)``.

Spikes use the SLAYER surrogate ``rho(x) = scale_rho * exp(-|x| / tau_rho)`` of the
distance ``x`` to the threshold (see :mod:`trainers.slayer.spike`); the reset / refractory
decision itself carries no gradient (as in :class:`.dynamics.CubaDynamics`).

Layout: input ``(N, C..., T)`` (time last, real; RF neurons also take complex input),
states ``(N, C...)``.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch

from . import base

Tensor = torch.Tensor

#: Lava's state grid: a state ``y`` in training units is the integer ``y * 4096``.
STATE_SCALE = 1 << 12
#: integer synaptic input per unit of training input: ``a = round(z * 64)``.
INPUT_SCALE = 1 << 6
MODES = ("fixed", "float")


class _Heaviside(torch.autograd.Function):
    """``H(x)`` (``x >= 0`` when inclusive, else ``x > 0``) with the SLAYER surrogate."""

    @staticmethod
    def forward(ctx, x: Tensor, inclusive: bool, tau: float,  # type: ignore[override]
                scale: float) -> Tensor:
        ctx.save_for_backward(x)
        ctx.params = (tau, scale)
        return (x >= 0).to(x.dtype) if inclusive else (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        (x,) = ctx.saved_tensors
        tau, scale = ctx.params
        return grad * scale * torch.exp(-torch.abs(x) / tau), None, None, None


def heaviside(x: Tensor, inclusive: bool, tau_rho: float, scale_rho: float) -> Tensor:
    """Spike of the threshold distance ``x`` with surrogate derivative
    ``scale_rho * exp(-|x| / tau_rho)``."""
    return _Heaviside.apply(x, inclusive, tau_rho, scale_rho)


def snap(value: Tensor, exact: Tensor) -> Tensor:
    """Straight-through replacement: forward ``exact``, gradient of ``value``."""
    return value + (exact.to(value.dtype) - value).detach()


def to_grid(x: Tensor) -> Tensor:
    """A state in training units as Lava's integer (``round(x * 4096)``, int64)."""
    return torch.round(x.detach() * STATE_SCALE).to(torch.int64)


def to_input(z: Tensor) -> Tensor:
    """Integer synaptic input of a step: ``round(z * 64)`` (int64)."""
    return torch.round(z.detach() * INPUT_SCALE).to(torch.int64)


class StepNeuron(base.Neuron):
    """Base of the step-by-step neurons.

    Subclasses define ``device_type``, ``decay_names``, :meth:`_initial_state` (tuple of
    ``(N, C...)`` tensors), :meth:`_step_params` (per-call parameter dict) and :meth:`_step`
    (one step, both modes).  The block interface (``forward``, ``evolve``, ``dynamics``,
    persistent state) is provided here.
    """

    decay_names: Tuple[str, ...] = ()
    fuses_delay_shift = False
    #: neuron accepts complex synaptic input (RF family)
    complex_input = False

    def __init__(self, *args, mode: str = "fixed", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mode = mode
        self._persist: Optional[Tuple[Tensor, ...]] = None

    @property
    def mode(self) -> str:
        """``'fixed'`` (Loihi fixed-point forward) or ``'float'``."""
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"neuron mode must be one of {MODES}; got {value!r}")
        self._mode = value

    @property
    def fixed(self) -> bool:
        return self._mode == "fixed"

    # ------------------------------------------------------------------ to override
    def _initial_state(self, like: Tensor) -> Tuple[Tensor, ...]:  # pragma: no cover
        raise NotImplementedError

    def _step_params(self) -> Dict[str, object]:  # pragma: no cover
        raise NotImplementedError

    def _step(self, z: Tensor, state: Tuple[Tensor, ...], p: Dict[str, object],
              spiking: bool) -> Tuple[Tensor, Tuple[Tensor, ...]]:  # pragma: no cover
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def _decay(self, p: Tensor) -> Tensor:
        """Decay out of 4096 used in the forward pass: clamped, rounded in fixed mode (STE),
        broadcastable to ``(N, C...)``."""
        p = torch.clamp(p, 0, self.p_scale)
        if self.fixed:
            p = p + (torch.round(p) - p).detach()
        return self._broadcast(p)

    def _int(self, p: Tensor) -> Tensor:
        """Integer (int64) view of a rounded parameter."""
        return torch.round(p.detach()).to(torch.int64)

    def _pack(self, state: Tuple[Tensor, ...]) -> Tuple[Tensor, Tensor]:
        """Pairs for the generic ``Recurrent`` block: ``(first, second)`` or
        ``(first, stack(rest))`` when the neuron has more than two state variables."""
        if len(state) == 2:
            return state[0], state[1]
        return state[0], torch.stack(state[1:], dim=0)

    def _unpack(self, pair: Sequence[Tensor], like: Tensor) -> Tuple[Tensor, ...]:
        init = self._initial_state(like)
        first, second = (s.detach().to(like.dtype) for s in pair)
        if len(init) == 2:
            return first, second
        if second.dim() == first.dim() + 1 and second.shape[0] == len(init) - 1:
            return (first,) + tuple(second.unbind(0))
        return (first, second) + tuple(init[2:])  # zeros given: resting extra states

    # ------------------------------------------------------------------ interface
    def evolve(self, input: Tensor, spiking: bool = True,
               state: Optional[Sequence[Tensor]] = None, delay: bool = False,
               want_current: bool = True) -> Tuple[Tensor, Tensor, Tuple[Tensor, Tensor]]:
        """Run the dynamics over ``input`` ``(N, C..., T)``.

        Args:
            input: synaptic input (training units), time last.
            spiking: threshold (True) or a non-spiking integrator (False; output = voltage /
                real part).
            state: explicit initial state as a pair (see :meth:`_pack`); by default the
                persistent state (if enabled and shape-compatible) or the resting state.
                With an explicit state nothing is stored back.
            delay, want_current: accepted for the block interface (``delay`` must be False).

        Returns:
            ``(out, first, pair)``: output ``(N, C..., T)``, the first state variable over
            time ``(N, C..., T)`` and the final state as a pair.
        """
        if delay:
            raise ValueError(f"{type(self).__name__} does not fuse the output delay")
        z = input if input.is_complex() else self._normalize(input)
        if z.is_complex() and not self.complex_input:
            raise TypeError(f"{type(self).__name__} takes real synaptic input")
        self._init_shape(z.shape[1:-1], self.decay_names)
        like = z.real if z.is_complex() else z
        if state is not None:
            st = self._unpack(state, like[..., 0])
        elif (self.persistent_state and self._persist is not None
              and self._persist[0].shape == like.shape[:-1]):
            st = tuple(s.to(like.dtype) for s in self._persist)
        else:
            st = self._initial_state(like[..., 0])
        params = self._step_params()
        outs: List[Tensor] = []
        firsts: List[Tensor] = []
        for t in range(z.shape[-1]):
            out, st = self._step(z[..., t], st, params, spiking)
            outs.append(out)
            firsts.append(st[0])
        if state is None and self.persistent_state:
            self._persist = tuple(s.detach() for s in st)
        if outs:
            out_seq = torch.stack(outs, dim=-1)
            first_seq = torch.stack(firsts, dim=-1)
        else:
            out_seq = first_seq = like
        return out_seq, first_seq, self._pack(st)

    def dynamics(self, input: Tensor) -> Tuple[Tensor, Tensor]:
        """``(first state, output)`` of a non-spiking neuron, each ``(N, C..., T)``."""
        out, first, _ = self.evolve(input, spiking=False)
        return first, out

    def forward(self, input: Tensor) -> Tensor:
        """Spikes ``(N, C..., T)`` (binary, or graded) for synaptic input ``(N, C..., T)``."""
        spikes, _, _ = self.evolve(input, spiking=True)
        return self._dropout(spikes)

    def reset_state(self) -> None:
        """Forget the persistent state."""
        self._persist = None
        super().reset_state()

    def _spike(self, x: Tensor, exact: Optional[Tensor], inclusive: bool) -> Tensor:
        """Spike of the threshold distance ``x``; in fixed mode its value is ``exact``."""
        s = heaviside(x, inclusive, self.tau_rho, self.scale_rho)
        return snap(s, exact) if exact is not None else s

    def _scalar_param(self, name: str, value: float, learn: bool = True) -> None:
        data = torch.as_tensor(float(value), dtype=torch.float32).reshape(1)
        self.register_parameter(name, torch.nn.Parameter(
            data, requires_grad=self.requires_grad and learn))
