"""Plain typed data for a ``.net`` network: one small dataclass per primitive.

Serialisation lives in :mod:`netx.spec.hdf5io`, checks in :mod:`netx.spec.validate`.
Every field that is stored in the file names its hdf5 key in ``metadata['key']``; fields
without a key are derived.  Units and fixed-point meaning are documented in ``docs/spec.md``.

Conventions:

* ``shape`` is a layer's *output* shape in the order the file stores it: ``(C, H, W)`` for
  spatial layers, ``(N,)`` for dense ones.  Lava processes use ``(W, H, C)``: see
  :func:`lava_shape`.
* Neuron parameters are Python scalars when shared by the layer and 1-D ``numpy`` arrays
  (flattened in ``C, H, W`` order) when given per neuron.
* Weights keep the dtype they were read with (lava-dl writes float32 holding integers for
  fixed-point networks).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, List, Optional, Tuple, Type, Union

import numpy as np

Scalar = Union[int, float, bool]
Param = Union[int, float, np.ndarray]  # scalar, or one value per neuron
Pair = Tuple[int, int]

FORMAT_VERSION = "1.0"


def key(name: str, kind: str, optional: bool = False) -> Dict[str, Any]:
    """Field metadata: the hdf5 ``key`` of a stored field, how to decode it and whether the
    file may omit it.  Kinds: ``int``, ``float``, ``bool``, ``str``, ``shape`` (positive ints),
    ``pair`` ((y, x), a scalar means both), ``array`` (numeric dataset, dtype kept) and
    ``param`` (a scalar, or one value per neuron)."""
    return {"key": name, "kind": kind, "optional": optional}


def deep_equal(a: Any, b: Any) -> bool:
    """Structural equality that understands numpy arrays (dtype included) and dataclasses."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and bool(np.array_equal(a, b)))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            deep_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(deep_equal(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return (isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(deep_equal(x, y) for x, y in zip(a, b)))
    return type(a) is type(b) and a == b


class _Data:
    """Mixin: equality by :func:`deep_equal` (dataclass ``eq`` cannot compare arrays)."""

    def __eq__(self, other: object) -> bool:
        return deep_equal(self, other)

    __hash__ = None  # type: ignore[assignment]


# --------------------------------------------------------------------------- simulation
@dataclass(eq=False)
class Simulation(_Data):
    """``simulation/``: ``Ts`` is the sample time (time-step length, usually 1), ``tSample``
    the number of steps per sample (``None`` if the file does not say)."""

    Ts: float = field(default=1.0, metadata=key("Ts", "float"))
    tSample: Optional[int] = field(default=None, metadata=key("tSample", "int", optional=True))


# --------------------------------------------------------------------------- neurons
@dataclass(eq=False)
class Neuron(_Data):
    """Base of the ``layer/<i>/neuron`` group.  ``extra`` keeps keys we do not model
    (training-only ``tauRho``, ``scaleRho``, ``theta``, ...) so files round-trip."""

    TYPES: ClassVar[Tuple[str, ...]] = ()
    type: str = field(default="", metadata=key("type", "str"))
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class CubaNeuron(Neuron):
    """Current-based LIF on the Loihi grid.

    Per step: ``u = u (4096 - iDecay)/4096 + 64 a``; ``v = v (4096 - vDecay)/4096 + u + bias``;
    spike when ``v > vThMant * 64``, then ``v = 0``.  Decays are integers out of 4096.
    ``LOIHI`` is the legacy name of the same model.
    """

    TYPES: ClassVar[Tuple[str, ...]] = ("CUBA", "LOIHI")
    type: str = field(default="CUBA", metadata=key("type", "str"))
    i_decay: Param = field(default=0, metadata=key("iDecay", "param"))
    v_decay: Param = field(default=0, metadata=key("vDecay", "param"))
    vth_mant: Param = field(default=0, metadata=key("vThMant", "param"))
    ref_delay: Optional[int] = field(default=1, metadata=key("refDelay", "int", optional=True))
    wgt_exp: Optional[int] = field(default=None, metadata=key("wgtExp", "int", optional=True))
    graded_spike: Optional[bool] = field(default=None,
                                         metadata=key("gradedSpike", "bool", optional=True))
    message_bits: Optional[int] = field(default=None,
                                        metadata=key("messageBits", "int", optional=True))


