"""What netx runs: the layer and neuron checks shared by the Lava builder and the engine.

``netx.hdf5.Network`` (the Lava builder, :mod:`netx.blocks.network`) and the batched engine
(:mod:`netx.engine`) accept exactly the same networks.  Both ask this module (which does not
import Lava) what a layer's neuron group is and whether Lava can hold it:

* :func:`neuron_plan` maps a layer's neuron group to one of :data:`PLAN_KINDS` with its
  parameters in exchange-format units, or raises :class:`~netx.errors.NetxFormatError`
  naming the layer and the key;
* :func:`check_layer` refuses the layer-level combinations Lava cannot build (a bias on a
  neuron without one, delays where no delayed synapse exists);
* :func:`synapse_delays` expands a ``delay`` key to Lava ``DelayDense``'s per-synapse array.

The errors carry no file name; callers add it.
"""

from __future__ import annotations

import typing as ty
from dataclasses import dataclass, field

import numpy as np

from . import spec
from .errors import NetxFormatError

#: layer kinds netx builds ('flatten' only changes how the next layer is wired)
SUPPORTED_KINDS = ("input", "dense", "dense_rec", "dense_comp", "conv", "pool", "average",
                   "flatten")
#: neuron types netx builds
SUPPORTED_NEURONS = ("CUBA", "LOIHI", "ALIF", "SDNN", "RF_PHASE", "RF_IZHIKEVICH")
#: message bits of an SDNN layer whose file does not state ``messageBits`` (lava-dl's default)
SDNN_MESSAGE_BITS = 16
#: SDNN activations Lava's ``SigmaDelta`` has: name -> ReLU (True) or identity (False)
SDNN_ACTIVATIONS = {"relu": True, "identity": False, "unit": False, "linear": False}
#: Loihi 2 synaptic delays have 6 bits; lava-dl clamps them to 0..62.
MAX_DELAY = 62
#: threshold mantissa of the non-spiking readout / pass-through neurons (2^17: ``vth << 6``
#: = 2^23 exceeds the largest 24-bit voltage, so they never fire)
READOUT_VTH = 1 << 17

#: what :func:`neuron_plan` returns, by neuron process:
#: CUBA-LIF (``'cuba'``; ``'readout'``: the integrator behind a dense layer without neuron
#: group; ``'relay'``: a neuron-less input layer; ``'average'``: the pass-through of an
#: ``average`` layer), ALIF (``'alif'``, Lava ``ATRLIF``), sigma-delta (``'delta'`` on an input
#: layer, ``'sigma_delta'``, ``'sigma'`` for a ``sigma_output`` readout) and resonate-and-fire
#: (``'rf'``, ``'rf_iz'``).
PLAN_KINDS = ("cuba", "readout", "relay", "average", "alif", "delta", "sigma_delta", "sigma",
              "rf", "rf_iz")
#: plan kinds that run Lava's LIF (these alone have a float model and ``reset_interval``)
CUBA_KINDS = ("cuba", "readout", "relay", "average")
#: plan kinds that send graded messages instead of spikes
GRADED_KINDS = ("delta", "sigma_delta", "sigma")


@dataclass(frozen=True)
class NeuronPlan:
    """A layer's neuron group as netx builds it.

    ``params`` in exchange-format units: CUBA kinds ``i_decay``, ``v_decay``, ``vth_mant``
    (scalars or per-neuron arrays, C, H, W order); ``alif`` adds ``th_decay``, ``ref_decay``,
    ``vth_step``; ``delta`` / ``sigma_delta`` ``vth_mant`` (and ``relu``); ``rf`` / ``rf_iz``
    ``sin_decay``, ``cos_decay``, ``vth_mant``.  Except for CUBA, Lava holds one value per
    layer, so these are ints.  ``output_message_bits``: bits of the messages the layer sends
    (0: binary spikes; an SDNN layer's ``messageBits``, 16 when absent)."""

    kind: str
    params: ty.Dict[str, ty.Any] = field(default_factory=dict)
    output_message_bits: int = 0

    @property
    def graded(self) -> bool:
        """The layer sends graded messages (sigma-delta), not spikes."""
        return self.kind in GRADED_KINDS

    @property
    def cuba(self) -> bool:
        return self.kind in CUBA_KINDS


def check_kind(layer: spec.Layer, i: int) -> None:
    """Refuse layer kinds Lava 0.10 has no process for (key ``type``)."""
    if layer.kind not in SUPPORTED_KINDS:
        raise NetxFormatError(
            f"layer kind '{layer.kind}' cannot be built in Lava by netx (supported: "
            f"{', '.join(SUPPORTED_KINDS)})", layer=i, key="type")


