"""Consistency checks of a network model, layer by layer.

:func:`validate` is the format boundary: the reader calls it after decoding, the writer
before encoding, and the Lava builder and engine rely on what it guarantees:

* every layer has a positive shape and at most :data:`MAX_ELEMENTS` neurons;
* per-neuron parameters have one value per neuron; decays lie in [0, 4096], thresholds are
  >= 0; ``refDelay``, ``wgtExp`` and ``messageBits`` lie in :data:`INT_RANGES`;
* weights, biases and delays are finite numbers below :data:`MAX_MAGNITUDE` in size, vectors
  are 1-D, and shapes agree with the previous layer's output and this layer's shape (dense
  fan-in, conv channels and output size, pooling output size);
* ``simulation/Ts`` > 0 and ``simulation/tSample`` >= 1.
"""

from __future__ import annotations

import dataclasses
from os import PathLike
from typing import Optional, Tuple, Union

import numpy as np

from ..errors import NetxFormatError
from .model import (AverageLayer, ComplexDenseLayer, ConcatLayer, ConvLayer,
                    ConvTransposeLayer, DenseLayer, FlattenLayer, InputLayer,
                    Layer, Network, Neuron, PoolLayer, RecurrentDenseLayer, Simulation,
                    UnpoolLayer,
                    conv_output_size, input_shapes)

#: refuse layers and datasets larger than this before allocating them (2^30 values).
MAX_ELEMENTS = 2 ** 30
DECAY_MAX = 4096
DECAY_KEYS = ("iDecay", "vDecay", "thDecay", "refDecay", "sinDecay", "cosDecay")
#: ranges of the neuron groups' integer keys (docs/spec.md; Loihi: refractory 1..63 steps,
#: weight exponent -7..7, graded payloads of up to 32 bits)
INT_RANGES = {"refDelay": (1, 63), "wgtExp": (-7, 7), "messageBits": (0, 32)}
#: weights, biases and delays must be smaller than this in size: Lava and the engine compute
#: in (at most) 32-bit integers, and a larger value cannot be held even as a float network's
MAX_MAGNITUDE = 2.0 ** 31


def _fail(reason: str, layer: Optional[int], key: Optional[str]) -> NetxFormatError:
    return NetxFormatError(reason, layer=layer, key=key)


def _check_neuron(neuron: Neuron, size: int, i: int) -> None:
    for f in dataclasses.fields(neuron):
        if f.metadata.get("kind") != "param":
            continue
        key = "neuron/" + f.metadata["key"]
        value = getattr(neuron, f.name)
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise _fail(f"expected numbers, found {arr.dtype}", i, key)
        if arr.size not in (1, size):
            raise _fail(f"expected 1 or {size} values (one per neuron), found {arr.size}", i, key)
        if not np.all(np.isfinite(arr)):
            raise _fail("contains NaN or infinity", i, key)
        if f.metadata["key"] in DECAY_KEYS and (arr.min() < 0 or arr.max() > DECAY_MAX):
            raise _fail(f"decays are out of {DECAY_MAX}; found values in "
                        f"[{arr.min()}, {arr.max()}]", i, key)
        if f.metadata["key"] == "vThMant" and arr.min() < 0:
            raise _fail(f"threshold must be >= 0, found {arr.min()}", i, key)
    for name, (low, high) in INT_RANGES.items():
        field = next((f for f in dataclasses.fields(neuron) if f.metadata.get("key") == name),
                     None)
        value = None if field is None else getattr(neuron, field.name)
        if value is not None and not low <= value <= high:
            raise _fail(f"must lie within {low}..{high}, found {value}", i, "neuron/" + name)


def _check_magnitude(arr: np.ndarray, i: int, key: str) -> None:
    if arr.size and float(np.max(np.abs(arr.astype(np.float64)))) >= MAX_MAGNITUDE:
        raise _fail(f"values must be smaller than 2^31 in size, found "
                    f"{arr.min()}..{arr.max()}", i, key)


