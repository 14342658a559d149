"""hdf5 <-> :mod:`netx.spec.model` serialisation.

Reading decodes each field by its metadata (``key``, ``kind``, ``optional``), so the model
classes stay plain data.  Every failure becomes a :class:`~netx.errors.NetxFormatError` that
names the file, the layer and the key; sizes are checked from dataset headers before any
array is read, so absurd files are refused without allocating memory.

Writes are atomic: a temporary file beside the target, then ``os.replace``.
"""

from __future__ import annotations

import dataclasses
import errno
import os
from os import PathLike
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Type, Union

import h5py
import numpy as np

from ..errors import NetxFormatError
from .model import (FORMAT_VERSION, LAYER_TYPES, NEURON_TYPES, ConvLayer, DenseLayer, Layer, Network, Neuron, Simulation)
from .validate import MAX_ELEMENTS, validate

PathType = Union[str, PathLike]

#: keys lava-dl writes that we derive from the weights; checked on read, written on write.
DERIVED = {
    DenseLayer: {"inFeatures": "in_features", "outFeatures": "out_features"},
    ConvLayer: {"inChannels": "in_channels", "outChannels": "out_channels"},
}
ROOT_GROUPS = ("layer", "simulation")


def _derived_keys(cls: Type[Layer]) -> Dict[str, str]:
    for base, keys in DERIVED.items():
        if issubclass(cls, base):
            return keys
    return {}


class _Where:
    """Where the reader is, so that even an unexpected h5py error can be located."""

    def __init__(self) -> None:
        self.layer: Optional[int] = None
        self.key: Optional[str] = None

    def error(self, reason: str, key: Optional[str] = None) -> NetxFormatError:
        return NetxFormatError(reason, layer=self.layer, key=key or self.key)


# --------------------------------------------------------------------------- decoding
def _member(group: h5py.Group, name: str, where: _Where) -> Union[h5py.Group, h5py.Dataset]:
    """``group[name]``; a soft or external link that leads nowhere is reported as such
    (h5py's ``get`` would answer ``None``, as for a missing key)."""
    obj = group.get(name)
    if obj is None:
        link = group.get(name, getlink=True)
        if isinstance(link, h5py.SoftLink):
            raise where.error(f"soft link to {link.path!r} leads nowhere")
        if isinstance(link, h5py.ExternalLink):
            raise where.error(f"external link to {link.path!r} in {link.filename!r} cannot "
                              "be resolved")
        raise where.error("missing")
    return obj


def _dataset(group: h5py.Group, name: str, where: _Where, prefix: str = "") -> h5py.Dataset:
    where.key = prefix + name
    obj = _member(group, name, where)
    if not isinstance(obj, h5py.Dataset):
        raise where.error("expected a dataset, found a group")
    if obj.shape is None:
        raise where.error("is an empty dataset (h5py.Empty): it holds no value")
    if obj.size > MAX_ELEMENTS:
        raise where.error(f"dataset of {obj.size} elements exceeds the limit of {MAX_ELEMENTS}")
    return obj


def _numeric(ds: h5py.Dataset, where: _Where) -> np.ndarray:
    if ds.dtype.kind not in "biuf":
        raise where.error(f"expected numbers, found dtype {ds.dtype}")
    data = np.asarray(ds[()])
    if data.dtype.kind == "f" and not np.all(np.isfinite(data)):
        raise where.error("contains NaN or infinity")
    return data


def _as_int(value: Any, where: _Where) -> int:
    if float(value) != int(value):
        raise where.error(f"expected an integer, found {value!r}")
    return int(value)


def _one(data: np.ndarray, where: _Where) -> Any:
    if data.size != 1:
        raise where.error(f"expected a single value, found shape {data.shape}")
    return data.reshape(-1)[0]


def _decode_str(ds: h5py.Dataset, where: _Where) -> str:
    if ds.dtype.kind not in "SOU":
        raise where.error(f"expected a string, found dtype {ds.dtype}")
    value = ds[()]
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise where.error(f"expected one string, found shape {value.shape}")
        value = value.reshape(-1)[0]
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise where.error("string is not ASCII") from None
    if not isinstance(value, str):
        raise where.error(f"expected a string, found {type(value).__name__}")
    return value