def uniform(value: ty.Any, key: str) -> int:
    """One integer for a whole neuron group (Lava's sigma-delta, ALIF and RF processes hold a
    single threshold / decay); per-neuron values must all be equal.

    Raises:
        ValueError: the values differ (the message starts with ``key``).
    """
    arr = np.asarray(value, dtype=float).reshape(-1)
    if arr.size > 1 and np.any(arr != arr[0]):
        raise ValueError(f"{key} differs between neurons, but Lava holds one value per layer "
                         "for this neuron type")
    return int(np.rint(arr[0]))


def output_message_bits(neuron: ty.Optional[spec.Neuron]) -> int:
    """Bits of the messages a layer sends (0: binary spikes): an SDNN layer's
    ``messageBits`` (16 when the file does not say; 0 makes the next synapse binary)."""
    if isinstance(neuron, spec.SdnnNeuron):
        bits = neuron.message_bits
        return SDNN_MESSAGE_BITS if bits is None else int(bits)
    return 0


def _uniform_params(neuron: spec.Neuron, i: int,
                    keys: ty.Sequence[ty.Tuple[str, str]]) -> ty.Dict[str, int]:
    out = {}
    for attr, key in keys:
        try:
            out[attr] = uniform(getattr(neuron, attr), key)
        except ValueError as err:
            raise NetxFormatError(str(err), layer=i, key="neuron/" + key) from None
    return out


def neuron_plan(layer: spec.Layer, i: int, reset: bool = False) -> NeuronPlan:
    """The neuron group of layer ``i`` as netx builds it, or a located refusal.

    Args:
        reset: a ``reset_interval`` is asked for (Lava has it for CUBA neurons only).

    Raises:
        NetxFormatError: (layer ``i``) ``neuron`` for a missing group where one is needed or
            a group where none may be; ``neuron/type`` for ADRF (no Lava process), unknown
            types and ``reset`` with a non-CUBA neuron; ``neuron/gradedSpike`` for graded
            CUBA / ALIF / RF; ``neuron/<key>`` for per-neuron values Lava keeps once per
            layer; ``neuron/activation`` for SDNN activations Lava lacks; ``neuron`` for RF
            neurons outside ``dense`` / ``dense_comp``.
    """
    neuron = layer.neuron
    if layer.kind == "average":
        if neuron is not None:
            raise NetxFormatError("an 'average' layer with a neuron group cannot be built in "
                                  "Lava by netx", layer=i, key="neuron")
        return NeuronPlan("average", dict(i_decay=4096, v_decay=4096, vth_mant=READOUT_VTH))
    if neuron is None:
        if layer.kind == "dense":
            return NeuronPlan("readout", dict(i_decay=0, v_decay=4096, vth_mant=READOUT_VTH))
        if layer.kind == "input":
            # a neuron-less input relays its input: u = 64 a, v = u, spike when v > 0
            return NeuronPlan("relay", dict(i_decay=4096, v_decay=4096, vth_mant=0))
        raise NetxFormatError(f"a '{layer.kind}' layer needs a neuron group in Lava",
                              layer=i, key="neuron")
    if isinstance(neuron, spec.AdrfNeuron):
        raise NetxFormatError(
            f"neuron type '{neuron.type}' cannot be built in Lava: Lava 0.10 has no "
            "adaptive resonate-and-fire process", layer=i, key="neuron/type")
    if type(neuron) is spec.CubaNeuron:
        if neuron.graded_spike or neuron.message_bits:
            raise NetxFormatError("graded-spike CUBA neurons cannot be built in Lava by netx",
                                  layer=i, key="neuron/gradedSpike")
        return NeuronPlan("cuba", dict(i_decay=neuron.i_decay, v_decay=neuron.v_decay,
                                       vth_mant=neuron.vth_mant))
    if reset:
        raise NetxFormatError(f"reset_interval is only available for CUBA neurons in Lava; "
                              f"this layer's neuron type is '{neuron.type}'", layer=i,
                              key="neuron/type")
    if isinstance(neuron, spec.AlifNeuron):
        if neuron.graded_spike or neuron.message_bits:
            raise NetxFormatError("graded-spike ALIF neurons cannot be built in Lava",
                                  layer=i, key="neuron/gradedSpike")
        return NeuronPlan("alif", _uniform_params(neuron, i, (
            ("i_decay", "iDecay"), ("v_decay", "vDecay"), ("th_decay", "thDecay"),
            ("ref_decay", "refDecay"), ("vth_mant", "vThMant"), ("vth_step", "vThStep"))))
    if isinstance(neuron, spec.SdnnNeuron):
        bits = output_message_bits(neuron)
        params: ty.Dict[str, ty.Any] = _uniform_params(neuron, i, (("vth_mant", "vThMant"),))
        if layer.kind == "input":
            kind = "delta"
        elif neuron.sigma_output:
            return NeuronPlan("sigma", {}, bits)
        else:
            kind = "sigma_delta"
        activation = (neuron.activation or "relu").lower()
        if kind == "sigma_delta" and activation not in SDNN_ACTIVATIONS:
            raise NetxFormatError(
                f"SDNN activation {neuron.activation!r} is not available in Lava (supported: "
                f"{', '.join(SDNN_ACTIVATIONS)})", layer=i, key="neuron/activation")
        params["activation"] = activation
        params["relu"] = SDNN_ACTIVATIONS.get(activation, True)
        return NeuronPlan(kind, params, bits)
    if isinstance(neuron, spec.RfNeuron):
        if neuron.graded_spike or neuron.message_bits:
            raise NetxFormatError("graded-spike RF neurons cannot be built in Lava",
                                  layer=i, key="neuron/gradedSpike")
        if layer.kind not in ("dense", "dense_comp"):
            raise NetxFormatError(f"RF neurons are built in Lava for 'dense' and 'dense_comp' "
                                  f"layers only, not '{layer.kind}'", layer=i, key="neuron")
        params = _uniform_params(neuron, i, (("sin_decay", "sinDecay"),
                                             ("cos_decay", "cosDecay"), ("vth_mant", "vThMant")))
        return NeuronPlan("rf_iz" if neuron.type == "RF_IZHIKEVICH" else "rf", params)
    raise NetxFormatError(
        f"neuron type '{neuron.type}' cannot be built in Lava by netx (supported: "
        f"{', '.join(SUPPORTED_NEURONS)})", layer=i, key="neuron/type")


