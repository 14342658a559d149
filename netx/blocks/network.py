"""``Network``: a whole ``.net`` file as one hierarchical Lava process (the Lava builder).

Use it as :class:`netx.hdf5.Network`.  It lives in this folder because Lava looks for a
process's models in the process's own folder (:mod:`netx.blocks.models`).
"""

from __future__ import annotations

import typing as ty
from os import PathLike

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig

from netx import spec
from netx.blocks.process import (AbstractBlock, Affine, Average, ComplexDense, Conv, Dense,
                                 Input, Pool, RecurrentDense, alif_neuron_params,
                                 average_neuron_params, cuba_neuron_params,
                                 readout_neuron_params, rf_neuron_params, sdnn_neuron_params,
                                 torch_to_lava_kernel)
from netx import support
from netx.errors import NetxFormatError
# what the builder handles: shared with the engine (netx.support)
from netx.support import SDNN_MESSAGE_BITS, SUPPORTED_KINDS, SUPPORTED_NEURONS  # noqa: F401


class Network(AbstractProcess):
    """A ``.net`` network built from Lava processes (lava-dl's ``netx.hdf5.Network`` API).

    Args:
        net_config: path of a ``.net`` file, or an in-memory :class:`netx.spec.Network`
            (validated here).
        num_layers: build layers ``skip_layers .. num_layers - 1`` of the file (``None``: all).
        input_message_bits: bits of graded input messages into the first block (0: binary
            spikes).  Later blocks take the previous block's ``output_message_bits``: an SDNN
            layer's ``messageBits`` (16 when absent; 0 makes the next synapse binary), 0
            for spiking layers.
        reset_interval: if given, every neuron group resets ``u`` and ``v`` every
            ``reset_interval`` steps (``LoihiLIFReset``); block ``k`` (0 = first built block)
            resets when ``time_step % reset_interval == (reset_offset + k + 1) %
            reset_interval`` (Lava gets the phase reduced modulo the interval).  Lava's first
            step is 1, and each synapse adds one step of lag, so with the default offset 0
            block ``k`` resets exactly when the first step of a new sample reaches it.  CUBA
            neurons only (Lava has no resetting sigma-delta or RF process).
        reset_offset: shifts all reset phases (see above).
        skip_layers: number of leading layers of the file not to build.
        input_shape: Lava (X, Y, C) = (W, H, C) shape of the input when the first built layer
            is a conv/pool layer whose input size the file does not state.
        spike_exp: fraction bits of the graded messages of sigma-delta (SDNN) layers: their
            thresholds and biases are scaled by ``2**(spike_exp + 6)`` (lava-dl's default 6).
        sparse_fc_layer: build dense layers with Lava ``Sparse`` synapses (same results as
            ``Dense``; weights held as a CSR matrix).

    Attributes:
        layers: the blocks, in order (``netx.blocks.process`` processes).
        in_layer, out_layer: first and last block.
        inp, out: ports of the whole network (``inp`` shape = first block's input,
            ``out`` = last block's spikes).
        net: the :class:`netx.spec.Network` it was built from; ``filename``: its path or None.

    Raises:
        NetxFormatError: unreadable or invalid file, or a layer kind / neuron type the Lava
            builder cannot build (the message names the file, layer and key).
    """

    def __init__(self, *, net_config: ty.Union[str, PathLike, spec.Network],
                 num_layers: ty.Optional[int] = None, input_message_bits: int = 0,
                 reset_interval: ty.Optional[int] = None, reset_offset: int = 0,
                 skip_layers: int = 0, input_shape: ty.Optional[ty.Tuple[int, ...]] = None,
                 spike_exp: int = 6, sparse_fc_layer: bool = False,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        if isinstance(net_config, spec.Network):
            self.filename: ty.Optional[str] = None
            self.net = spec.validate(net_config)
        else:
            self.filename = str(net_config)
            self.net = spec.read(net_config)
        if reset_interval is not None and int(reset_interval) < 1:
            raise ValueError(f"reset_interval must be >= 1, got {reset_interval}")
        super().__init__(net_config=self.filename or "<in-memory network>",
                         num_layers=num_layers, input_message_bits=input_message_bits,
                         reset_interval=reset_interval, reset_offset=reset_offset,
                         skip_layers=skip_layers, input_shape=input_shape,
                         spike_exp=spike_exp, sparse_fc_layer=sparse_fc_layer, name=name,
                         log_config=log_config)
        self.num_layers = num_layers
        self.skip_layers = int(skip_layers)
        self.input_message_bits = int(input_message_bits)
        self.reset_interval = reset_interval
        self.reset_offset = int(reset_offset)
        self.spike_exp = int(spike_exp)
        self.sparse_fc_layer = bool(sparse_fc_layer)
        self.layer_index: ty.List[int] = []  # file index of each block
        self.layers: ty.List[AbstractBlock] = self._build(input_shape)
        if not self.layers:
            raise self._error("no layer to build (check num_layers and skip_layers)")
        self.inp = InPort(shape=self.layers[0].inp.shape)
        self.out = OutPort(shape=self.layers[-1].out.shape)
        self.inp.connect(self.layers[0].inp)
        self.layers[-1].out.connect(self.out)

    def __del__(self) -> None:
        # arguments and the file are checked before Lava's constructor runs: a network that
        # failed there has no runtime to stop
        if "_runtime" in self.__dict__:
            super().__del__()

    # ------------------------------------------------------------------ public helpers
    @property
    def in_layer(self) -> AbstractBlock:
        """The first block (where data enters)."""
        return self.layers[0]

    @property
    def out_layer(self) -> AbstractBlock:
        """The last block."""
        return self.layers[-1]

    def __len__(self) -> int:
        return len(self.layers)

    def __str__(self) -> str:
        return summary(self)

    # ------------------------------------------------------------------ building
    def _error(self, reason: str, layer: ty.Optional[int] = None,
               key: ty.Optional[str] = None) -> NetxFormatError:
        return NetxFormatError(reason, path=self.filename, layer=layer, key=key)

    def _build(self, input_shape: ty.Optional[ty.Tuple[int, ...]]) -> ty.List[AbstractBlock]:
        layers = self.net.layers
        stop = len(layers) if self.num_layers is None else min(int(self.num_layers),
                                                                 len(layers))
        shapes = spec.input_shapes(self.net)
        blocks: ty.List[AbstractBlock] = []
        prev_shape: ty.Optional[ty.Tuple[int, ...]] = None  # Lava order
        if input_shape is not None:
            prev_shape = tuple(int(s) for s in input_shape)
        elif self.skip_layers < len(shapes) and shapes[self.skip_layers] is not None:
            prev_shape = spec.lava_shape(tuple(shapes[self.skip_layers]))
        flatten = False
        for i in range(self.skip_layers, stop):
            layer = layers[i]
            self._check(support.check_kind, layer, i)
            if layer.kind == "flatten":
                flatten = True
                continue
            params = self._neuron_params(layer, i, position=len(blocks))
            message_bits = (self.input_message_bits if not blocks
                            else blocks[-1].output_message_bits)
            block = self._make_block(layer, i, params, prev_shape, message_bits)
            block.output_message_bits = support.output_message_bits(layer.neuron)
            if blocks:
                self._connect(blocks[-1], block, flatten, i)
            flatten = False
            blocks.append(block)
            self.layer_index.append(i)
            prev_shape = block.shape
        return blocks

    def _check(self, check: ty.Callable[..., ty.Any], *args: ty.Any) -> ty.Any:
        """``check(*args)`` from :mod:`netx.support`, its error located in this file."""
        try:
            return check(*args)
        except NetxFormatError as err:
            raise self._error(err.reason, layer=err.layer, key=err.key) from None

    def _neuron_params(self, layer: spec.Layer, i: int,
                       position: int) -> ty.Optional[ty.Dict[str, ty.Any]]:
        reset = {}
        if self.reset_interval is not None:
            interval = int(self.reset_interval)
            reset = dict(reset_interval=interval,
                         reset_offset=(self.reset_offset + position + 1) % interval)
        plan = self._check(support.neuron_plan, layer, i, bool(reset))
        self._check(support.check_layer, layer, i, plan)
        p = plan.params
        if plan.kind == "average":
            return average_neuron_params(**reset)
        if plan.kind == "readout":
            return readout_neuron_params(**reset)
        if plan.kind == "relay":
            return cuba_neuron_params(4096, 4096, 0, **reset)
        if plan.kind == "cuba":
            shape = layer.shape
            return cuba_neuron_params(_lava_param(p["i_decay"], shape),
                                      _lava_param(p["v_decay"], shape),
                                      _lava_param(p["vth_mant"], shape), **reset)
        if plan.kind == "alif":
            return alif_neuron_params(p["i_decay"], p["v_decay"], p["th_decay"],
                                      p["ref_decay"], p["vth_mant"], p["vth_step"])
        if plan.kind == "sigma":
            return sdnn_neuron_params(0, kind="sigma")
        if plan.kind in ("delta", "sigma_delta"):
            return sdnn_neuron_params(p["vth_mant"], kind=plan.kind,
                                      activation=p["activation"], spike_exp=self.spike_exp)
        return rf_neuron_params(p["sin_decay"], p["cos_decay"], p["vth_mant"],
                                izhikevich=plan.kind == "rf_iz")

    def _make_block(self, layer: spec.Layer, i: int, params: ty.Dict[str, ty.Any],
                    prev_shape: ty.Optional[ty.Tuple[int, ...]],
                    message_bits: int) -> AbstractBlock:
        shape = spec.lava_shape(tuple(layer.shape))
        try:
            if isinstance(layer, spec.InputLayer):
                transform = {"weight": 64 if layer.weight is None else layer.weight,
                             "bias": 0 if layer.bias is None else layer.bias}
                return Input(shape=shape, neuron_params=params, transform=transform,
                             input_message_bits=message_bits)
            if isinstance(layer, spec.ComplexDenseLayer):  # checked by support.check_layer
                return ComplexDense(weight_real=layer.weight, weight_imag=layer.weight_imag,
                                    neuron_params=params, input_message_bits=message_bits)
            wgt_exp = int(getattr(layer.neuron, "wgt_exp", None) or 0)
            if isinstance(layer, spec.RecurrentDenseLayer):
                return RecurrentDense(weight=layer.weight, weight_rec=layer.weight_rec,
                                      neuron_params=params, bias=_int_bias(layer.bias),
                                      input_message_bits=message_bits, wgt_exp=wgt_exp)
            if isinstance(layer, spec.DenseLayer):
                delay = layer.delay
                if delay is not None and not np.any(np.asarray(delay) != 0):
                    delay = None
                cls = Dense if layer.neuron is not None else Affine
                try:
                    return cls(weight=layer.weight, neuron_params=params,
                               bias=_int_bias(layer.bias), input_message_bits=message_bits,
                               delay=delay, sparse=self.sparse_fc_layer, wgt_exp=wgt_exp)
                except ValueError as err:
                    key = "delay" if "delay" in str(err) else (
                        "bias" if "bias" in str(err) else "weight")
                    raise self._error(f"Lava rejects this layer: {err}", layer=i,
                                      key=key) from err
            if isinstance(layer, spec.AverageLayer):
                if prev_shape is None:
                    raise self._error("the input size of this 'average' layer is unknown: "
                                      "pass input_shape", layer=i, key="shape")
                return Average(num_inputs=int(np.prod(prev_shape)),
                               num_outputs=int(np.prod(layer.shape)), neuron_params=params,
                               input_message_bits=message_bits)
            if prev_shape is None or len(prev_shape) != 3:
                raise self._error(
                    f"the input shape of this '{layer.kind}' layer is unknown: pass "
                    "input_shape=(x, y, channels)", layer=i, key="shape")
            if isinstance(layer, spec.ConvLayer):
                block = Conv(weight=torch_to_lava_kernel(layer.weight), input_shape=prev_shape,
                             neuron_params=params, padding=_xy(layer.padding),
                             stride=_xy(layer.stride), dilation=_xy(layer.dilation),
                             groups=layer.groups, bias=_int_bias(layer.bias),
                             input_message_bits=message_bits)
            elif isinstance(layer, spec.PoolLayer):
                block = Pool(kernel_size=_xy(layer.kernel_size), input_shape=prev_shape,
                             weight=1 if layer.weight is None else layer.weight,
                             neuron_params=params, stride=_xy(layer.stride),
                             padding=_xy(layer.padding), dilation=_xy(layer.dilation),
                             input_message_bits=message_bits)
            else:  # pragma: no cover - SUPPORTED_KINDS guards this
                raise self._error(f"layer kind '{layer.kind}' not handled", layer=i)
        except NetxFormatError:
            raise
        except ValueError as err:
            key = "weight" if isinstance(layer, spec.DenseLayer) else None
            raise self._error(f"Lava rejects this layer: {err}", layer=i, key=key) from err
        if tuple(block.shape) != shape:
            raise self._error(f"Lava computes output shape {block.shape} (W, H, C) but the "
                              f"file states {tuple(layer.shape)} (C, H, W)", layer=i,
                              key="shape")
        return block

    def _connect(self, prev: AbstractBlock, block: AbstractBlock, flatten: bool,
                 i: int) -> None:
        src = prev.out
        dst_shape = tuple(block.inp.shape)
        if tuple(src.shape) == dst_shape and not flatten:
            src.connect(block.inp)
            return
        if int(np.prod(src.shape)) != int(np.prod(dst_shape)):
            raise self._error(f"layer takes {int(np.prod(dst_shape))} inputs but the previous "
                              f"layer gives {int(np.prod(src.shape))}", layer=i, key="shape")
        if len(src.shape) == 3:
            # exchange-format flattening is in (C, H, W) order; Lava's is (W, H, C)
            src = src.transpose([2, 1, 0])
        src.reshape(dst_shape).connect(block.inp)


def _lava_param(value: ty.Any, shape: ty.Tuple[int, ...]) -> ty.Any:
    """A scalar, or a per-neuron array (flattened C, H, W) reordered to Lava's (W, H, C)."""
    arr = np.asarray(value)
    if arr.ndim == 0 or arr.size == 1:
        return arr.reshape(()).item()
    if len(shape) == 3:
        return arr.reshape(shape).transpose(2, 1, 0).copy()
    return arr.reshape(shape).copy()


def _int_bias(bias: ty.Optional[np.ndarray]) -> ty.Optional[np.ndarray]:
    return None if bias is None else np.rint(np.asarray(bias, dtype=float)).astype(np.int64)


def _xy(pair: ty.Tuple[int, int]) -> ty.Tuple[int, int]:
    """(y, x) as stored in the file -> Lava's (x, y)."""
    y, x = pair
    return int(x), int(y)


def _neuron_text(block: AbstractBlock) -> str:
    p = block.neuron_params
    name = p.get("neuron_proc").__name__ if p.get("neuron_proc") else "?"
    if isinstance(block, Average):
        name = "pass-through"
    elif isinstance(block, Affine):
        name = "integrator"

    def fmt(v: ty.Any) -> str:
        a = np.asarray(v)
        return str(a.item()) if a.ndim == 0 else f"[{a.min()}..{a.max()}]"

    keys = [k for k in ("du", "dv", "i_decay", "v_decay", "th_decay", "ref_decay", "sin_decay",
                        "cos_decay", "vth", "vth_step") if k in p]
    text = " ".join([name] + [f"{k}={fmt(p[k])}" for k in keys])
    if "reset_interval" in p:
        text += f" reset={p['reset_interval']}@{p['reset_offset']}"
    return text


def summary(net: Network) -> str:
    """A table of the blocks: file index, block kind, input and output shape (Lava order),
    neuron parameters (Lava units) and number of synapses."""
    rows = [("#", "block", "in (W,H,C)", "out (W,H,C)", "neuron", "synapses")]
    for idx, block in zip(net.layer_index, net.layers):
        rows.append((str(idx), block.kind, "x".join(map(str, block.inp.shape)),
                     "x".join(map(str, block.shape)), _neuron_text(block),
                     str(block.num_synapses)))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = [f"netx.hdf5.Network: {net.filename or '<in-memory network>'} "
             f"({len(net)} blocks)"]
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