@dataclass(eq=False)
class AlifNeuron(CubaNeuron):
    """Adaptive-threshold CUBA-LIF: the threshold rises by ``vThStep`` per spike and decays
    with ``thDecay``; a refractory state decays with ``refDecay`` (all out of 4096)."""

    TYPES: ClassVar[Tuple[str, ...]] = ("ALIF",)
    type: str = field(default="ALIF", metadata=key("type", "str"))
    th_decay: Param = field(default=0, metadata=key("thDecay", "param"))
    ref_decay: Param = field(default=0, metadata=key("refDecay", "param"))
    vth_step: Param = field(default=0, metadata=key("vThStep", "param"))


@dataclass(eq=False)
class RfNeuron(Neuron):
    """Resonate-and-fire neuron: a complex state rotated and decayed by ``sinDecay`` and
    ``cosDecay`` (out of 4096) each step; spikes on a phase crossing above ``vThMant``."""

    TYPES: ClassVar[Tuple[str, ...]] = ("RF_PHASE", "RF_IZHIKEVICH")
    type: str = field(default="RF_PHASE", metadata=key("type", "str"))
    sin_decay: Param = field(default=0, metadata=key("sinDecay", "param"))
    cos_decay: Param = field(default=0, metadata=key("cosDecay", "param"))
    vth_mant: Param = field(default=0, metadata=key("vThMant", "param"))
    graded_spike: Optional[bool] = field(default=None,
                                         metadata=key("gradedSpike", "bool", optional=True))
    message_bits: Optional[int] = field(default=None,
                                        metadata=key("messageBits", "int", optional=True))


@dataclass(eq=False)
class AdrfNeuron(RfNeuron):
    """Adaptive resonate-and-fire: RF plus an adaptive threshold (``thDecay``, ``vThStep``)
    and refractory decay ``refDecay``."""

    TYPES: ClassVar[Tuple[str, ...]] = ("ADRF_PHASE", "ADRF_IZHIKEVICH")
    type: str = field(default="ADRF_PHASE", metadata=key("type", "str"))
    th_decay: Param = field(default=0, metadata=key("thDecay", "param"))
    ref_decay: Param = field(default=0, metadata=key("refDecay", "param"))
    vth_step: Param = field(default=0, metadata=key("vThStep", "param"))


@dataclass(eq=False)
class SdnnNeuron(Neuron):
    """Sigma-delta neuron: accumulates graded input (sigma), applies ``activation`` and sends
    the change of its output when it exceeds ``vThMant`` (delta); messages are graded with
    ``messageBits`` bits.  ``sigma_output`` marks a readout that sends the sigma itself."""

    TYPES: ClassVar[Tuple[str, ...]] = ("SDNN",)
    type: str = field(default="SDNN", metadata=key("type", "str"))
    vth_mant: Param = field(default=0, metadata=key("vThMant", "param"))
    activation: str = field(default="relu", metadata=key("activation", "str", optional=True))
    sigma_output: Optional[bool] = field(default=None,
                                         metadata=key("sigma_output", "bool", optional=True))
    message_bits: Optional[int] = field(default=None,
                                        metadata=key("messageBits", "int", optional=True))


NEURON_TYPES: Dict[str, Type[Neuron]] = {
    t: cls for cls in (CubaNeuron, AlifNeuron, RfNeuron, AdrfNeuron, SdnnNeuron) for t in cls.TYPES
}


