"""The batched engine: runs a ``.net`` network on a batch of inputs with Lava's semantics.

Every neuron and synapse equation comes from :mod:`netx.fixed_point`; this module only
arranges them in time the way Lava's process models do:

* time steps are numbered from 1 (Lava's ``time_step``);
* an ``input`` layer's neuron receives the data on its ``a_in`` in the same step (there is no
  synapse in front of it), or as its ``bias_mant`` (``input_mode='bias'``);
* every synapse (Dense, Conv, pooling, recurrent Dense) is one step late: spikes a layer emits
  at step ``t`` reach the next layer's neuron at step ``t + 1``; ``flatten`` is a reshape and
  adds no delay;
* a Dense layer without a neuron group is an affine readout: lava-dl gives it a non-spiking
  CUBA neuron (iDecay 0, vDecay 4096, vThMant 2^17) and its output is that neuron's current
  ``u``, which then sums the synaptic input over time.

Internally a layer's values are ``(B, N)`` tensors flattened in (C, H, W) order (the order of
the stored weights and per-neuron parameters); conversion from and to Lava's (W, H, C) layout
happens once, at the boundary (:func:`to_internal`, :func:`to_lava`).

Two paths run a network.  All-CUBA networks without delays or complex synapses take the
fused path (:meth:`Engine._run`): one state vector for every neuron, one vectorised CUBA
step per time step.  Every other network netx's Lava builder builds (ALIF, sigma-delta, RF /
RF-Izhikevich neurons, ``dense_comp``, axonal delays) takes the general path
(:meth:`Engine._run_general`): group by group, each group calling its step function from
:mod:`netx.fixed_point` (:mod:`netx.engine.neurons`), each synapse casting its input
messages as Lava does (binary unless ``messageBits > 0``) and delaying them
(:class:`_DelayDense`).  What the engine runs is decided by :mod:`netx.support`, the same
checks the Lava builder uses, so both refuse the same layers with the same layer and key.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import numpy as np
import torch

from .. import fixed_point as fp
from .. import spec, support
from ..errors import NetxFormatError
from . import event
from .neurons import Group

MODES = ("fixed_pt", "floating_pt")
INPUT_MODES = support.INPUT_MODES
RUN_METHODS = ("auto", "event", "tensor")
#: lava-dl's stand-in neuron for an affine readout (no neuron group in the file).
AFFINE_NEURON = dict(i_decay=0, v_decay=4096, vth_mant=1 << 17)


class EngineError(NetxFormatError):
    """The network uses something the engine does not run (yet), or the input does not fit."""


@dataclass
class LayerTrace:
    """Per-layer record of a run in Lava's layout ``(B, *lava_shape, T)`` (no ``B`` for a
    single sample).  ``spikes`` is what the layer sends: boolean spikes, or int64 graded
    messages for sigma-delta layers (``Delta``/``SigmaDelta``: the change ``delta >>
    state_exp``; ``Sigma`` readout: its running sum).  ``u`` and ``v`` are the current and
    voltage of CUBA and ALIF neurons (int64 on the Loihi grid in ``fixed_pt``, float64 in
    ``floating_pt``; ``None`` for other neurons).  ``state`` holds the other neuron states,
    named after the Lava process's Vars (int64): ALIF ``theta``, ``r``; RF ``real``,
    ``imag``; sigma-delta ``sigma``, ``act``, ``residue``; ``Sigma`` ``sigma``.  ``index``
    is the layer's index in the file (``flatten`` layers have no trace)."""

    index: int
    kind: str
    spikes: Optional[np.ndarray] = None
    u: Optional[np.ndarray] = None
    v: Optional[np.ndarray] = None
    state: Dict[str, np.ndarray] = field(default_factory=dict)


# --------------------------------------------------------------------------- layouts
def to_internal(x: torch.Tensor, shape: Tuple[int, ...], batched: bool, timed: bool) -> torch.Tensor:
    """Lava layout ``([B,] *lava_shape(shape)[, T])`` -> internal ``([T,] B, N)`` in C, H, W order."""
    if not batched:
        x = x.unsqueeze(0)
    if len(shape) == 3:  # (B, W, H, C[, T]) -> (B, C, H, W[, T])
        x = x.permute(0, 3, 2, 1, 4) if timed else x.permute(0, 3, 2, 1)
    b = x.shape[0]
    if timed:
        t = x.shape[-1]
        return x.reshape(b, -1, t).permute(2, 0, 1).contiguous()
    return x.reshape(b, -1).contiguous()


def to_lava(x: torch.Tensor, shape: Tuple[int, ...], batched: bool) -> np.ndarray:
    """Internal ``(T, B, N)`` -> Lava layout ``([B,] *lava_shape(shape), T)`` as numpy."""
    t, b = x.shape[0], x.shape[1]
    x = x.reshape(t, b, *shape)
    if len(shape) == 3:  # (T, B, C, H, W) -> (B, W, H, C, T)
        x = x.permute(1, 4, 3, 2, 0)
    else:
        x = x.permute(1, *range(2, 2 + len(shape)), 0)
    out = x.cpu().numpy()
    return out if batched else out[0]


@contextlib.contextmanager
def _exact_cuda() -> Iterator[None]:
    """Keep CUDA matmul/conv exact: no TF32, no cuDNN algorithm choice (FFT/Winograd)."""
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        with torch.backends.cudnn.flags(enabled=False):
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


# --------------------------------------------------------------------------- neurons
@dataclass
class _Params:
    """CUBA parameters of one layer in exchange-format units (decays out of 4096, threshold
    and bias mantissas), scalars or per-neuron arrays flattened in (C, H, W) order."""

    i_decay: Any
    v_decay: Any
    vth_mant: Any
    bias_mant: Any = 0