def _decode(ds: h5py.Dataset, kind: str, where: _Where, size: int) -> Any:
    """Decode one dataset by field kind; ``size`` is the layer's neuron count (params)."""
    if kind == "str":
        return _decode_str(ds, where)
    data = _numeric(ds, where)
    if kind == "int":
        return _as_int(_one(data, where), where)
    if kind == "float":
        return float(_one(data, where))
    if kind == "bool":
        value = _one(data, where)
        if value not in (0, 1):
            raise where.error(f"expected a boolean, found {value!r}")
        return bool(value)
    if kind == "shape":
        if data.ndim > 1 or data.size == 0 or data.dtype.kind == "b":
            raise where.error(f"expected a 1-D list of sizes, found shape {data.shape}")
        dims = tuple(_as_int(v, where) for v in data.reshape(-1))
        if any(d <= 0 for d in dims):
            raise where.error(f"sizes must be positive, found {list(dims)}")
        return dims
    if kind == "pair":
        if data.size == 1:
            v = _as_int(_one(data, where), where)
            return (v, v)
        if data.size != 2:
            raise where.error(f"expected a (y, x) pair, found shape {data.shape}")
        return tuple(_as_int(v, where) for v in data.reshape(-1))
    if kind == "param":
        if data.size == 1:
            value = _one(data, where)
            return int(value) if data.dtype.kind in "iu" else (
                bool(value) if data.dtype.kind == "b" else float(value))
        if size and data.size != size:
            raise where.error(f"expected 1 or {size} values (one per neuron), found {data.size}")
        return data.reshape(-1)
    if kind == "array":
        return data
    raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover - programming error


def _raw(obj: Union[h5py.Group, h5py.Dataset], where: _Where, prefix: str) -> Any:
    """Unmodelled content, kept verbatim: datasets as numpy values (``h5py.Empty`` for an
    empty one), groups as dicts."""
    where.key = prefix
    if isinstance(obj, h5py.Dataset):
        if obj.shape is not None and obj.size > MAX_ELEMENTS:
            raise where.error(f"dataset of {obj.size} elements exceeds the limit of "
                              f"{MAX_ELEMENTS}")
        return obj[()]
    return _raw_members(obj, where, prefix + "/", ())


def _raw_members(group: h5py.Group, where: _Where, prefix: str, used: Any) -> Dict[str, Any]:
    """``_raw`` of each member of ``group`` not named in ``used``, keyed by name."""
    out = {}
    for name in group.keys():
        if name in used:
            continue
        where.key = prefix + name
        out[name] = _raw(_member(group, name, where), where, prefix + name)
    return out


def _read_fields(cls: Type, group: h5py.Group, where: _Where, prefix: str, size: int,
                 skip: tuple = ()) -> tuple[Dict[str, Any], set]:
    values: Dict[str, Any] = {}
    used = set()
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if "key" not in meta or f.name in skip:
            continue
        path = meta["key"]
        used.add(path.split("/")[0])
        parent, _, name = path.rpartition("/")
        if parent and isinstance(group.get(parent, getlink=True), h5py.HardLink) \
                and not isinstance(group[parent], h5py.Group):
            where.key = prefix + parent
            raise where.error(f"expected a group holding '{name}', found a dataset")
        if path not in group:
            where.key = prefix + path
            if not meta["optional"]:
                raise where.error("missing")
            continue
        holder = group
        if parent:
            where.key = prefix + parent
            holder = _member(group, parent, where)
            if not isinstance(holder, h5py.Group):
                raise where.error("expected a group, found a dataset")
        ds = _dataset(holder, name, where, prefix + (parent + "/" if parent else ""))
        values[f.name] = _decode(ds, meta["kind"], where, size)
    return values, used


def _read_neuron(group: h5py.Group, where: _Where, size: int) -> Neuron:
    prefix = "neuron/"
    ntype = _decode_str(_dataset(group, "type", where, prefix), where)
    cls = NEURON_TYPES.get(ntype)
    if cls is None:
        raise where.error(f"unknown neuron type {ntype!r}; known: {sorted(NEURON_TYPES)}")
    values, used = _read_fields(cls, group, where, prefix, size)
    return cls(**values, extra=_raw_members(group, where, prefix, used))