def _nonzero(value: ty.Any) -> bool:
    return value is not None and bool(np.any(np.asarray(value) != 0))


def check_layer(layer: spec.Layer, i: int, plan: NeuronPlan) -> None:
    """Layer-level refusals (after :func:`neuron_plan`).

    Raises:
        NetxFormatError: (layer ``i``) ``neuron``: a ``dense_comp`` layer without RF neurons;
            ``bias``: a non-zero bias on neurons that have none in Lava (RF, ``Sigma``);
            ``delay``: non-zero delays on ``dense_rec`` / ``dense_comp`` layers (Lava's
            delayed synapse is a plain ``DelayDense``), or delays that
            :func:`synapse_delays` rejects.
    """
    if isinstance(layer, spec.ComplexDenseLayer):
        if plan.kind not in ("rf", "rf_iz"):
            raise NetxFormatError("a 'dense_comp' layer needs an RF neuron group in Lava",
                                  layer=i, key="neuron")
    if plan.kind in ("rf", "rf_iz", "sigma") and _nonzero(getattr(layer, "bias", None)):
        what = "RF" if plan.kind != "sigma" else "sigma-delta readout (Sigma)"
        raise NetxFormatError(f"{what} neurons have no bias in Lava", layer=i, key="bias")
    delay = getattr(layer, "delay", None)
    if _nonzero(delay):
        if type(layer) is not spec.DenseLayer:
            raise NetxFormatError(f"delays on a '{layer.kind}' layer cannot be built in Lava",
                                  layer=i, key="delay")
        try:
            synapse_delays(delay, np.asarray(layer.weight).reshape(layer.size, -1).shape)
        except ValueError as err:
            raise NetxFormatError(f"Lava rejects this layer: {err}", layer=i,
                                  key="delay") from None


def synapse_delays(delay: ty.Any, weight_shape: ty.Tuple[int, int]) -> np.ndarray:
    """Per-synapse delays (n_out, n_in) for ``DelayDense`` from an exchange-format ``delay``.

    One value: every synapse; ``n_out`` values: per output neuron (row ``i`` gets
    ``delay[i]``: all input to neuron ``i`` arrives ``delay[i]`` steps late, which shifts its
    spike train by that much as an axonal delay would, except for bias-driven activity);
    ``n_in`` values: per input (column ``j``).  When n_out == n_in the values are taken per
    output neuron (what SLAYER's exporter writes).  Delays are rounded to whole steps.

    Raises:
        ValueError: wrong length, or values outside 0..62.
    """
    n_out, n_in = weight_shape
    d = np.rint(np.asarray(delay, dtype=float)).astype(np.int64).reshape(-1)
    if d.size == 1:
        out = np.full((n_out, n_in), int(d[0]), dtype=np.int64)
    elif d.size == n_out:
        out = np.repeat(d[:, None], n_in, axis=1)
    elif d.size == n_in:
        out = np.repeat(d[None, :], n_out, axis=0)
    else:
        raise ValueError(f"{d.size} delays fit neither {n_out} outputs nor {n_in} inputs")
    if out.size and (out.min() < 0 or out.max() > MAX_DELAY):
        raise ValueError(f"delays must be within 0..{MAX_DELAY} steps, got "
                         f"{out.min()}..{out.max()}")
    return out


