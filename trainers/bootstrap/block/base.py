"""Bootstrap blocks: SLAYER blocks that also run as ANN layers, defined once for any family.

A bootstrap block *is* the SLAYER block of the same name (same constructor arguments, same
parameters and ``state_dict`` keys, same ``export_hdf5`` -- inherited, not re-implemented),
plus an :class:`~trainers.bootstrap.ann_sampler.AnnSampler` when it has a neuron, and a
``forward(x, mode)`` that runs per :class:`~trainers.bootstrap.routine.Mode`:

* ``SNN``    -- the SLAYER block's forward: synapse -> spiking neuron over all ``T`` steps
  (-> one-step delay / axonal delay as configured); ``x`` is ``(N, C..., T)``;
* ``SAMPLE`` -- ``SNN``, and the sampler records the time-averaged neuron input ``z`` (after
  the neuron's norm, if any) against the rate of the block's output (after its delays, i.e.
  exactly the rate the next block receives);
* ``ANN``    -- synapse -> (norm) -> fitted PWL rate function -> (dropout), on a time axis of
  length 1: an input with ``T > 1`` (from a preceding SNN block in hybrid training) is first
  averaged over time.  Output ``(N, C..., 1)`` rates in spikes per step;
* ``FIT``    -- fit the sampler to what it recorded, then ``ANN``.

Blocks without a neuron (``Flatten``, ``Average``, a neuron-less ``Input``) run the same in
every mode; an ``Affine`` block's ANN output is its synapse output of the time-averaged input.

:func:`make_family` derives the bootstrap family from a SLAYER family (``block/cuba.py`` is
``make_family(slayer.block.cuba, ...)``), so other neuron types need no new code here.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any, Dict, Iterator, Sequence, Tuple, Union

import torch

from ..ann_sampler import AnnSampler
from ..routine import Mode

Tensor = torch.Tensor

#: the SLAYER blocks that get a bootstrap version
BLOCK_NAMES: Tuple[str, ...] = ("Input", "Flatten", "Average", "Affine", "Dense", "Conv", "Pool")


def _tensor(out: Union[Tensor, Tuple[Tensor, Tensor]]) -> Tensor:
    """The output tensor of a block that may also return a count log."""
    return out[0] if isinstance(out, tuple) else out


def time_average(x: Tensor) -> Tensor:
    """``(N, C..., T)`` -> ``(N, C..., 1)``: the rate of a spike train (identity for T = 1)."""
    return x if x.shape[-1] == 1 else x.mean(dim=-1, keepdim=True)


class BootstrapBlock(torch.nn.Module):
    """Mixin placed before a SLAYER block class (see the module docstring).

    Attributes:
        sampler: the block's :class:`AnnSampler`, or ``None`` for blocks without a neuron.
        sampler_params: class-level keyword arguments of the sampler (override in a subclass).
    """

    sampler_params: Dict[str, Any] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        has_neuron = getattr(self, "neuron", None) is not None and not isinstance(self, _AffineMixin)
        self.sampler = AnnSampler(**self.sampler_params) if has_neuron else None

    # ------------------------------------------------------------------ pieces
    def synaptic_input(self, x: Tensor) -> Tensor:
        """The neuron's input ``z`` for block input ``x`` (same time axis)."""
        return self.synapse(x)

    @contextlib.contextmanager
    def _norm_applied(self) -> Iterator[None]:
        """Run the neuron with its norm switched off (the caller already applied it)."""
        norm = getattr(self.neuron, "norm", None)
        if norm is None:
            yield
            return
        self.neuron.norm = None
        try:
            yield
        finally:
            self.neuron.norm = norm

    def _normalized(self, z: Tensor) -> Tensor:
        norm = getattr(self.neuron, "norm", None)
        return norm(z) if norm is not None else z

    # ------------------------------------------------------------------ modes
    def forward(self, x: Tensor, mode: Union[Mode, int] = Mode.SNN):
        """Run the block in ``mode`` (default SNN, i.e. the SLAYER block).  See the module
        docstring; ``x`` is ``(N, C..., T)`` and so is the output (``T = 1`` in ANN/FIT)."""
        mode = Mode(mode)
        if self.sampler is None:
            return self._forward_plain(x, mode)
        if mode == Mode.FIT:
            self.sampler.fit()
            mode = Mode.ANN
        if mode == Mode.ANN:
            return self._forward_ann(x)
        if mode == Mode.SNN:
            return super().forward(x)
        return self._forward_sample(x)

    def _forward_plain(self, x: Tensor, mode: Mode):
        if mode in (Mode.ANN, Mode.FIT):
            x = time_average(x)
        return super().forward(x)

    def _forward_sample(self, x: Tensor):
        z = self._normalized(self.synaptic_input(x))
        with self._norm_applied():
            out = self._finish(self.neuron(z))
        self.sampler.append(z, _tensor(out))
        return out

    def _forward_ann(self, x: Tensor):
        z = self._normalized(self.synaptic_input(time_average(x)))
        self.neuron._init_shape(z.shape[1:-1], getattr(self.neuron, "decay_names", ()))
        rate = self.neuron._dropout(self.sampler(z))
        if getattr(self, "count_log", False):
            return rate, torch.mean((rate != 0).to(rate.dtype))
        return rate


class _InputMixin(BootstrapBlock):
    """Input block: the neuron input is ``x * weight + bias`` (the SLAYER Input's hook applies)."""

    def synaptic_input(self, x: Tensor) -> Tensor:
        z = x
        if self.weight is not None:
            z = z * self._scalar(self.weight)
        if self.bias is not None:
            z = z + self._scalar(self.bias)
        return z


class _AffineMixin(BootstrapBlock):
    """Affine readout: no sampler; ANN/FIT = the synapse of the time-averaged input."""

    def forward(self, x: Tensor, mode: Union[Mode, int] = Mode.SNN):
        return self._forward_plain(x, Mode(mode))


_MIXINS = {"Input": _InputMixin, "Affine": _AffineMixin}


def make_family(slayer_family: Any, module: str,
                names: Sequence[str] = BLOCK_NAMES) -> SimpleNamespace:
    """Derive bootstrap blocks from a SLAYER block family.

    Args:
        slayer_family: a module or namespace holding SLAYER blocks (e.g.
            ``trainers.slayer.block.cuba``).
        module: ``__name__`` of the module that will hold the classes.
        names: which blocks to derive.

    Returns:
        A namespace ``{name: class}``; each class subclasses the SLAYER block of that name.
    """
    family = {}
    for name in names:
        slayer_block = getattr(slayer_family, name)
        mixin = _MIXINS.get(name, BootstrapBlock)
        doc = (f"Bootstrap ``{name}``: :class:`{slayer_block.__module__}.{name}` with a "
               f"``forward(x, mode)`` per :class:`~trainers.bootstrap.Mode` (see "
               f":mod:`trainers.bootstrap.block.base`).\n\n" + (slayer_block.__doc__ or ""))
        family[name] = type(name, (mixin, slayer_block),
                            {"__module__": module, "__qualname__": name, "__doc__": doc})
    return SimpleNamespace(**family)