def _read_layer(group: h5py.Group, where: _Where) -> Tuple[Layer, Dict[str, int]]:
    """The layer, and the derived keys the file states (checked by :func:`_check_derived`)."""
    if not isinstance(group, h5py.Group):
        raise where.error("expected a group, found a dataset", key="")
    kind = _decode_str(_dataset(group, "type", where), where)
    cls = LAYER_TYPES.get(kind)
    if cls is None:
        raise where.error(f"unknown layer type {kind!r}; known: {sorted(LAYER_TYPES)}")
    shape = _decode(_dataset(group, "shape", where), "shape", where, 0)
    size = int(np.prod(shape, dtype=np.float64))
    if size > MAX_ELEMENTS:
        raise where.error(f"layer of {size} neurons exceeds the limit of {MAX_ELEMENTS}")
    values, used = _read_fields(cls, group, where, "", size, skip=("shape",))
    used |= {"type", "shape", "neuron"}
    neuron = None
    if "neuron" in group:
        where.key = "neuron"
        neuron_group = _member(group, "neuron", where)
        if not isinstance(neuron_group, h5py.Group):
            raise where.error("expected a group, found a dataset")
        neuron = _read_neuron(neuron_group, where, size)
    if isinstance(values.get("weight"), np.ndarray):
        w = values["weight"]
        if issubclass(cls, DenseLayer) and w.ndim == 1:
            values["weight"] = w.reshape(-1, 1)  # lava-dl writes 1-D weights when n_in == 1
        if issubclass(cls, ConvLayer) and w.ndim == 5 and w.shape[-1] == 1:
            values["weight"] = w[..., 0]  # drop SLAYER's time axis
    layer = cls(shape=shape, neuron=neuron, **values)
    stored = {}
    for hkey in _derived_keys(cls):
        used.add(hkey)
        if hkey in group:
            stored[hkey] = _decode(_dataset(group, hkey, where), "int", where, 0)
    layer.extra = _raw_members(group, where, "", used)
    return layer, stored


def _check_derived(net: Network, stored: List[Dict[str, int]]) -> None:
    """The stored ``inFeatures`` / ``outFeatures`` / ``inChannels`` / ``outChannels`` agree
    with the weights.  Runs after :func:`validate`, so that a weight which disagrees with the
    network is reported as the weight's fault; a weight too malformed to imply a value is
    left to :func:`validate`."""
    for i, (layer, keys) in enumerate(zip(net.layers, stored)):
        w = getattr(layer, "weight", None)
        ndim = 4 if isinstance(layer, ConvLayer) else 2
        if (not isinstance(w, np.ndarray) or w.ndim != ndim or w.size == 0
                or getattr(layer, "groups", 1) < 1):
            continue
        for hkey, value in keys.items():
            implied = getattr(layer, _derived_keys(type(layer))[hkey])
            if value != implied:
                raise NetxFormatError(f"says {value} but the weight implies {implied}",
                                      layer=i, key=hkey)


def _read_network(f: h5py.File, where: _Where) -> Tuple[Network, List[Dict[str, int]]]:
    """The network, and per layer the derived keys the file states (see
    :func:`_check_derived`)."""
    where.key = "layer"
    layers_group = f.get("layer")
    if not isinstance(layers_group, h5py.Group):
        raise where.error("missing 'layer' group" if layers_group is None
                          else "expected a group, found a dataset")
    names = list(layers_group.keys())
    if not all(n.isdigit() for n in names):
        raise where.error(f"layer names must be 0, 1, 2, ...; found {sorted(names)}")
    indices = sorted(int(n) for n in names)
    if indices != list(range(len(indices))):
        raise where.error(f"layer indices must run 0..{len(indices) - 1}; found {indices}")
    if not indices:
        raise where.error("no layers")
    layers, stored = [], []
    for i in indices:
        where.layer, where.key = i, None
        layer, keys = _read_layer(_member(layers_group, str(i), where), where)
        layers.append(layer)
        stored.append(keys)
    where.layer = None
    simulation = None
    if "simulation" in f:
        where.key = "simulation"
        sim_group = _member(f, "simulation", where)
        if not isinstance(sim_group, h5py.Group):
            raise where.error("expected a group, found a dataset")
        values, _ = _read_fields(Simulation, sim_group, where, "simulation/", 0)
        simulation = Simulation(**values)
    where.key = "format_version"
    version = f.attrs.get("format_version")
    if isinstance(version, bytes):
        version = version.decode()
    if version is not None and str(version).split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise where.error(f"format version {str(version)!r} is not one this reader knows: it "
                          f"reads version {FORMAT_VERSION.split('.')[0]}.x files and lava-dl "
                          "files (which carry no version)")
    extras = _raw_members(f, where, "", ROOT_GROUPS)
    net = Network(layers=layers, simulation=simulation,
                  format_version=None if version is None else str(version), extras=extras)
    return net, stored


