"""SLAYER blocks, defined ONCE and parameterised by a neuron class.

A block = synapse -> neuron -> (one-step delay) -> (learnable axonal delay).  The classes here
are generic: they build their neuron with ``self.neuron_class(**neuron_params)``.
:func:`make_family` derives a concrete family (``Input``, ``Dense``, ``Conv``, ...) for one
neuron type; ``block/cuba.py`` is just ``make_family(neuron.cuba.Neuron, ...)``.  A neuron
class must provide: ``forward`` (spikes), ``evolve(z, spiking, state)`` (for ``Recurrent``),
``dynamics`` (for ``Affine``), ``quantize_8bit``, ``device_params``, ``shape``,
``persistent_state`` and ``w_scale``; a class that sets ``fuses_delay_shift = True`` also
accepts ``forward(z, delay_shift=True)`` and applies the one-step output delay itself.

Layout: ``(N, C, T)`` for dense blocks, ``(N, C, H, W, T)`` for conv/pool blocks (time last).

lava-dl semantics kept:

* ``pre_hook_fx`` not given -> the neuron's 8-bit quantizer; ``pre_hook_fx=None`` -> float
  weights (no quantization).
* ``delay_shift=True`` (default of weighted blocks) delays the output by one step, the
  synaptic latency of Loihi / Lava (a spike at ``t`` reaches the next layer at ``t + 1``).
* ``count_log=True``: ``forward`` returns ``(output, mean event rate)``.
* ``export_hdf5(handle)`` writes the keys lava-dl 0.6 writes into an h5py group.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Type, Union

import h5py
import numpy as np
import torch

from .. import synapse as _synapse
from ..axon import Delay, delay_shift

Tensor = torch.Tensor
Pair = Union[int, Sequence[int]]
Neurons = Union[int, Sequence[int]]  # a size, or a shape that is flattened

_DEFAULT = object()  # "pre_hook_fx not given": use the neuron's 8-bit quantizer

#: ``vThMant`` of an ``Affine`` block exported with ``dynamics=True`` (never spikes)
AFFINE_VTH_MANT = (1 << 18) - 1


# ---------------------------------------------------------------------------- helpers
def _write_type(handle: h5py.Group, name: str) -> None:
    handle.create_dataset("type", (1,), "S10", [name.encode("ascii")])


def _write_neuron(handle: h5py.Group, params: Dict[str, Any]) -> None:
    for key, value in params.items():
        if key == "type":
            handle.create_dataset("neuron/type", data=str(value))  # vlen string, like lava-dl
        else:
            handle.create_dataset(f"neuron/{key}", data=value)


def _require_shape(block: torch.nn.Module, shape: Optional[Sequence[int]]) -> np.ndarray:
    if shape is None:
        raise ValueError(f"{type(block).__name__}.export_hdf5: the output shape is unknown; "
                         "run one forward pass before exporting")
    return np.array([int(s) for s in shape], dtype=np.int64)


def step_delay(module: torch.nn.Module, x: Tensor) -> Tensor:
    """Delay ``x`` (time last) by one step; with a persistent-state neuron the last step of
    the previous call becomes the first step of this one."""
    neuron = getattr(module, "neuron", None)
    persistent = bool(getattr(neuron, "persistent_state", False))
    out = delay_shift(x, 1)
    if persistent:
        last = getattr(module, "_delay_buffer", None)
        if last is not None and last.shape == x.shape[:-1]:
            out[..., 0] = last
        module._delay_buffer = x[..., -1].detach().clone()
    return out


class _Block(torch.nn.Module):
    """Common parts: neuron construction, output post-processing, count log."""

    neuron_class: Optional[Type[torch.nn.Module]] = None

    def _make_neuron(self, neuron_params: Optional[Dict[str, Any]]) -> Optional[torch.nn.Module]:
        if neuron_params is None:
            return None
        if self.neuron_class is None:
            raise TypeError(f"{type(self).__name__} is generic; use a family such as "
                            "trainers.slayer.block.cuba")
        self.neuron_params = dict(neuron_params)
        return self.neuron_class(**neuron_params)

    def _hook(self, pre_hook_fx: Any) -> Optional[Callable]:
        if pre_hook_fx is _DEFAULT:
            return self.neuron.quantize_8bit if self.neuron is not None else None
        return pre_hook_fx

    def _spikes(self, z: Tensor) -> Tuple[Tensor, bool]:
        """Neuron output for synaptic input ``z``; True when the one-step delay is already
        applied (neurons with ``fuses_delay_shift`` do it inside their dynamics)."""
        if getattr(self, "delay_shift", False) and getattr(self.neuron, "fuses_delay_shift",
                                                           False):
            return self.neuron(z, delay_shift=True), True
        return self.neuron(z), False

    def _finish(self, x: Tensor, shifted: bool = False
                ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        if getattr(self, "delay_shift", False) and not shifted:
            x = step_delay(self, x)
        if getattr(self, "delay", None) is not None:
            x = self.delay(x)
        if self.count_log:
            return x, torch.mean((x != 0).to(x.dtype))
        return x

    @property
    def shape(self) -> Optional[torch.Size]:
        """Output shape (C, ...) without batch and time (known after a forward pass)."""
        neuron = getattr(self, "neuron", None)
        return getattr(neuron, "shape", None) if neuron is not None else self._shape

    _shape: Optional[torch.Size] = None

    def _export_tail(self, handle: h5py.Group, neuron_params: Optional[Dict[str, Any]]) -> None:
        norm = getattr(self.neuron, "norm", None) if self.neuron is not None else None
        if norm is not None and hasattr(norm, "effective_bias"):
            bias = norm.effective_bias * self.neuron.w_scale
            handle.create_dataset("bias", data=bias.cpu().numpy().astype(np.float32).reshape(-1))
        if getattr(self, "delay", None) is not None:
            self.delay.clamp()
            handle.create_dataset(
                "delay", data=torch.floor(self.delay.delay.detach()).cpu().numpy().reshape(-1))
        if neuron_params is not None:
            _write_neuron(handle, neuron_params)


# ---------------------------------------------------------------------------- blocks
class Input(_Block):
    """Input block: ``neuron(weight * x + bias)`` (optional scalar weight / bias, learnable).

    Args:
        neuron_params: neuron arguments, or ``None`` for a pass-through input.
        weight, bias: optional scalars (training units; exported times 64 through the hook).
        delay_shift: delay the output by one step (default False).
        count_log: also return the mean event rate.
    """

    def __init__(self, neuron_params: Optional[Dict[str, Any]] = None,
                 weight: Optional[float] = None, bias: Optional[float] = None,
                 delay_shift: bool = False, count_log: bool = False) -> None:
        super().__init__()
        self.neuron = self._make_neuron(neuron_params)
        self.pre_hook_fx = self.neuron.quantize_8bit if self.neuron is not None else None
        self.weight = None if weight is None else torch.nn.Parameter(torch.tensor([float(weight)]))
        self.bias = None if bias is None else torch.nn.Parameter(torch.tensor([float(bias)]))
        self.delay_shift = delay_shift
        self.count_log = count_log

    def _scalar(self, p: torch.nn.Parameter) -> Tensor:
        return self.pre_hook_fx(p) if self.pre_hook_fx is not None else p

    def forward(self, x: Tensor):
        z = x
        if self.weight is not None:
            z = z * self._scalar(self.weight)
        if self.bias is not None:
            z = z + self._scalar(self.bias)
        if self.neuron is None:
            self._shape = torch.Size(x.shape[1:-1])
            return self._finish(z)
        return self._finish(*self._spikes(z))

    def export_hdf5(self, handle: h5py.Group) -> None:
        """Keys: type b'input', shape, [weight (1,), bias (1,)] x64 float32, [neuron/*]."""
        _write_type(handle, "input")
        handle.create_dataset("shape", data=_require_shape(self, self.shape))
        scale = self.neuron.w_scale if self.neuron is not None else 64
        for name in ("weight", "bias"):
            p = getattr(self, name)
            if p is not None:
                with torch.no_grad():
                    value = self.pre_hook_fx(p, descale=True) if self.pre_hook_fx else p * scale
                handle.create_dataset(name, data=value.cpu().numpy().astype(np.float32))
        if self.neuron is not None:
            _write_neuron(handle, self.neuron.device_params)


class Flatten(_Block):
    """``(N, C, H, W, T)`` -> ``(N, C * H * W, T)`` (C, H, W order).

    Has no ``neuron`` attribute, as in lava-dl: tutorials count spiking layers with
    ``hasattr(block, 'neuron')``."""

    def __init__(self, count_log: bool = False) -> None:
        super().__init__()
        self.count_log = count_log

    def forward(self, x: Tensor):
        self._shape = torch.Size([int(np.prod(x.shape[1:-1]))])
        return self._finish(x.reshape(x.shape[0], -1, x.shape[-1]))

    def export_hdf5(self, handle: h5py.Group) -> None:
        """Keys: type b'flatten', shape (C*H*W,)."""
        _write_type(handle, "flatten")
        handle.create_dataset("shape", data=_require_shape(self, self.shape))


class Average(_Block):
    """Population average: ``(N, C, T)`` -> ``(N, num_outputs, T)``, the mean of each run of
    ``C / num_outputs`` consecutive neurons."""

    def __init__(self, num_outputs: int, count_log: bool = False) -> None:
        super().__init__()
        self.neuron = None
        self.num_outputs = int(num_outputs)
        self.count_log = count_log

    def forward(self, x: Tensor):
        n, t = x.shape[0], x.shape[-1]
        self._shape = torch.Size([self.num_outputs])
        out = x.reshape(n, self.num_outputs, -1, t).mean(dim=2)
        return self._finish(out)

    def export_hdf5(self, handle: h5py.Group) -> None:
        """Keys: type b'average', shape (num_outputs,)."""
        _write_type(handle, "average")
        handle.create_dataset("shape", data=np.array([self.num_outputs], dtype=np.int64))


class Dense(_Block):
    """Dense block: dense synapse -> neuron -> one-step delay -> optional axonal delay.

    Args (lava-dl): neuron_params, in_neurons, out_neurons, weight_scale=1, weight_norm=False,
    pre_hook_fx (default: 8-bit quantizer; ``None``: float), delay=False (learnable axonal
    delay), delay_shift=True, mask=None (fixed 0/1 connectivity mask ``(out, in)``),
    count_log=False.  Input ``(N, in..., T)``, output ``(N, out, T)``.
    """

    synapse_class = _synapse.Dense
    kind = "dense"

    def __init__(self, neuron_params: Optional[Dict[str, Any]], in_neurons: Neurons,
                 out_neurons: int, weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Any = _DEFAULT, delay: bool = False, delay_shift: bool = True,
                 mask: Optional[Tensor] = None, count_log: bool = False) -> None:
        super().__init__()
        self.neuron = self._make_neuron(neuron_params)
        self.synapse = _synapse.Dense(in_neurons, out_neurons, weight_scale, weight_norm,
                                      self._hook(pre_hook_fx))
        if mask is not None:
            self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32))
            with torch.no_grad():
                self.synapse.weight.mul_(self.mask)
            self.synapse.weight.register_hook(lambda g: g * self.mask)
        else:
            self.mask = None
        self.delay = Delay(max_delay=62) if delay else None
        self.delay_shift = delay_shift
        self.count_log = count_log

    def forward(self, x: Tensor):
        return self._finish(*self._spikes(self.synapse(x)))

    def export_hdf5(self, handle: h5py.Group) -> None:
        """Keys: type b'dense', shape, inFeatures, outFeatures, weight (out, in) x64 float32,
        [bias], [delay], neuron/*."""
        _write_type(handle, "dense")
        handle.create_dataset("shape", data=_require_shape(self, self.shape))
        handle.create_dataset("inFeatures", data=self.synapse.in_channels)
        handle.create_dataset("outFeatures", data=self.synapse.out_channels)
        self.synapse.disable_weight_norm()
        handle.create_dataset("weight", data=self.synapse.file_weight(self.neuron.w_scale))
        self._export_tail(handle, self.neuron.device_params)


class Affine(_Block):
    """Affine readout: dense synapse, optionally followed by non-spiking neuron dynamics.

    ``dynamics=False``: output = synapse output ``W x`` (exported without a neuron group).
    ``dynamics=True``: output = the neuron's voltage (current/voltage decays applied, never
    spikes; exported with ``vThMant`` = 2^18 - 1).  Args as :class:`Dense` (no delays).
    """

    def __init__(self, neuron_params: Optional[Dict[str, Any]], in_neurons: Neurons,
                 out_neurons: int, weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Any = _DEFAULT, dynamics: bool = False,
                 mask: Optional[Tensor] = None, count_log: bool = False) -> None:
        super().__init__()
        self.neuron = self._make_neuron(neuron_params)
        self.synapse = _synapse.Dense(in_neurons, out_neurons, weight_scale, weight_norm,
                                      self._hook(pre_hook_fx))
        if mask is not None:
            self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32))
            with torch.no_grad():
                self.synapse.weight.mul_(self.mask)
            self.synapse.weight.register_hook(lambda g: g * self.mask)
        self.dynamics = bool(dynamics)
        self.count_log = count_log

    def forward(self, x: Tensor):
        z = self.synapse(x)
        if self.dynamics and self.neuron is not None:
            _, z = self.neuron.dynamics(z)
        else:
            self._shape = torch.Size(z.shape[1:-1])
        return self._finish(z)

    @property
    def shape(self) -> Optional[torch.Size]:
        if self.dynamics and self.neuron is not None:
            return self.neuron.shape
        return self._shape

    def export_hdf5(self, handle: h5py.Group) -> None:
        """Keys: type b'dense', shape, inFeatures, outFeatures, weight, [neuron/* with
        vThMant 2^18 - 1 when ``dynamics``]."""
        _write_type(handle, "dense")
        handle.create_dataset("shape", data=_require_shape(self, self.shape))
        handle.create_dataset("inFeatures", data=self.synapse.in_channels)
        handle.create_dataset("outFeatures", data=self.synapse.out_channels)
        self.synapse.disable_weight_norm()
        scale = self.neuron.w_scale if self.neuron is not None else 64
        handle.create_dataset("weight", data=self.synapse.file_weight(scale))
        if self.dynamics and self.neuron is not None:
            params = dict(self.neuron.device_params)
            params["vThMant"] = AFFINE_VTH_MANT
            _write_neuron(handle, params)


class Conv(_Block):
    """Conv block: conv synapse -> neuron -> one-step delay -> optional axonal delay.

    Args (lava-dl): neuron_params, in_features, out_features, kernel_size, stride=1,
    padding=0, dilation=1, groups=1, weight_scale=1, weight_norm=False, pre_hook_fx,
    delay=False, delay_shift=True, count_log=False.  Input/output ``(N, C, H, W, T)``.
    """

    def __init__(self, neuron_params: Optional[Dict[str, Any]], in_features: int,
                 out_features: int, kernel_size: Pair, stride: Pair = 1, padding: Pair = 0,
                 dilation: Pair = 1, groups: int = 1, weight_scale: float = 1,
                 weight_norm: bool = False, pre_hook_fx: Any = _DEFAULT, delay: bool = False,
                 delay_shift: bool = True, count_log: bool = False) -> None:
        super().__init__()
        self.neuron = self._make_neuron(neuron_params)
        self.synapse = _synapse.Conv(in_features, out_features, kernel_size, stride, padding,
                                     dilation, groups, weight_scale, weight_norm,
                                     self._hook(pre_hook_fx))
        self.delay = Delay(max_delay=62) if delay else None
        self.delay_shift = delay_shift
        self.count_log = count_log

    def forward(self, x: Tensor):
        return self._finish(*self._spikes(self.synapse(x)))

    def export_hdf5(self, handle: h5py.Group) -> None:
        """Keys: type b'conv', shape (C, H, W), inChannels, outChannels, kernelSize, stride,
        padding, dilation ((y, x) int64), groups, weight (C_out, C_in/g, kH, kW, 1) x64
        float32, [bias], [delay], neuron/*."""
        s = self.synapse
        _write_type(handle, "conv")
        handle.create_dataset("shape", data=_require_shape(self, self.shape))
        handle.create_dataset("inChannels", data=s.in_channels)
        handle.create_dataset("outChannels", data=s.out_channels)
        for key, value in (("kernelSize", s.kernel_size), ("stride", s.stride),
                           ("padding", s.padding), ("dilation", s.dilation)):
            handle.create_dataset(key, data=np.array(value, dtype=np.int64))
        handle.create_dataset("groups", data=s.groups)
        s.disable_weight_norm()
        handle.create_dataset("weight", data=s.file_weight(self.neuron.w_scale)[..., None])
        self._export_tail(handle, self.neuron.device_params)


class Pool(_Block):
    """Pool block: sum-pool synapse (fixed weight) -> neuron -> one-step delay.

    Args (lava-dl): neuron_params, kernel_size, stride=None (= kernel_size), padding=0,
    dilation=1, weight_scale=1, weight_norm=False, pre_hook_fx, delay=False,
    delay_shift=True, count_log=False.  Input/output ``(N, C, H, W, T)``.
    """

    def __init__(self, neuron_params: Optional[Dict[str, Any]], kernel_size: Pair,
                 stride: Optional[Pair] = None, padding: Pair = 0, dilation: Pair = 1,
                 weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Any = _DEFAULT, delay: bool = False, delay_shift: bool = True,
                 count_log: bool = False) -> None:
        super().__init__()
        self.neuron = self._make_neuron(neuron_params)
        self.synapse = _synapse.Pool(kernel_size, stride, padding, dilation, weight_scale,
                                     weight_norm, self._hook(pre_hook_fx))
        self.delay = Delay(max_delay=62) if delay else None
        self.delay_shift = delay_shift
        self.count_log = count_log

    def forward(self, x: Tensor):
        return self._finish(*self._spikes(self.synapse(x)))

    def export_hdf5(self, handle: h5py.Group) -> None:
        """Keys: type b'pool', shape, kernelSize, stride, padding, dilation, weight
        (1, 1, kH, kW) x64 float32, [delay], neuron/*."""
        s = self.synapse
        _write_type(handle, "pool")
        handle.create_dataset("shape", data=_require_shape(self, self.shape))
        for key, value in (("kernelSize", s.kernel_size), ("stride", s.stride),
                           ("padding", s.padding), ("dilation", s.dilation)):
            handle.create_dataset(key, data=np.array(value, dtype=np.int64))
        handle.create_dataset("weight", data=s.file_weight(self.neuron.w_scale))
        self._export_tail(handle, self.neuron.device_params)


class Recurrent(_Block):
    """Recurrent dense block: ``z[t] = W x[t] + W_rec s[t-1]`` -> neuron -> one-step delay.

    The recurrent spikes reach the neuron one step later, as on Loihi.  Steps run one at a
    time (the feed-forward part is still one matmul for the whole sequence).
    Args as :class:`Dense` (no mask/delay).  Input ``(N, in, T)``, output ``(N, out, T)``.
    """

    def __init__(self, neuron_params: Optional[Dict[str, Any]], in_neurons: Neurons,
                 out_neurons: int, weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Any = _DEFAULT, delay_shift: bool = True,
                 count_log: bool = False) -> None:
        super().__init__()
        self.neuron = self._make_neuron(neuron_params)
        hook = self._hook(pre_hook_fx)
        self.input_synapse = _synapse.Dense(in_neurons, out_neurons, weight_scale, weight_norm,
                                            hook)
        self.recurrent_synapse = _synapse.Dense(out_neurons, out_neurons, weight_scale,
                                                weight_norm, hook)
        self.delay = None
        self.delay_shift = delay_shift
        self.count_log = count_log
        self._spike_state: Optional[Tensor] = None

    @property
    def synapse(self) -> _synapse.Dense:
        return self.input_synapse

    def _recurrent_weight(self) -> Tensor:
        return self.recurrent_synapse.effective_weight()

    def forward(self, x: Tensor):
        z = self.input_synapse(x)  # (N, out, T)
        t = z.shape[-1]
        self.neuron._init_shape(z.shape[1:-1], getattr(self.neuron, "decay_names", ()))
        persistent = self.neuron.persistent_state
        shape = z.shape[:-1]
        u = self.neuron._state("current_state", shape, z)
        v = self.neuron._state("voltage_state", shape, z)
        s = self._spike_state if (persistent and self._spike_state is not None
                                  and self._spike_state.shape == shape) else torch.zeros_like(u)
        w_rec = self._recurrent_weight()
        outs = []
        for k in range(t):
            zk = z[..., k:k + 1] + (s @ w_rec.t()).unsqueeze(-1)
            out, _, (u, v) = self.neuron.evolve(zk, True, state=(u, v))
            s = out[..., 0]
            outs.append(s)
        spikes = torch.stack(outs, dim=-1) if outs else z
        if persistent:
            self.neuron._keep_state(current_state=u, voltage_state=v)
            self._spike_state = s.detach()
        return self._finish(self.neuron._dropout(spikes))

    def export_hdf5(self, handle: h5py.Group) -> None:
        """Keys: type b'dense_rec', shape, inFeatures, outFeatures, weight, weight_rec
        ((out, out) x64 float32), neuron/*."""
        _write_type(handle, "dense_rec")
        handle.create_dataset("shape", data=_require_shape(self, self.shape))
        handle.create_dataset("inFeatures", data=self.input_synapse.in_channels)
        handle.create_dataset("outFeatures", data=self.input_synapse.out_channels)
        self.input_synapse.disable_weight_norm()
        self.recurrent_synapse.disable_weight_norm()
        scale = self.neuron.w_scale
        handle.create_dataset("weight", data=self.input_synapse.file_weight(scale))
        handle.create_dataset("weight_rec", data=self._rec_file_weight(scale))
        self._export_tail(handle, self.neuron.device_params)

    def _rec_file_weight(self, scale: int) -> np.ndarray:
        return self.recurrent_synapse.file_weight(scale)


class KWTA(Recurrent):
    """k-winners-take-all: a :class:`Recurrent` block whose recurrent weights are fixed.

    Each spike excites its own neuron by ``self_excitation * threshold`` and inhibits every
    other neuron by ``threshold / num_winners``, so once about ``num_winners`` neurons fire in
    a step the rest are pushed a full threshold down.  Exported as ``dense_rec``.

    Args: neuron_params, in_neurons, out_neurons, num_winners, self_excitation=0.5,
    weight_scale, weight_norm, pre_hook_fx, delay_shift, count_log.
    """

    def __init__(self, neuron_params: Optional[Dict[str, Any]], in_neurons: Neurons,
                 out_neurons: int, num_winners: int, self_excitation: float = 0.5,
                 weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Any = _DEFAULT, delay_shift: bool = True,
                 count_log: bool = False) -> None:
        super().__init__(neuron_params, in_neurons, out_neurons, weight_scale, weight_norm,
                         pre_hook_fx, delay_shift, count_log)
        self.num_winners = int(num_winners)
        self.self_excitation = float(self_excitation)
        theta = self.neuron.threshold
        eye = torch.eye(int(out_neurons))
        w = eye * self_excitation * theta - (1 - eye) * theta / self.num_winners
        self.recurrent_synapse.weight.requires_grad_(False)
        with torch.no_grad():
            self.recurrent_synapse.weight.copy_(w)


# ---------------------------------------------------------------------------- families
#: the generic blocks, in the order lava-dl lists them
BLOCKS: Tuple[type, ...] = (Input, Flatten, Average, Affine, Dense, Conv, Pool, Recurrent, KWTA)


def make_family(neuron_class: Type[torch.nn.Module], module: str,
                blocks: Sequence[type] = BLOCKS) -> SimpleNamespace:
    """Derive the block family of one neuron type.

    Args:
        neuron_class: the neuron (e.g. ``neuron.cuba.Neuron``).
        module: ``__name__`` of the module that will hold the classes (for pickling / repr).
        blocks: generic blocks to derive.

    Returns:
        A namespace ``{name: subclass}`` whose classes differ from the generic ones only by
        ``neuron_class``.
    """
    family = {}
    for generic in blocks:
        name = generic.__name__
        doc = (generic.__doc__ or "") + (f"\n\n    Neuron: :class:`{neuron_class.__module__}."
                                         f"{neuron_class.__qualname__}`.\n")
        family[name] = type(name, (generic,), {"neuron_class": neuron_class,
                                               "__module__": module, "__qualname__": name,
                                               "__doc__": doc})
    return SimpleNamespace(**family)


def populate(namespace: Dict[str, Any], neuron_class: Type[torch.nn.Module],
             blocks: Sequence[type] = BLOCKS) -> None:
    """Fill a family module (``block/cuba.py``, ``block/rf.py``, ...) with the blocks of
    ``neuron_class``: one class per generic block, named like it, plus ``__all__``.

    Use as ``populate(globals(), Neuron)`` at the module's top level.
    """
    family = make_family(neuron_class, namespace["__name__"], blocks)
    names = [generic.__name__ for generic in blocks]
    namespace.update({name: getattr(family, name) for name in names})
    namespace["__all__"] = names


def export_hdf5(blocks: Sequence[torch.nn.Module], filename: str,
                simulation: Optional[Dict[str, float]] = None) -> None:
    """Write a ``.net`` file: ``layer/<i>`` from each block's ``export_hdf5`` in order, and
    ``simulation/Ts``, ``simulation/tSample`` when ``simulation`` (``{'Ts':, 'tSample':}``) is
    given.  The write is atomic: a temporary file beside ``filename``, then a rename."""
    target = os.fspath(filename)
    tmp = f"{target}.{os.getpid()}.tmp"
    try:
        with h5py.File(tmp, "w") as h:
            layer = h.create_group("layer")
            for i, b in enumerate(blocks):
                b.export_hdf5(layer.create_group(str(i)))
            if simulation:
                for key, value in simulation.items():
                    h.create_dataset(f"simulation/{key}", data=value)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