def _weight(layer: Layer, name: str, ndim: int, i: int) -> np.ndarray:
    w = getattr(layer, name)
    key = next(f.metadata["key"] for f in dataclasses.fields(layer) if f.name == name)
    if not isinstance(w, np.ndarray) or w.dtype.kind not in "biuf":
        raise _fail(f"expected a numeric array, found {type(w).__name__}", i, key)
    if w.ndim != ndim:
        raise _fail(f"expected {ndim} dimensions, found shape {w.shape}", i, key)
    if w.dtype.kind == "f" and not np.all(np.isfinite(w)):
        raise _fail("contains NaN or infinity", i, key)
    _check_magnitude(w, i, key)
    return w


def _check_vector(layer: Layer, name: str, key: str, sizes: Tuple[int, ...], i: int,
                  flat: bool = True) -> None:
    """``layer.<name>`` is absent or holds one of ``sizes`` finite numbers, as a scalar or a
    1-D list (any shape when not ``flat``: a pooling kernel may keep its (kH, kW) form)."""
    v = getattr(layer, name)
    if v is None:
        return
    v = np.asarray(v)
    if v.dtype.kind not in "biuf" or v.size not in sizes or (flat and v.ndim > 1):
        raise _fail(f"expected {'a scalar or a 1-D list of ' if flat else ''}"
                    f"{' or '.join(map(str, sizes))} numbers, found shape {v.shape} "
                    f"({v.dtype})", i, key)
    if v.dtype.kind == "f" and not np.all(np.isfinite(v)):
        raise _fail("contains NaN or infinity", i, key)
    _check_magnitude(v, i, key)


def _check_dense(layer: DenseLayer, prev: Optional[Tuple[int, ...]], i: int) -> None:
    w = _weight(layer, "weight", 2, i)
    wkey = "weight/real" if isinstance(layer, ComplexDenseLayer) else "weight"
    if w.shape[0] != layer.size:
        raise _fail(f"has {w.shape[0]} rows but the layer shape {list(layer.shape)} has "
                    f"{layer.size} neurons", i, wkey)
    if prev is not None and w.shape[1] != int(np.prod(prev)):
        raise _fail(f"has {w.shape[1]} columns but the previous layer outputs "
                    f"{list(prev)} = {int(np.prod(prev))} values", i, wkey)
    _check_vector(layer, "bias", "bias", (1, layer.size), i)
    _check_vector(layer, "delay", "delay", (1, w.shape[0], w.shape[1]), i)
    if layer.delay is not None and np.asarray(layer.delay).min() < 0:
        raise _fail("delays must be >= 0", i, "delay")
    if isinstance(layer, RecurrentDenseLayer):
        wr = _weight(layer, "weight_rec", 2, i)
        if wr.shape != (layer.size, layer.size):
            raise _fail(f"expected shape {(layer.size, layer.size)}, found {wr.shape}",
                        i, "weight_rec")
    if isinstance(layer, ComplexDenseLayer):
        wi = _weight(layer, "weight_imag", 2, i)
        if wi.shape != w.shape:
            raise _fail(f"expected the real part's shape {w.shape}, found {wi.shape}",
                        i, "weight/imag")


def _check_geometry(layer: Union[ConvLayer, PoolLayer], i: int) -> None:
    for name, key, least in (("kernel_size", "kernelSize", 1), ("stride", "stride", 1),
                             ("padding", "padding", 0), ("dilation", "dilation", 1)):
        pair = getattr(layer, name)
        if len(pair) != 2 or min(pair) < least:
            raise _fail(f"expected a (y, x) pair of values >= {least}, found {pair}", i, key)


def _spatial_out(layer: Union[ConvLayer, PoolLayer], hw: Tuple[int, int],
                 transposed: bool = False) -> Tuple[int, int]:
    out = []
    for n, k, s, p, d in zip(hw, layer.kernel_size, layer.stride, layer.padding,
                             layer.dilation):
        out.append((n - 1) * s - 2 * p + d * (k - 1) + 1 if transposed
                   else conv_output_size(n, k, s, p, d))
    return tuple(out)  # type: ignore[return-value]