# --------------------------------------------------------------------------- run inputs
#: how input data enter a network: spikes / graded values per step, or a constant bias
INPUT_MODES = ("spikes", "bias")
#: Lava keeps a LIF's ``bias_mant`` in 16 signed bits: bias input outside wraps there
BIAS_INPUT_RANGE = (-(1 << 15), (1 << 15) - 1)


def check_mode(layer: spec.Layer, i: int, plan: NeuronPlan, mode: str) -> None:
    """Refuse ``floating_pt`` for neurons whose Lava process has only a fixed-point model
    (every kind but CUBA's), naming the layer's ``neuron/type``."""
    if mode != "fixed_pt" and not plan.cuba:
        raise NetxFormatError(f"neuron type '{layer.neuron.type}' has no {mode} model in "
                              "Lava (it runs only its fixed_pt model); use fixed_pt",
                              layer=i, key="neuron/type")


def input_shape(net: spec.Network, given: ty.Optional[ty.Sequence[int]]
                ) -> ty.Optional[ty.Tuple[int, ...]]:
    """The network's input shape ((C, H, W) or (N,)): ``given`` (``input_shape=``), which
    must agree with what the file implies when it implies one, else the file's (``None``
    for a first conv layer without ``given``).

    Raises:
        NetxFormatError: (key ``input_shape``) ``given`` is not a list of positive ints or
            contradicts the file.
    """
    known = net.input_shape
    if given is None:
        return None if known is None else tuple(known)
    try:
        shape = tuple(int(s) for s in given)
        bad = any(s < 1 or s != float(g) for s, g in zip(shape, given))
    except (TypeError, ValueError):
        bad, shape = True, ()
    if bad or not shape:
        raise NetxFormatError(f"input_shape must be positive integers, got {given!r}",
                              key="input_shape")
    if known is not None and shape != tuple(known):
        raise NetxFormatError(f"input_shape {shape} contradicts the network's input "
                              f"{tuple(known)} (C, H, W or N)", key="input_shape")
    return shape


def check_input_values(x: np.ndarray, input_mode: str, mode: str) -> None:
    """Refuse input data that neither backend can take the same way: non-numeric, NaN or
    infinite values, fractions in ``fixed_pt``, bias mantissas outside
    :data:`BIAS_INPUT_RANGE`.

    Raises:
        NetxFormatError: (key ``input``) naming the problem.
    """
    if input_mode not in INPUT_MODES:
        raise ValueError(f"input_mode must be one of {INPUT_MODES}, got {input_mode!r}")
    if x.dtype.kind not in "biuf":
        raise NetxFormatError(f"input data must be numbers, got dtype {x.dtype}", key="input")
    if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
        raise NetxFormatError("input data contain NaN or infinity", key="input")
    if mode == "fixed_pt" and x.dtype.kind == "f" and not np.all(x == np.round(x)):
        raise NetxFormatError("fixed_pt inputs must be integers (spikes, graded values or "
                              "bias mantissas)", key="input")
    if input_mode == "bias" and x.size and (x.min() < BIAS_INPUT_RANGE[0]
                                            or x.max() > BIAS_INPUT_RANGE[1]):
        raise NetxFormatError(f"bias input must lie within {BIAS_INPUT_RANGE[0]}.."
                              f"{BIAS_INPUT_RANGE[1]} (Lava's 16-bit bias_mant), found "
                              f"{x.min()}..{x.max()}", key="input")


def run_steps(net: spec.Network, steps: ty.Any, data_steps: ty.Optional[int]) -> int:
    """The number of steps to run: ``steps``, else the data's ``T`` (``data_steps``, spike
    input), else the file's ``simulation/tSample`` (bias input); checked by
    :func:`check_steps`.

    Raises:
        ValueError: no step count is given or implied, or it is not a whole number >= 1.
    """
    if steps is None:
        if data_steps is not None:
            steps = data_steps
        elif net.simulation is not None and net.simulation.tSample:
            steps = net.simulation.tSample
        else:
            raise ValueError("steps is required for input_mode='bias' (the file has no "
                             "simulation/tSample)")
    return check_steps(steps)


def check_steps(steps: ty.Any) -> int:
    """``steps`` as an int >= 1 (a run of no steps would leave Lava waiting forever).

    Raises:
        ValueError: naming ``steps``.
    """
    try:
        n = int(steps)
        ok = n >= 1 and n == float(steps)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"steps must be a whole number >= 1, got {steps!r} (a spike input "
                         "needs at least one time step)")
    return n


def check_bias_input(net: spec.Network) -> None:
    """``input_mode='bias'`` sets the input layer's bias: the first layer must be an
    ``input`` layer (key ``type``)."""
    if not isinstance(net.layers[0], spec.InputLayer):
        raise NetxFormatError(f"input_mode='bias' needs an 'input' layer first, not "
                              f"'{net.layers[0].kind}'", layer=0, key="type")