def read(path: PathType, *, check: bool = True) -> Network:
    """Read a ``.net`` file (ours or lava-dl's) into a :class:`~netx.spec.model.Network`.

    Args:
        path: the file.
        check: also run :func:`~netx.spec.validate.validate` (shape consistency across layers).

    Raises:
        NetxFormatError: the file is missing, not hdf5, truncated or breaks the format; the
            message names the file, the layer and the key.
    """
    path = Path(path)
    if not path.is_file():
        raise NetxFormatError("is a directory, not a .net file" if path.is_dir()
                              else "no such file", path=path)
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise NetxFormatError(f"not a readable hdf5 file ({exc})", path=path) from None
    where = _Where()
    try:
        with handle:
            net, stored = _read_network(handle, where)
    except NetxFormatError as exc:
        raise exc.located(path=path) from None
    except (OSError, KeyError, ValueError, TypeError, RuntimeError, AttributeError,
            OverflowError, IndexError) as exc:  # h5py on damaged files
        raise NetxFormatError(f"unreadable ({type(exc).__name__}: {exc})", path=path,
                              layer=where.layer, key=where.key) from None
    if check:
        validate(net, path=path)
    try:
        _check_derived(net, stored)
    except NetxFormatError as exc:
        raise exc.located(path=path) from None
    return net


# --------------------------------------------------------------------------- encoding
def _put(group: h5py.Group, path: str, value: Any) -> None:
    if isinstance(value, dict):
        sub = group.require_group(path)
        for k, v in value.items():
            _put(sub, k, v)
        return
    if isinstance(value, str):
        value = value.encode("ascii")
    if isinstance(value, tuple):
        value = np.asarray(value, dtype=np.int64)
    group.create_dataset(path, data=value)


def _write_fields(obj: Any, group: h5py.Group, skip: tuple = ()) -> None:
    for f in dataclasses.fields(obj):
        if "key" not in f.metadata or f.name in skip:
            continue
        value = getattr(obj, f.name)
        if value is None:
            continue
        if f.metadata["kind"] == "shape":
            value = np.asarray(value, dtype=np.int64)
        _put(group, f.metadata["key"], value)


def _write_layer(layer: Layer, group: h5py.Group) -> None:
    group.create_dataset("type", data=np.array([layer.kind.encode()]))
    group.create_dataset("shape", data=np.asarray(layer.shape, dtype=np.int64))
    _write_fields(layer, group, skip=("shape",))
    for hkey, attr in _derived_keys(type(layer)).items():
        group.create_dataset(hkey, data=np.int64(getattr(layer, attr)))
    for k, v in layer.extra.items():
        _put(group, k, v)
    if layer.neuron is not None:
        ng = group.create_group("neuron")
        ng.create_dataset("type", data=np.array(layer.neuron.type.encode(),
                                                dtype=h5py.string_dtype("ascii")))
        _write_fields(layer.neuron, ng, skip=("type",))
        for k, v in layer.neuron.extra.items():
            _put(ng, k, v)


def write(net: Network, path: PathType, *, check: bool = True) -> Path:
    """Write ``net`` to ``path`` atomically (temporary file + rename).

    The file carries the root attribute ``format_version`` and stays readable by lava-dl's
    reader (which walks only ``layer/`` and ``simulation/``).  Conv weights are written with
    lava-dl's trailing time axis of length 1.

    Raises:
        NetxFormatError: ``net`` breaks the format (checked before anything is written).
        OSError: ``path`` is a directory or its directory does not exist (``filename``
            names it), or the file system refuses the write.
    """
    path = Path(path)
    if check:
        validate(net, path=path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file name", str(path))
    if path.parent.exists() and not path.parent.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is not a directory", str(path.parent))
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such directory", str(path.parent))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format_version"] = net.format_version or FORMAT_VERSION
            layers = f.create_group("layer")
            for i, layer in enumerate(net.layers):
                if isinstance(layer, ConvLayer):
                    layer = dataclasses.replace(layer, weight=layer.weight[..., None])
                _write_layer(layer, layers.create_group(str(i)))
            if net.simulation is not None:
                _write_fields(net.simulation, f.create_group("simulation"))
            for k, v in net.extras.items():
                _put(f, k, v)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