def _check_spatial(layer: Layer, prev: Optional[Tuple[int, ...]], channels_in: int, i: int,
                   transposed: bool = False) -> None:
    if len(layer.shape) != 3:
        raise _fail(f"expected a (C, H, W) shape, found {list(layer.shape)}", i, "shape")
    if prev is None:
        return
    if len(prev) != 3:
        raise _fail(f"expects (C, H, W) input but the previous layer outputs {list(prev)}",
                    i, "shape")
    if prev[0] != channels_in:
        raise _fail(f"expects {channels_in} input channels but the previous layer outputs "
                    f"{prev[0]}", i, "weight")
    expect = _spatial_out(layer, prev[1:], transposed)  # type: ignore[arg-type]
    if tuple(layer.shape[1:]) != expect:
        raise _fail(f"output {list(layer.shape[1:])} disagrees with the geometry applied to "
                    f"input {list(prev[1:])}, which gives {list(expect)}", i, "shape")


def _check_conv(layer: ConvLayer, prev: Optional[Tuple[int, ...]], i: int) -> None:
    w = _weight(layer, "weight", 4, i)
    _check_geometry(layer, i)
    if layer.groups < 1:
        raise _fail(f"must be >= 1, found {layer.groups}", i, "groups")
    if tuple(w.shape[2:]) != tuple(layer.kernel_size):
        raise _fail(f"kernel {w.shape[2:]} disagrees with kernelSize {layer.kernel_size}",
                    i, "weight")
    if layer.out_channels != layer.shape[0]:
        raise _fail(f"has {layer.out_channels} output channels but the layer shape says "
                    f"{layer.shape[0]}", i, "weight")
    _check_vector(layer, "bias", "bias", (1, layer.out_channels), i)
    _check_spatial(layer, prev, layer.in_channels, i,
                   transposed=isinstance(layer, ConvTransposeLayer))


def _check_pool(layer: PoolLayer, prev: Optional[Tuple[int, ...]], i: int) -> None:
    _check_geometry(layer, i)
    if layer.weight is not None:
        _check_vector(layer, "weight", "weight", (1, int(np.prod(layer.kernel_size))), i,
                      flat=False)
    channels = layer.shape[0] if len(layer.shape) == 3 else 0
    _check_spatial(layer, prev, channels, i, transposed=isinstance(layer, UnpoolLayer))


def _check_simulation(sim: Simulation) -> None:
    if not sim.Ts > 0:
        raise _fail(f"the step length must be > 0, found {sim.Ts}", None, "simulation/Ts")
    if sim.tSample is not None and sim.tSample < 1:
        raise _fail(f"steps per sample must be >= 1, found {sim.tSample}", None,
                    "simulation/tSample")


def validate(net: Network, path: Optional[Union[str, PathLike]] = None) -> Network:
    """Check ``net`` against the format; return it unchanged.

    Raises:
        NetxFormatError: naming ``path`` (if given), the layer index and the key.
    """
    try:
        if net.simulation is not None:
            _check_simulation(net.simulation)
        if not net.layers:
            raise _fail("a network needs at least one layer", None, "layer")
        for i, layer in enumerate(net.layers):
            if (not isinstance(layer.shape, tuple) or not layer.shape
                    or not all(isinstance(d, (int, np.integer)) and d > 0 for d in layer.shape)):
                raise _fail(f"expected positive sizes, found {layer.shape}", i, "shape")
            if layer.size > MAX_ELEMENTS:
                raise _fail(f"layer of {layer.size} neurons exceeds the limit of "
                            f"{MAX_ELEMENTS}", i, "shape")
            if layer.neuron is not None:
                _check_neuron(layer.neuron, layer.size, i)
        shapes = input_shapes(net)
        for i, (layer, prev) in enumerate(zip(net.layers, shapes)):
            if isinstance(layer, DenseLayer):
                _check_dense(layer, prev, i)
            elif isinstance(layer, ConvLayer):
                _check_conv(layer, prev, i)
            elif isinstance(layer, PoolLayer):
                _check_pool(layer, prev, i)
            elif isinstance(layer, FlattenLayer) and prev is not None:
                if layer.size != int(np.prod(prev)):
                    raise _fail(f"flattens {list(prev)} = {int(np.prod(prev))} values into "
                                f"{list(layer.shape)}", i, "shape")
            elif isinstance(layer, InputLayer):
                for name in ("weight", "bias"):
                    _check_vector(layer, name, name, (1, layer.size), i)
            elif isinstance(layer, (AverageLayer, ConcatLayer)):
                pass  # shape is all they carry
    except NetxFormatError as exc:
        raise exc.located(path=path) from None
    return net