def _per_neuron(value: Any, size: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    return np.broadcast_to(arr, (size,)) if arr.size == 1 else arr


# --------------------------------------------------------------------------- synapses
class _Synapse:
    """Base: maps the source's output (B, N_in) to synaptic input (B, N_out) one step later.
    After :meth:`prepare`, ``a_bound`` bounds the magnitude of what it returns."""

    dtype: torch.dtype = torch.float64
    a_bound: float = float("inf")

    def prepare(self, input_bound: float, device: torch.device) -> None:
        """Choose an exact compute dtype for inputs bounded by ``input_bound`` in magnitude
        (done once per bound and device; later calls reuse the prepared weights)."""
        key = (float(input_bound), str(device))
        if getattr(self, "_prepared", None) == key:
            return
        self._prepare(input_bound, device)
        self._prepared = key

    def _prepare(self, input_bound: float, device: torch.device) -> None:
        raise NotImplementedError

    def __call__(self, s: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @property
    def num_synapses(self) -> int:
        raise NotImplementedError


class _Dense(_Synapse):
    """Lava ``Dense``.  fixed_pt: weights fitted (:func:`fp.fit_dense_weights`), clipped and
    truncated (:func:`fp.dense_weights`), sum shifted by ``weight_exp`` (the fitted exponent
    plus the file's ``neuron/wgtExp``).  floating_pt: the same effective weights times
    ``2**weight_exp``, no flooring (as netx's float model)."""

    def __init__(self, weight: np.ndarray, mode: str, fit: Optional[Tuple[int, int]] = None,
                 wgt_exp: int = 0) -> None:
        self.fixed = mode == "fixed_pt"
        w = np.asarray(weight, dtype=np.float64)
        if not np.all(w == np.round(w)):
            raise ValueError("Loihi synapses need integer weights")
        mant, bits, exp = fp.fit_dense_weights(w)
        if fit is not None:  # one fit shared by feed-forward and recurrent weights
            bits, exp = fit
            mant = torch.round(torch.as_tensor(w) * 2.0 ** (-exp)).to(torch.int64)
        self.weight = fp.dense_weights(mant, bits)  # (n_out, n_in) int64
        self.weight_exp = exp + wgt_exp  # the file's neuron/wgtExp scales W s by 2**wgtExp
        self.weight_t: Optional[torch.Tensor] = None

    @property
    def num_synapses(self) -> int:
        return int(self.weight.numel())

    def _prepare(self, input_bound: float, device: torch.device) -> None:
        if self.fixed:
            w, self.post_exp = fp.fold_weight_exp(self.weight, self.weight_exp)
            rows = w.abs().sum(dim=1)
            self.a_bound = float(rows.max()) * input_bound if rows.numel() else 0.0
            if self.post_exp < 0:
                self.a_bound /= 2 ** -self.post_exp
            self.dtype = fp.exact_float_dtype(self.a_bound if self.post_exp == 0 else
                                              float(rows.max()) * input_bound) or torch.int64
            self.weight_t = w.t().contiguous().to(device=device, dtype=self.dtype)
        else:
            self.dtype = torch.float64
            w = self.weight.to(torch.float64) * 2.0 ** self.weight_exp
            self.a_bound = float("inf")
            self.weight_t = w.t().contiguous().to(device)

    def __call__(self, s: torch.Tensor) -> torch.Tensor:
        x = _to_dtype(s, self.dtype)
        if self.fixed and self.post_exp != 0:
            return fp.dense_accumulate(x, self.weight_t, self.post_exp)
        return torch.matmul(x, self.weight_t)


class _Conv(_Synapse):
    """Lava ``Conv`` (and sum pooling, a grouped Conv): exact integer convolution wrapped to
    24 bits in fixed_pt (:func:`fp.conv_accumulate`); plain float convolution otherwise."""

    def __init__(self, weight: np.ndarray, in_shape: Tuple[int, ...], stride, padding,
                 dilation, groups: int, mode: str) -> None:
        self.fixed = mode == "fixed_pt"
        w = np.asarray(weight, dtype=np.float64)
        if self.fixed and not np.all(w == np.round(w)):
            raise ValueError("Loihi synapses need integer weights")
        self.weight = torch.as_tensor(w)
        self.in_shape = tuple(in_shape)
        self.geometry = dict(stride=tuple(stride), padding=tuple(padding),
                             dilation=tuple(dilation), groups=int(groups))
        self.weight_d: Optional[torch.Tensor] = None

    @property
    def num_synapses(self) -> int:
        return int(self.weight.numel())

    def _prepare(self, input_bound: float, device: torch.device) -> None:
        if self.fixed:
            fan = float(self.weight.abs().flatten(1).sum(dim=1).max()) if self.weight.numel() else 0.0
            dtype = fp.exact_float_dtype(fan * input_bound)
            if dtype is None:
                raise EngineError(f"convolution sums may exceed 2^53 (bound {fan * input_bound:g})")
            if device.type == "cuda":
                dtype = torch.float64  # exact with the native (non-cuDNN) CUDA convolution
            self.dtype = dtype
            self.a_bound = min(fan * input_bound, float(2 ** (fp.STATE_BITS - 1)))
        else:
            self.dtype = torch.float64
            self.a_bound = float("inf")
        self.weight_d = self.weight.to(device=device, dtype=self.dtype)

    def __call__(self, s: torch.Tensor) -> torch.Tensor:
        x = _to_dtype(s, self.dtype).reshape(s.shape[0], *self.in_shape)
        if self.fixed:
            out = fp.conv_accumulate(x, self.weight_d, **self.geometry)
        else:
            out = torch.nn.functional.conv2d(x, self.weight_d, **self.geometry)
        return out.reshape(s.shape[0], -1)


class _DelayDense(_Dense):
    """Lava ``DelayDense``: a :class:`_Dense` (same fit, clip and truncation) whose synapse
    ``(i, j)`` delivers ``delays[i, j]`` steps late (a message of step t reaches the neuron at
    t + 1 + delay).  The weights are stacked by delay value, ``(len(delay_values) * n_out,
    n_in)``, so one product gives every delay's sum; like Lava, each delay's sum is shifted by
    ``weight_exp`` on its own.  :class:`_Link` keeps the ring buffer."""

    def __init__(self, weight: np.ndarray, mode: str, delays: np.ndarray,
                 wgt_exp: int = 0) -> None:
        super().__init__(weight, mode, None, wgt_exp)
        n_out, n_in = self.weight.shape
        d = torch.as_tensor(np.asarray(delays, dtype=np.int64))
        self.n_out, self._num = n_out, n_out * n_in
        self.delay_values = [int(k) for k in torch.unique(d)]
        self.weight = torch.cat([torch.where(d == k, self.weight, torch.zeros_like(self.weight))
                                 for k in self.delay_values])

    @property
    def num_synapses(self) -> int:
        return self._num


class _Link:
    """A synapse as the general path runs it, for one run (batch, device).

    Casts the source's messages as a Lava synapse does (:func:`fp.synapse_messages`:
    binary unless ``message_bits > 0``), accumulates them (exactly: the synapse picks its
    dtype from ``input_bound``), wraps Dense sums into int32 as Lava's int32 arithmetic does
    when they can leave it, and delivers a :class:`_DelayDense`'s sums through a ring buffer.
    Returns the synaptic input of the coming step: int64 (``fixed_pt``) or float64.
    """

    def __init__(self, syn: _Synapse, message_bits: int, input_bound: float, batch: int,
                 device: torch.device) -> None:
        self.syn, self.bits = syn, int(message_bits)
        bound = 1.0 if self.bits == 0 else max(float(input_bound), 1.0)
        syn.prepare(bound, device)
        self.out_dtype = torch.int64 if syn.fixed else torch.float64
        self.wrap32 = False
        if syn.fixed and isinstance(syn, _Dense):
            rows = syn.weight.abs().sum(dim=1)
            raw_bound = float(rows.max()) * bound if rows.numel() else 0.0
            self.wrap32 = raw_bound >= 2 ** 31
            if self.wrap32:  # Lava: int32 sum of the clipped weights, then the shift
                dtype = fp.exact_float_dtype(raw_bound) or torch.int64
                self.raw_t = syn.weight.t().contiguous().to(device=device, dtype=dtype)
        self.ring: Optional[torch.Tensor] = None
        if isinstance(syn, _DelayDense):
            self.ring = torch.zeros(max(syn.delay_values) + 1, batch, syn.n_out,
                                    dtype=self.out_dtype, device=device)
            self.pos = 0

    def __call__(self, s: torch.Tensor) -> torch.Tensor:
        syn = self.syn
        if self.bits == 0 and s.dtype != torch.bool:
            s = fp.synapse_messages(s, 0)
        if self.wrap32:
            a = fp.int_matmul(_to_dtype(s, self.raw_t.dtype), self.raw_t)
            a = fp.apply_weight_exp(fp.wrap_int32(a), syn.weight_exp)
        else:
            a = _to_dtype(syn(_to_dtype(s, syn.dtype)), self.out_dtype)
        if self.ring is None:
            return a
        ring, n = self.ring, len(self.ring)
        for j, d in enumerate(syn.delay_values):  # arrives d steps after the plain Dense
            slot = ring[(self.pos + d) % n]
            slot += a[:, j * syn.n_out:(j + 1) * syn.n_out]
            if self.wrap32:
                slot.copy_(fp.wrap_int32(slot))
        out = ring[self.pos].clone()
        ring[self.pos].zero_()
        self.pos = (self.pos + 1) % n
        return out


# --------------------------------------------------------------------------- layers
@dataclass
class _Node:
    """One neuron group of the fused state: file layer ``index``, its slice of the state
    vector, its synapses and which node (or ``-1`` = the data) feeds them."""

    index: int
    kind: str
    shape: Tuple[int, ...]
    params: _Params
    start: int = 0
    synapse: Optional[_Synapse] = None
    recurrent: Optional[_Synapse] = None
    source: int = -1  # node whose spikes feed `synapse` (-1: the data)
    affine: bool = False  # output is the current u, not spikes
    reset_offset: Optional[int] = None
    group: Optional[Group] = None  # the neuron group (general path)
    imag: Optional[_Synapse] = None  # imaginary synapse of a dense_comp layer
    message_bits: int = 0  # bits of the messages `synapse` receives (0: binary)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def stop(self) -> int:
        return self.start + self.size


def _channel_bias(bias: Optional[np.ndarray], shape: Tuple[int, ...]) -> Any:
    if bias is None:
        return 0
    b = np.rint(np.asarray(bias, dtype=np.float64).reshape(-1))  # as netx's builder rounds
    if len(shape) == 3 and b.size == shape[0]:  # per channel over (C, H, W)
        return np.broadcast_to(b.reshape(-1, 1, 1), shape).reshape(-1)
    return b


def _locate(exc: NetxFormatError, path: Optional[str]) -> NetxFormatError:
    """``exc`` with the file filled in, keeping its class."""
    if exc.path is not None or path is None:
        return exc
    return type(exc)(exc.reason, path=path, layer=exc.layer, key=exc.key)


#: neuron updates of a large batch run on row blocks of about this many elements
CHUNK_ELEMENTS = 1 << 15


def _row_chunks(batch: int, size: int) -> List[slice]:
    """Row slices of a ``(batch, size)`` state such that each block holds about
    :data:`CHUNK_ELEMENTS` values (the whole batch when it is smaller)."""
    rows = max(1, CHUNK_ELEMENTS // max(size, 1))
    return [slice(r, min(r + rows, batch)) for r in range(0, batch, rows)]


def _to_dtype(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return x if x.dtype == dtype else x.to(dtype)


class Engine:
    """A ``.net`` network compiled to batched torch tensors.

    All-CUBA networks (``fused``): all neuron groups share one fused state vector
    ``(B, N_total)``; each step does one synaptic operation per layer (matmul or
    convolution, on the previous step's spikes) and one vectorised CUBA update for all
    layers at once (:func:`netx.fixed_point.cuba_step_f64_` in place when provably exact,
    else :func:`netx.fixed_point.cuba_step` in int64).  Networks with ALIF, sigma-delta or RF
    neurons, complex synapses or axonal delays run group by group (:meth:`_run_general`,
    :mod:`netx.engine.neurons`).  Weights must be integers (``fixed_pt``); biases are
    rounded to integer mantissas as netx's Lava builder does.

    Args:
        net: a :class:`netx.spec.Network` or a path to a ``.net`` file.
        mode: ``'fixed_pt'`` (bit-exact with Lava's ``fixed_pt`` models) or ``'floating_pt'``
            (netx's float models: Lava's float equations on the same x64 grid).
        device: torch device (``'cpu'`` or ``'cuda'``).
        reset_interval: zero ``u`` and ``v`` of every neuron group each ``reset_interval``
            steps (Lava ``LIFReset``), as ``netx.hdf5.Network(reset_interval=...)`` does.
        reset_offset: neuron group ``k`` (0 = first, ``flatten`` not counted) resets when
            ``time_step % reset_interval == (reset_offset + k + 1) % reset_interval``; Lava's
            first step is 1 and every synapse lags one step, so with offset 0 group ``k``
            resets exactly when the first step of a new sample reaches it.
        input_shape: input (C, H, W) when the first layer is a conv/pool layer (lava-dl does
            not store it); otherwise known from the file (or taken from the data).
        spike_exp: fraction bits of sigma-delta messages, as ``netx.hdf5.Network``'s
            argument (lava-dl's default 6): thresholds and biases of SDNN layers are scaled
            by ``2**(spike_exp + 6)``.

    Raises:
        EngineError: a layer netx's Lava builder would refuse (same layer and key, see
            :mod:`netx.support`), or a non-CUBA neuron in ``floating_pt`` (the builder has
            only fixed-point models for them).
    """

    def __init__(self, net: Union[spec.Network, str, PathLike], mode: str = "fixed_pt",
                 device: Union[str, torch.device] = "cpu", reset_interval: Optional[int] = None,
                 reset_offset: int = 0, input_shape: Optional[Tuple[int, ...]] = None,
                 spike_exp: int = fp.SD_SPIKE_EXP) -> None:
        self.path = None
        if not isinstance(net, spec.Network):
            self.path = str(net)
            net = spec.read(net)  # validated
        else:
            spec.validate(net)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if reset_interval is not None and int(reset_interval) < 1:
            raise ValueError(f"reset_interval must be >= 1, got {reset_interval}")
        self.net = net
        self.mode = mode
        self.device = torch.device(device)
        self.reset_interval = None if reset_interval is None else int(reset_interval)
        self.reset_offset = int(reset_offset)
        self.spike_exp = int(spike_exp)
        self.nodes: List[_Node] = []
        self._input_shape: Optional[Tuple[int, ...]] = None
        try:
            shape = _check(support.input_shape, net, input_shape)
            if shape is not None:
                self._build(shape)
        except NetxFormatError as exc:
            raise _locate(exc, self.path) from None

    # ----------------------------------------------------------------- building
    @property
    def input_shape(self) -> Optional[Tuple[int, ...]]:
        """Shape (C, H, W) or (N,) of the data the network takes (``None`` until known)."""
        return self._input_shape

    @property
    def output_shape(self) -> Tuple[int, ...]:
        return self.net.output_shape

    def _build(self, in_shape: Tuple[int, ...]) -> None:
        nodes: List[_Node] = []
        prev_shape = in_shape
        source = -1
        start = 0
        self._average: Optional[Tuple[int, ...]] = None
        for i, layer in enumerate(self.net.layers):
            _check(support.check_kind, layer, i)
            if isinstance(layer, spec.FlattenLayer):
                prev_shape = layer.shape  # a reshape: the next synapse reads the same spikes
                continue
            if isinstance(layer, spec.AverageLayer):
                self._average = self._check_average(i, layer, prev_shape)
                continue
            try:
                node = self._node(i, layer, prev_shape, source)
                node.message_bits = (nodes[-1].group.plan.output_message_bits if nodes
                                     else _DATA_MESSAGE_BITS)
            except ValueError as exc:
                if isinstance(exc, NetxFormatError):
                    raise
                raise EngineError(str(exc), layer=i, key="weight") from None
            node.start = start
            if self.reset_interval is not None:
                node.reset_offset = (self.reset_offset + len(nodes) + 1) % self.reset_interval
            start = node.stop
            nodes.append(node)
            source = len(nodes) - 1
            prev_shape = layer.shape
        self.nodes = nodes
        self._input_shape = tuple(in_shape)
        #: all-CUBA, no delays, no complex synapses: the fused path runs it
        self.fused = all(n.group.plan.cuba and n.imag is None
                         and not isinstance(n.synapse, _DelayDense) for n in nodes)
        self._build_params()

    def _check_average(self, i: int, layer: spec.AverageLayer,
                       prev: Tuple[int, ...]) -> Tuple[int, ...]:
        """An ``average`` readout (SLAYER's population average): output ``j`` is the mean of
        the previous layer's outputs ``j*g .. (j+1)*g - 1`` in the same step, computed off
        the neuron grid (no synapse, no delay).  Only as the last layer."""
        _check(support.neuron_plan, layer, i)  # no neuron group on an average layer
        if i != len(self.net.layers) - 1:
            raise EngineError("an average layer is only supported as the last layer",
                              layer=i, key="type")
        n_in, n_out = int(np.prod(prev)), layer.size
        if i == 0 or n_out == 0 or n_in % n_out:
            raise EngineError(f"cannot average {n_in} values into {n_out} groups", layer=i,
                              key="shape")
        return tuple(layer.shape)

    def _node(self, i: int, layer: spec.Layer, prev: Tuple[int, ...], source: int) -> _Node:
        kind = layer.kind
        plan = _check(support.neuron_plan, layer, i, self.reset_interval is not None)
        _check(support.check_layer, layer, i, plan)
        _check(support.check_mode, layer, i, plan, self.mode)
        # CUBA parameters for the fused path (inert placeholders for other neurons)
        params = (_Params(plan.params["i_decay"], plan.params["v_decay"],
                          plan.params["vth_mant"]) if plan.cuba else _Params(4096, 4096, 0))
        if isinstance(layer, spec.InputLayer):
            if i != 0:
                raise EngineError("an input layer must come first", layer=i, key="type")
            return _Node(i, kind, layer.shape, params,
                         group=Group(plan, layer.size, 0, self.mode, self.spike_exp))
        affine = plan.kind == "readout"
        if isinstance(layer, spec.DenseLayer):  # dense, dense_rec, dense_comp
            if affine and type(layer) is not spec.DenseLayer:
                raise EngineError("a recurrent layer needs a neuron group", layer=i,
                                  key="neuron")
            params.bias_mant = _channel_bias(layer.bias, layer.shape)
            fit = None
            second = (layer.weight_rec if isinstance(layer, spec.RecurrentDenseLayer) else
                      layer.weight_imag if isinstance(layer, spec.ComplexDenseLayer) else None)
            weight = np.asarray(layer.weight, np.float64).reshape(layer.size, -1)
            if second is not None:  # fitted together: one exponent, as the builder does
                second = np.asarray(second, np.float64).reshape(layer.size, -1)
                _, bits, exp = fp.fit_dense_weights(np.concatenate([weight, second], axis=1))
                fit = (bits, exp)
            wgt_exp = int(getattr(layer.neuron, "wgt_exp", None) or 0)
            rec = imag = None
            if type(layer) is spec.DenseLayer and layer.delay is not None and np.any(
                    np.asarray(layer.delay) != 0):
                syn: _Synapse = _DelayDense(weight, self.mode, support.synapse_delays(
                    layer.delay, weight.shape), wgt_exp)
            else:
                syn = _Dense(weight, self.mode, fit, wgt_exp)
            if isinstance(layer, spec.RecurrentDenseLayer):
                rec = _Dense(second, self.mode, fit, wgt_exp)
            elif isinstance(layer, spec.ComplexDenseLayer):
                imag = _Dense(second, self.mode, fit)
            return _Node(i, kind, layer.shape, params, synapse=syn, recurrent=rec,
                         source=source, affine=affine, imag=imag,
                         group=Group(plan, layer.size, params.bias_mant, self.mode,
                                     self.spike_exp))
        if type(layer) in (spec.ConvLayer, spec.PoolLayer):
            if len(prev) != 3:
                raise EngineError(f"a {kind} layer needs a (C, H, W) input, got {list(prev)}",
                                  layer=i, key="shape")
            if isinstance(layer, spec.ConvLayer):
                params.bias_mant = _channel_bias(layer.bias, layer.shape)
                syn = _Conv(layer.weight, prev, layer.stride, layer.padding,
                            layer.dilation, layer.groups, self.mode)
            else:  # sum pooling: a depthwise convolution with the pool's fixed weight
                kh, kw = layer.kernel_size
                wgt = np.asarray(1.0 if layer.weight is None else layer.weight, np.float64)
                kernel = np.broadcast_to(wgt.reshape(-1) if wgt.size > 1 else wgt,
                                         (kh * kw,)).reshape(1, 1, kh, kw)
                syn = _Conv(np.repeat(kernel, prev[0], axis=0), prev, layer.stride,
                            layer.padding, layer.dilation, prev[0], self.mode)
            return _Node(i, kind, layer.shape, params, synapse=syn, source=source,
                         group=Group(plan, layer.size, params.bias_mant, self.mode,
                                     self.spike_exp))
        raise EngineError(f"layer type {kind!r} is not supported by the engine",
                          layer=i, key="type")  # pragma: no cover - support.check_kind

    def _build_params(self) -> None:
        """Concatenate the groups' parameters into per-neuron vectors (N_total,)."""
        total = self.nodes[-1].stop if self.nodes else 0
        cat = {k: np.concatenate([_per_neuron(getattr(n.params, k), n.size) for n in self.nodes])
               for k in ("i_decay", "v_decay", "vth_mant", "bias_mant")}
        self.size = total
        dev = self.device
        if self.mode == "fixed_pt":
            def t(a: np.ndarray) -> torch.Tensor:
                return torch.as_tensor(np.ascontiguousarray(a)).to(device=dev, dtype=torch.int64)
            self._i_decay, self._v_decay = t(cat["i_decay"]), t(cat["v_decay"])
            self._vth = fp.threshold(t(cat["vth_mant"]))
            self._bias_mant = t(cat["bias_mant"])
            self.state_dtype = torch.int64
        else:  # netx's float LIF: Lava's float equations on the x64 grid
            def t(a: np.ndarray) -> torch.Tensor:
                return torch.as_tensor(np.ascontiguousarray(a)).to(device=dev, dtype=torch.float64)
            self._i_decay = t(cat["i_decay"]) / fp.DECAY_UNITY
            self._v_decay = t(cat["v_decay"]) / fp.DECAY_UNITY
            self._vth = t(cat["vth_mant"]) * 2.0 ** fp.VTH_SHIFT
            self._bias_mant = t(cat["bias_mant"])
            self.state_dtype = torch.float64

    def _bias(self, bias_mant: torch.Tensor) -> torch.Tensor:
        if self.mode == "fixed_pt":
            return fp.scaled_bias(bias_mant, 6)
        return bias_mant * 64.0

    def _neuron_step(self, state: fp.CubaState, a: torch.Tensor, bias: torch.Tensor
                     ) -> Tuple[fp.CubaState, torch.Tensor]:
        if self.mode == "fixed_pt":
            return fp.cuba_step(state, a, self._i_decay, self._v_decay, self._vth, bias)
        return fp.cuba_step_float(state, a * 2.0 ** fp.ACT_SHIFT, self._i_decay,
                                  self._v_decay, self._vth, bias)

    @property
    def num_neurons(self) -> int:
        return self.size

    @property
    def num_synapses(self) -> int:
        return sum(syn.num_synapses for n in self.nodes
                   for syn in (n.synapse, n.recurrent, n.imag) if syn is not None)

    # ----------------------------------------------------------------- running
    def run(self, inputs: Union[np.ndarray, torch.Tensor], steps: Optional[int] = None,
            input_mode: str = "spikes", return_layers: bool = False, progress: bool = False,
            threads: Optional[int] = None, method: str = "auto"
            ) -> Union[np.ndarray, Tuple[np.ndarray, List[LayerTrace]]]:
        """Run the network on one sample or a batch.

        Args:
            inputs: Lava layout.  ``input_mode='spikes'``: ``(*lava_shape(in), T)`` for one
                sample or ``(B, *lava_shape(in), T)`` for a batch; values are spikes (0/1 or
                bool) or graded integers added to the input neuron's ``a_in`` (or fed to the
                first synapse when the network has no ``input`` layer).
                ``input_mode='bias'``: ``(*lava_shape(in))`` or ``(B, *lava_shape(in))``, the
                input neuron's ``bias_mant`` held for every step (bias_exp 6).
            steps: number of steps (default: the input's T; for ``bias``, the file's
                ``simulation/tSample``).  Spike inputs shorter than ``steps`` are padded with 0.
            return_layers: also return a :class:`LayerTrace` per layer (``flatten`` omitted).
            progress: show a tqdm bar over the steps.
            threads: CPU threads for torch during the run (restored afterwards).  Default:
                1 when ``batch * neurons <= 2^21`` (per-step tensors too small for threads
                to pay off; on a busy machine extra threads cost up to 10x), else torch's
                setting.  For the event kernel: numba threads, one block of samples each
                (default: one per CPU, at most one per sample).
            method: ``'auto'`` (default): the event-driven CPU kernel
                (:mod:`netx.engine.event`) when it applies — ``fixed_pt`` on the CPU, numba
                installed, CUBA groups fed by Dense synapses, no ``return_layers`` — else
                the tensor engine; ``'event'``: that kernel (:class:`EngineError` when it
                does not apply); ``'tensor'``: the tensor engine.  Results are identical.

        Returns:
            The output layer's spikes (bool) — or, for a sigma-delta layer, its graded
            messages (int64; a ``sigma_output`` readout sends its running sum); for an
            affine readout, its current ``u`` (int64, float64 in ``floating_pt``); for a
            final ``average`` layer, the float64 group means of the previous layer's
            output — in Lava layout ``([B,] *lava_shape(out), T)``; with ``return_layers``,
            a tuple ``(output, traces)``.
        """
        try:
            return self._run_checked(inputs, steps, input_mode, return_layers, progress,
                                     threads, method)
        except NetxFormatError as exc:
            raise _locate(exc, self.path) from None

    def _run_checked(self, inputs, steps, input_mode, return_layers, progress, threads,
                     method):
        if method not in RUN_METHODS:
            raise ValueError(f"method must be one of {RUN_METHODS}, got {method!r}")
        values = (inputs.detach().cpu().numpy() if torch.is_tensor(inputs)
                  else np.asarray(inputs))
        _check(support.check_input_values, values, input_mode, self.mode)
        x = inputs if torch.is_tensor(inputs) else torch.as_tensor(values)
        timed = input_mode == "spikes"
        in_shape = self._input_shape or self._infer_input_shape(x, timed)
        if not self.nodes or self._input_shape != in_shape:
            self._build(in_shape)
        lava_in = spec.lava_shape(in_shape)
        batched = x.ndim == len(lava_in) + (2 if timed else 1)
        expect = len(lava_in) + int(timed)
        if x.ndim not in (expect, expect + 1) or tuple(
                x.shape[int(batched):int(batched) + len(lava_in)]) != lava_in:
            raise EngineError(
                f"input of shape {tuple(x.shape)} does not fit the network input {lava_in}: "
                f"expected ([B,] {', '.join(map(str, lava_in))}{', T' if timed else ''}) "
                "in Lava layout", key="input")
        if self.mode == "fixed_pt":
            x = x.to(torch.int64)
        else:
            x = x.to(torch.float64)
        x = to_internal(x, in_shape, batched, timed).to(self.device)
        steps = support.run_steps(self.net, steps, int(x.shape[0]) if timed else None)
        if input_mode == "bias":
            _check(support.check_bias_input, self.net)
        if input_mode == "bias" and not self.nodes[0].group.has_bias:
            raise EngineError("input_mode='bias' needs an input neuron with a bias (CUBA or "
                              f"ALIF), not '{self.net.layers[0].neuron.type}'", layer=0,
                              key="neuron/type")
        # bias data lie within support.BIAS_INPUT_RANGE, so the event kernel's int32 neuron
        # step holds them (<< 6) as it holds any spike or graded data
        plan = self._event_plan(method, return_layers)
        if plan is not None:
            return self._run_event(plan, x, int(steps), timed, batched, progress, threads)
        run = self._run if self.fused else self._run_general
        if self.device.type == "cuda":
            with _exact_cuda():
                return run(x, int(steps), timed, batched, return_layers, progress)
        batch = x.shape[1] if timed else x.shape[0]
        if threads is None and batch * self.size <= 2 ** 21:
            threads = 1
        saved = torch.get_num_threads()
        if threads is not None:
            torch.set_num_threads(int(threads))
        try:
            return run(x, int(steps), timed, batched, return_layers, progress)
        finally:
            torch.set_num_threads(saved)

    def _event_plan(self, method: str, return_layers: bool):
        """The event kernel's plan when ``method`` asks for it and it applies, else None."""
        if method == "tensor":
            return None
        why = None
        if return_layers:
            why = "per-layer traces (return_layers=True) come from the tensor engine"
        elif not event.available():
            why = "numba is not installed"
        else:
            if getattr(self, "_event", (None,))[0] is not self.nodes:
                self._event = (self.nodes, event.plan(self))
            if self._event[1] is None:
                why = ("it runs fixed_pt CUBA layers fed by Dense synapses on the CPU "
                       "(this network or mode has more)")
        if why is None:
            return self._event[1]
        if method == "event":
            raise EngineError(f"method='event' cannot run this: {why}", key="method")
        return None

    def _run_event(self, plan, x: torch.Tensor, steps: int, timed: bool, batched: bool,
                   progress: bool, threads: Optional[int]) -> np.ndarray:
        """Run on the event kernel (in blocks of samples when a progress bar is shown)."""
        data = x.cpu().numpy()
        batch = data.shape[1] if timed else data.shape[0]
        blocks = [slice(0, batch)]
        bar = None
        if progress:
            from tqdm.auto import tqdm
            size = max(1, min(batch, 64))
            blocks = [slice(i, min(i + size, batch)) for i in range(0, batch, size)]
            bar = tqdm(total=batch, desc="netx engine (event)", unit="sample")
        parts = []
        for rows in blocks:
            part = data[:, rows] if timed else data[rows]
            parts.append(event.run(plan, part, steps, timed, threads))
            if bar is not None:
                bar.update(rows.stop - rows.start)
        if bar is not None:
            bar.close()
        out = torch.from_numpy(np.concatenate(parts, axis=1))  # (T, B, n) int64
        return self._output(out if self.nodes[-1].affine else out.bool(), batched)

    def _output(self, out: torch.Tensor, batched: bool) -> np.ndarray:
        """The output layer's record ``(T, B, N)`` in Lava layout; for a final ``average``
        layer, the float64 means of its groups."""
        if self._average is None:
            return to_lava(out, self.nodes[-1].shape, batched)
        steps, batch = out.shape[0], out.shape[1]
        n_out = int(np.prod(self._average))
        mean = out.to(torch.float64).reshape(steps, batch, n_out, -1).mean(dim=-1)
        return to_lava(mean, self._average, batched)

    def _infer_input_shape(self, x: torch.Tensor, timed: bool) -> Tuple[int, ...]:
        first = self.net.layers[0]
        ndim = x.ndim - int(timed)
        if isinstance(first, (spec.ConvLayer, spec.PoolLayer)) and ndim in (3, 4):
            w, h, c = x.shape[ndim - 3:ndim]
            return (int(c), int(h), int(w))
        raise EngineError("cannot tell the network's input shape; pass input_shape=(C, H, W)",
                          layer=0, key="shape")

    def _hints(self, bounds: List[float]) -> Tuple[List[slice], List[slice]]:
        """Column slices where the current decays (iDecay < 4096) and where it can leave 24
        bits (|u| <= 64 A / (1 - keep) for synaptic inputs bounded by A), merged."""
        keep = fp.keep_factor(self._i_decay.cpu())
        decays, wraps = [], []
        for n, bound in zip(self.nodes, bounds):
            k = float(keep[n.start:n.stop].max()) if n.size else 0.0
            if k > 0:
                decays.append((n.start, n.stop))
            limit = 2 ** fp.ACT_SHIFT * bound / (1 - k) if k < 1 else float("inf")
            if not limit < fp.STATE_MAX - 1:
                wraps.append((n.start, n.stop))

        def merge(spans: List[Tuple[int, int]]) -> List[slice]:
            out: List[List[int]] = []
            for lo, hi in spans:
                if out and out[-1][1] == lo:
                    out[-1][1] = hi
                else:
                    out.append([lo, hi])
            return [slice(lo, hi) for lo, hi in out]
        return merge(decays), merge(wraps)

    def _run(self, x: torch.Tensor, steps: int, timed: bool, batched: bool,
             return_layers: bool, progress: bool):
        nodes, dev = self.nodes, self.device
        batch = x.shape[1] if timed else x.shape[0]
        first, last = nodes[0], nodes[-1]
        input_node = first.kind == "input"
        # exact compute dtypes: neurons emit 0/1; the data may be graded
        data_bound = float(x.abs().max()) if timed and x.numel() else 0.0
        a_bound = data_bound if input_node else 0.0
        node_bounds = []
        for n in nodes:
            bound = data_bound if n.synapse is None else 0.0
            if n.synapse is not None:
                n.synapse.prepare(max(data_bound, 1.0) if n.source < 0 else 1.0, dev)
                bound = n.synapse.a_bound
                if n.recurrent is not None:
                    n.recurrent.prepare(1.0, dev)
                    bound += n.recurrent.a_bound
            node_bounds.append(bound)
            a_bound = max(a_bound, bound)
        # fast path: float64 state holding integers, updated in place (fp.cuba_step_f64_)
        fast = self.mode == "fixed_pt" and a_bound < fp.F64_INPUT_LIMIT
        sdt = torch.float64 if (fast or self.mode != "fixed_pt") else torch.int64
        # per-sample biases: the input group's bias_mant is the data in 'bias' mode
        bias_mant = self._bias_mant
        if not timed:
            bias_mant = bias_mant.expand(batch, -1).clone()
            bias_mant[:, first.start:first.stop] = x.to(bias_mant.dtype)
        bias = self._bias(bias_mant).to(sdt)
        if fast:
            keep_u, keep_v = fp.keep_factor(self._i_decay).to(dev), fp.keep_factor(self._v_decay).to(dev)
            vth = self._vth.to(torch.float64)
            decay_u, wrap_u = self._hints(node_bounds)
        u = torch.zeros(batch, self.size, dtype=sdt, device=dev)
        v = torch.zeros_like(u)
        a = torch.zeros_like(u)
        work = torch.empty_like(u) if fast else None
        spikes = torch.zeros(batch, self.size, dtype=torch.bool, device=dev)
        x_zero = torch.zeros(x.shape[1:], dtype=x.dtype, device=dev)
        x_prev = x_zero
        out = torch.empty(steps, batch, last.size, dtype=sdt if last.affine else torch.bool,
                          device=dev)
        rec = None
        if return_layers:
            rec = {k: torch.empty(steps, batch, self.size, dtype=d, device=dev)
                   for k, d in (("s", torch.bool), ("u", sdt), ("v", sdt))}
        resets = [(n.start, n.stop, n.reset_offset) for n in nodes if n.reset_offset is not None]
        t_iter: Any = range(steps)
        if progress:
            from tqdm.auto import tqdm
            t_iter = tqdm(t_iter, desc="netx engine", unit="step")
        # spikes converted once per step into one buffer per synapse dtype; fixed views
        bufs: Dict[torch.dtype, torch.Tensor] = {}
        for n in nodes:
            for syn in (n.synapse, n.recurrent):
                if syn is not None and syn.dtype not in bufs:
                    bufs[syn.dtype] = torch.zeros(batch, self.size, dtype=syn.dtype, device=dev)
        plan = []
        for n in nodes:
            if n.synapse is None:
                continue
            src = None if n.source < 0 else bufs[n.synapse.dtype][
                :, nodes[n.source].start:nodes[n.source].stop]
            rec_src = None if n.recurrent is None else bufs[n.recurrent.dtype][:, n.start:n.stop]
            plan.append((n.synapse, src, n.recurrent, rec_src, a[:, n.start:n.stop]))
        a_input = a[:, first.start:first.stop] if input_node and timed else None
        # fast path: the in-place step writes its 0/1 spikes straight into a synapse buffer
        spike_buf = next(iter(bufs.values())) if fast and bufs else None
        chunks = _row_chunks(batch, self.size) if fast else []
        for t in t_iter:
            time_step = t + 1
            x_t = x[t] if timed and t < x.shape[0] else x_zero
            for buf in bufs.values():
                if buf is not spike_buf:
                    buf.copy_(spikes if spike_buf is None else spike_buf)
            for syn, src, recur, rec_src, a_view in plan:  # input from the previous step
                a_view.copy_(syn(x_prev if src is None else src))
                if recur is not None:
                    a_view.add_(_to_dtype(recur(rec_src), a_view.dtype))
            if a_input is not None:
                a_input.copy_(x_t)
            if resets and self.reset_interval is not None:
                phase = time_step % self.reset_interval
                for lo, hi, off in resets:
                    if phase == off:
                        u[:, lo:hi] = 0
                        v[:, lo:hi] = 0
            if fast:
                s_out = spikes if spike_buf is None else spike_buf
                if len(chunks) == 1:
                    fp.cuba_step_f64_(u, v, a, keep_u, keep_v, vth, bias, s_out, decay_u,
                                      wrap_u, work)
                for rows in chunks if len(chunks) > 1 else ():
                    # row blocks that stay in cache through the ~20 passes of the step
                    fp.cuba_step_f64_(u[rows], v[rows], a[rows], keep_u, keep_v, vth,
                                      bias if bias.dim() < 2 else bias[rows],
                                      s_out[rows], decay_u, wrap_u, work[rows])
            else:
                (u, v), spikes = self._neuron_step(fp.CubaState(u, v), a, bias)
                s_out = spikes
            out[t] = u[:, last.start:] if last.affine else s_out[:, last.start:]
            if rec is not None:
                rec["s"][t], rec["u"][t], rec["v"][t] = s_out, u, v
            x_prev = x_t
        int_out = self.mode == "fixed_pt"
        result = self._output(out.to(torch.int64) if int_out and last.affine else out, batched)
        if rec is None:
            return result
        if int_out:
            rec["u"], rec["v"] = rec["u"].to(torch.int64), rec["v"].to(torch.int64)
        traces = [LayerTrace(index=n.index, kind=n.kind,
                             spikes=to_lava(rec["s"][..., n.start:n.stop], n.shape, batched),
                             u=to_lava(rec["u"][..., n.start:n.stop], n.shape, batched),
                             v=to_lava(rec["v"][..., n.start:n.stop], n.shape, batched))
                  for n in nodes]
        return result, traces

    def _run_general(self, x: torch.Tensor, steps: int, timed: bool, batched: bool,
                     return_layers: bool, progress: bool):
        """Group by group: every synapse reads the previous step's messages (through its
        :class:`_Link`), then every group takes one step (:class:`Group`)."""
        nodes, dev = self.nodes, self.device
        batch = x.shape[1] if timed else x.shape[0]
        first, last = nodes[0], nodes[-1]
        data_bound = float(x.abs().max()) if timed and x.numel() else 0.0
        links = []
        for n in nodes:
            n.group.prepare(dev)
            ff = rec = imag = None
            if n.synapse is not None:
                bound = data_bound if n.source < 0 else nodes[n.source].group.message_bound
                ff = _Link(n.synapse, n.message_bits, bound, batch, dev)
                if n.imag is not None:
                    imag = _Link(n.imag, n.message_bits, bound, batch, dev)
                if n.recurrent is not None:  # Lava's recurrent synapse: binary messages
                    rec = _Link(n.recurrent, 0, 1.0, batch, dev)
            links.append((ff, rec, imag))
        in_dtype = torch.int64 if self.mode == "fixed_pt" else torch.float64
        biases = [n.group.bias(x.to(n.group.bias_base.dtype) if (n is first and not timed)
                               else None) for n in nodes]
        states = [n.group.zero_state(batch) for n in nodes]
        prev = [torch.zeros(batch, n.size, dtype=n.group.out_dtype, device=dev) for n in nodes]
        zeros = [torch.zeros(batch, n.size, dtype=in_dtype, device=dev) for n in nodes]
        x_zero = torch.zeros(x.shape[1:], dtype=x.dtype, device=dev)
        x_prev = x_zero
        feed_input = first.kind == "input" and timed
        out_steps: List[torch.Tensor] = []
        rec_steps: List[List[Tuple[torch.Tensor, Dict[str, torch.Tensor]]]] = []
        t_iter: Any = range(steps)
        if progress:
            from tqdm.auto import tqdm
            t_iter = tqdm(t_iter, desc="netx engine", unit="step")
        for t in t_iter:
            time_step = t + 1
            x_t = x[t] if timed and t < x.shape[0] else x_zero
            outs = []
            for k, (n, (ff, rec, imag)) in enumerate(zip(nodes, links)):
                a_imag = None
                if ff is None:
                    a = x_t.to(in_dtype) if (k == 0 and feed_input) else zeros[k]
                else:  # the messages of the previous step
                    src = x_prev if n.source < 0 else prev[n.source]
                    a = ff(src)
                    if rec is not None:
                        a = a + rec(prev[k])
                    if imag is not None:
                        a_imag = imag(src)
                if (n.reset_offset is not None and self.reset_interval is not None
                        and time_step % self.reset_interval == n.reset_offset):
                    states[k] = n.group.reset(states[k])
                states[k], out = n.group.step(states[k], a, a_imag, biases[k])
                outs.append(out)
            prev, x_prev = outs, x_t
            out_steps.append(states[-1].u if last.affine else outs[-1])
            if return_layers:
                rec_steps.append([(o, n.group.trace(st)) for n, o, st in zip(nodes, outs, states)])
        out = (torch.stack(out_steps) if out_steps else torch.zeros(
            0, batch, last.size, dtype=torch.int64, device=dev))
        result = self._output(out, batched)
        if not return_layers:
            return result
        traces = []
        for k, n in enumerate(nodes):
            spikes = to_lava(torch.stack([r[k][0] for r in rec_steps]), n.shape, batched)
            named = {name: to_lava(torch.stack([r[k][1][name] for r in rec_steps]), n.shape,
                                   batched) for name in rec_steps[0][k][1]} if rec_steps else {}
            u, v = named.pop("u", None), named.pop("v", None)
            traces.append(LayerTrace(index=n.index, kind=n.kind, spikes=spikes, u=u, v=v,
                                     state=named))
        return result, traces


#: messages the data sends into a first synapse (no input layer): graded values multiply
_DATA_MESSAGE_BITS = 24


def _check(check: Any, *args: Any) -> Any:
    """A :mod:`netx.support` check whose refusal becomes an :class:`EngineError`."""
    try:
        return check(*args)
    except EngineError:
        raise
    except NetxFormatError as exc:
        raise EngineError(exc.reason, layer=exc.layer, key=exc.key) from None