# --------------------------------------------------------------------------- layers
@dataclass(eq=False)
class Layer(_Data):
    """Base of ``layer/<i>``: ``shape`` is the output shape as stored (C, H, W) or (N,)."""

    kind: ClassVar[str] = ""
    shape: Tuple[int, ...] = field(default=(), metadata=key("shape", "shape"))
    neuron: Optional[Neuron] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of output neurons."""
        return int(np.prod(self.shape)) if self.shape else 0

    @property
    def spiking(self) -> bool:
        """Whether the layer has a neuron group (a dense layer without one is an affine
        readout whose output is its synaptic current)."""
        return self.neuron is not None


@dataclass(eq=False)
class InputLayer(Layer):
    """``input``: where data enters.  ``weight`` and ``bias`` are a learned scalar input
    transform (``x * weight + bias`` on the x64 grid) for the user to apply to data."""

    kind: ClassVar[str] = "input"
    weight: Optional[Param] = field(default=None, metadata=key("weight", "param", optional=True))
    bias: Optional[Param] = field(default=None, metadata=key("bias", "param", optional=True))


@dataclass(eq=False)
class DenseLayer(Layer):
    """``dense``: ``weight`` (n_out, n_in) on the x64 grid; optional ``bias`` (n_out,)
    and axonal ``delay`` (one value, per output neuron or per input, in steps)."""

    kind: ClassVar[str] = "dense"
    weight: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)),
                               metadata=key("weight", "array"))
    bias: Optional[np.ndarray] = field(default=None, metadata=key("bias", "array", optional=True))
    delay: Optional[np.ndarray] = field(default=None, metadata=key("delay", "array", optional=True))

    @property
    def in_features(self) -> int:
        return int(self.weight.shape[1]) if self.weight.ndim == 2 else 1

    @property
    def out_features(self) -> int:
        return int(self.weight.shape[0])


@dataclass(eq=False)
class RecurrentDenseLayer(DenseLayer):
    """``dense_rec``: a dense layer whose output spikes also feed back through
    ``weight_rec`` (n_out, n_out), one step later."""

    kind: ClassVar[str] = "dense_rec"
    weight_rec: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)),
                                   metadata=key("weight_rec", "array"))


@dataclass(eq=False)
class ComplexDenseLayer(DenseLayer):
    """``dense_comp``: complex weights stored as ``weight/real`` and ``weight/imag``
    (n_out, n_in); ``weight`` holds the real part."""

    kind: ClassVar[str] = "dense_comp"
    weight: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)),
                               metadata=key("weight/real", "array"))
    weight_imag: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)),
                                    metadata=key("weight/imag", "array"))


@dataclass(eq=False)
class ConvLayer(Layer):
    """``conv``: ``weight`` (C_out, C_in/groups, kH, kW) in PyTorch order (the file's
    trailing time axis of length 1 is dropped); geometry pairs are (y, x)."""

    kind: ClassVar[str] = "conv"
    weight: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 1, 1)),
                               metadata=key("weight", "array"))
    bias: Optional[np.ndarray] = field(default=None, metadata=key("bias", "array", optional=True))
    kernel_size: Pair = field(default=(1, 1), metadata=key("kernelSize", "pair"))
    stride: Pair = field(default=(1, 1), metadata=key("stride", "pair", optional=True))
    padding: Pair = field(default=(0, 0), metadata=key("padding", "pair", optional=True))
    dilation: Pair = field(default=(1, 1), metadata=key("dilation", "pair", optional=True))
    groups: int = field(default=1, metadata=key("groups", "int", optional=True))

    @property
    def in_channels(self) -> int:
        return int(self.weight.shape[1]) * self.groups

    @property
    def out_channels(self) -> int:
        return int(self.weight.shape[0])


@dataclass(eq=False)
class ConvTransposeLayer(ConvLayer):
    """``convT``: transposed convolution, same fields as ``conv`` (weight (C_in, C_out/groups,
    kH, kW) as PyTorch stores transposed kernels)."""

    kind: ClassVar[str] = "convT"

    @property
    def in_channels(self) -> int:
        return int(self.weight.shape[0])

    @property
    def out_channels(self) -> int:
        return int(self.weight.shape[1]) * self.groups


@dataclass(eq=False)
class PoolLayer(Layer):
    """``pool``: sum pooling over ``kernel_size`` windows; ``weight`` is one value or one
    per kernel tap (lava-dl writes shape (1, 1, kH, kW)) on the x64 grid."""

    kind: ClassVar[str] = "pool"
    weight: Optional[np.ndarray] = field(default=None,
                                         metadata=key("weight", "array", optional=True))
    kernel_size: Pair = field(default=(1, 1), metadata=key("kernelSize", "pair"))
    stride: Pair = field(default=(1, 1), metadata=key("stride", "pair", optional=True))
    padding: Pair = field(default=(0, 0), metadata=key("padding", "pair", optional=True))
    dilation: Pair = field(default=(1, 1), metadata=key("dilation", "pair", optional=True))


@dataclass(eq=False)
class UnpoolLayer(PoolLayer):
    """``unpool``: spreads each input over a ``kernel_size`` window (inverse of pool)."""

    kind: ClassVar[str] = "unpool"


@dataclass(eq=False)
class FlattenLayer(Layer):
    """``flatten``: the next dense layer reads the previous output in (C, H, W) order."""

    kind: ClassVar[str] = "flatten"


@dataclass(eq=False)
class AverageLayer(Layer):
    """``average``: averages the previous output over groups of neurons (a readout)."""

    kind: ClassVar[str] = "average"


@dataclass(eq=False)
class ConcatLayer(Layer):
    """``concat``: concatenates the outputs of earlier layers along channels."""

    kind: ClassVar[str] = "concat"


LAYER_TYPES: Dict[str, Type[Layer]] = {
    cls.kind: cls for cls in (InputLayer, DenseLayer, RecurrentDenseLayer, ComplexDenseLayer,
                              ConvLayer, ConvTransposeLayer, PoolLayer, UnpoolLayer,
                              FlattenLayer, AverageLayer, ConcatLayer)
}


# --------------------------------------------------------------------------- network
@dataclass(eq=False)
class Network(_Data):
    """A whole ``.net`` file.

    Attributes:
        layers: ``layer/0``, ``layer/1``, ... in order.
        simulation: the ``simulation`` group, if present.
        format_version: the root attribute our writer adds; ``None`` for lava-dl files.
        extras: other top-level groups as nested dicts of arrays (e.g. the compiler's
            ``compiler`` group).  lava-dl readers ignore them.
    """

    layers: List[Layer] = field(default_factory=list)
    simulation: Optional[Simulation] = None
    format_version: Optional[str] = None
    extras: Dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    @property
    def input_shape(self) -> Optional[Tuple[int, ...]]:
        """Shape (C, H, W) or (N,) of the data the network takes, if it can be known."""
        shapes = input_shapes(self)
        return shapes[0] if shapes else None

    @property
    def output_shape(self) -> Tuple[int, ...]:
        return self.layers[-1].shape if self.layers else ()


def lava_shape(shape: Tuple[int, ...]) -> Tuple[int, ...]:
    """Lava's ``(X, Y, C) = (W, H, C)`` order for a stored ``(C, H, W)`` or ``(N,)`` shape."""
    if len(shape) == 3:
        c, h, w = shape
        return (w, h, c)
    return tuple(shape)


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length of a convolution/pooling along one axis (floor mode)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def input_shapes(net: Network) -> List[Optional[Tuple[int, ...]]]:
    """Input shape (C, H, W) or (N,) of every layer; ``None`` where it cannot be known
    (a first conv layer's spatial size is not stored by lava-dl)."""
    shapes: List[Optional[Tuple[int, ...]]] = []
    prev: Optional[Tuple[int, ...]] = None
    for i, layer in enumerate(net.layers):
        if i == 0:
            if isinstance(layer, DenseLayer):
                prev = (layer.in_features,)
            elif isinstance(layer, InputLayer):
                prev = layer.shape
            else:
                prev = None
        shapes.append(prev)
        prev = layer.shape
    return shapes
