"""Lava processes that netx builds networks from.

Two levels, following Lava's ``process.py`` / ``models.py`` split (the process models live in
:mod:`netx.blocks.models`):

* **Leaf processes** ``LoihiLIF``, ``LoihiLIFReset`` and ``LoihiDense``: exact subclasses of
  Lava's ``LIF``, ``LIFReset`` and ``Dense``.  They take the same Loihi fixed-point parameters
  (``du``/``dv`` out of 4096, ``vth`` mantissa, ``bias_mant``/``bias_exp``, integer weights with
  ``weight_exp``/``num_weight_bits``).  Their ``fixed_pt`` models *are* Lava's bit-accurate
  models; their ``floating_pt`` models (picked by a run config without ``select_tag``) reuse
  Lava's float equations with the parameters rescaled onto the same fixed-point grid, so a
  plain ``Loihi1SimCfg()`` gives (almost) the same spikes instead of overflowing.
* More leaf processes for the rest of the neuron/synapse family: ``LoihiDelayDense``
  (axonal delays), ``LoihiSparse`` (``sparse_fc_layer``), ``LoihiALIF`` (``ALIF``),
  ``LoihiDelta`` /
  ``LoihiSigmaDelta`` / ``LoihiSigma`` (SDNN input, hidden and readout layers), ``LoihiRF`` /
  ``LoihiRFIz`` (resonate-and-fire).  The synapses have both models like ``LoihiDense``; the
  ALIF, sigma-delta and RF processes run Lava's fixed-point model under every run config.
* **Blocks** (``Input``, ``Dense``, ``Affine``, ``Average``, ``RecurrentDense``, ``Conv``,
  ``Pool``, ``ComplexDense``):
  hierarchical processes with lava-dl's API.  Each exposes ports ``inp`` and ``out`` and the
  sub-processes ``neuron`` and ``synapse`` (``None`` where absent), so that e.g.
  ``block.neuron.bias_mant`` or ``block.neuron.v`` can be set or read directly.

Shapes are Lava's: ``(X, Y, C) = (W, H, C)`` for spatial layers, ``(N,)`` for dense ones.
Spikes leave a block on ``out`` in the step they are produced; a synapse delivers them to the
next neuron one step later (Lava ``Dense``/``Conv`` buffer their output by one step).

``neuron_params`` is a dict in lava-dl's style: ``{'neuron_proc': LoihiLIF, 'vth': ..., 'du':
..., 'dv': ..., 'bias_exp': 6}`` plus ``reset_interval``/``reset_offset`` for
``LoihiLIFReset``; see :func:`cuba_neuron_params`.
"""

from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.proc.conv import utils as conv_utils
from lava.proc.conv.process import Conv as ConvSynapse
from lava.proc.atrlif.process import ATRLIF
from lava.proc.dense.process import Dense as LavaDense
from lava.proc.dense.process import DelayDense as LavaDelayDense
from lava.proc.lif.process import LIF, LIFReset
from lava.proc.rf.process import RF
from lava.proc.rf_iz.process import RF_IZ
from lava.proc.sdn.process import ActivationMode, Delta, Sigma, SigmaDelta
from lava.proc.sparse.process import Sparse as LavaSparse
from lava.utils.weightutils import SignMode, determine_sign_mode, optimize_weight_bits

from netx import support
from netx.support import synapse_delays  # noqa: F401  (re-exported: the delays Lava gets)

#: Lava bias exponent netx uses: ``bias`` values in the exchange format are mantissas.
BIAS_EXP = 6
#: lava-dl's state exponent of sigma-delta and RF neurons (states carry 6 fraction bits).
STATE_EXP = 6
#: lava-dl's RF decay precision: ``sinDecay`` / ``cosDecay`` are out of 2^12.
RF_DECAY_BITS = 12
#: Loihi 2 synaptic delays have 6 bits; lava-dl clamps them to 0..62.
MAX_DELAY = support.MAX_DELAY
#: Threshold mantissa of the non-spiking readout neuron (vThMant 2^17: ``vth << 6`` = 2^23
#: exceeds the largest 24-bit voltage, so it never fires).
READOUT_VTH = 1 << 17


# --------------------------------------------------------------------------- leaf processes
class LoihiLIF(LIF):
    """Lava ``LIF`` on the Loihi fixed-point grid, for every run config.

    Parameters as Lava's ``LIF``: ``du`` and ``dv`` are 12-bit decays (the current decays by
    ``(du + 1)/4096`` per step, the voltage by ``dv/4096``), ``vth`` a threshold mantissa
    (spike when ``v > vth << 6``), bias ``bias_mant << bias_exp``; input ``a_in`` enters the
    current as ``a_in << 6``.  ``fixed_pt``: Lava's bit-accurate model unchanged.
    ``floating_pt``: Lava's float equations with ``du' = (du + 1)/4096``, ``dv' = dv/4096``,
    ``a_in' = 64 a_in``, ``bias' = bias_mant * 2**bias_exp``, ``vth' = 64 vth`` (same units
    for ``u`` and ``v``, no rounding, wrapping or saturation).
    """


class LoihiLIFReset(LIFReset):
    """:class:`LoihiLIF` that zeroes ``u`` and ``v`` before the update of every step with
    ``time_step % reset_interval == reset_offset % reset_interval`` (Lava's first step is 1)."""


class LoihiDense(LavaDense):
    """Lava ``Dense`` whose float model computes what the fixed-point one does.

    ``weights`` (n_out, n_in) integers; proc params ``weight_exp`` and ``num_weight_bits``.
    ``fixed_pt``: Lava's bit-accurate model (weights clipped to 8 bits and truncated to
    ``num_weight_bits`` on the first step, sum shifted by ``weight_exp``).  ``floating_pt``:
    the same clipped/truncated weights times ``2**weight_exp`` (no flooring of the sum).
    Output is one step late in both.
    """

    def __init__(self, *, weights: np.ndarray, weight_exp: int = 0, num_weight_bits: int = 8,
                 num_message_bits: int = 0, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        super().__init__(weights=weights, weight_exp=int(weight_exp),
                         num_weight_bits=int(num_weight_bits),
                         num_message_bits=num_message_bits, name=name, log_config=log_config)


class LoihiDelayDense(LavaDelayDense):
    """Lava ``DelayDense`` (a :class:`LoihiDense` whose synapse ``(i, j)`` delivers ``delays[i,
    j]`` steps later: a spike at step t arrives at t + 1 + delay).  ``delays`` (n_out, n_in)
    or one int, 0..62.  ``fixed_pt``: Lava's bit-accurate model; ``floating_pt``: Lava's
    float model with the fixed-point weights (like :class:`LoihiDense`)."""


class LoihiSparse(LavaSparse):
    """Lava ``Sparse`` (weights held as a CSR matrix): the same arithmetic as
    :class:`LoihiDense` (8-bit clip, truncation, ``weight_exp``), one step late.
    ``fixed_pt``: Lava's bit-accurate model; ``floating_pt``: Lava's float model with the
    fixed-point weights."""


class LoihiALIF(ATRLIF):
    """Lava ``ATRLIF`` (adaptive threshold and refractoriness LIF: the exchange format's
    ``ALIF``) built from exchange-format integers: decays ``i_decay``, ``v_decay``,
    ``th_decay``, ``ref_decay`` out of 4096 (state multiplied by ``(4096 - d)/4096``),
    threshold mantissa ``vth`` and step ``vth_step`` (both x64 in Lava), bias
    ``bias_mant << bias_exp``.  Spike when ``v - r >= theta``; then ``r += 2 theta``,
    ``theta += vth_step << 6``; ``v`` is not reset.  ``fixed_pt`` model under every run
    config (see :func:`netx.fixed_point.alif_step`).  Lava holds one value of each decay,
    ``vth`` and ``vth_step`` for the whole population."""

    def __init__(self, *, shape: ty.Tuple[int, ...], i_decay: int, v_decay: int,
                 th_decay: int, ref_decay: int, vth: int, vth_step: int,
                 bias_mant: ty.Any = 0, bias_exp: ty.Any = BIAS_EXP,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        unity = float(1 << RF_DECAY_BITS)
        # Lava's fixed model multiplies the fractions back by 4096 (exact for k / 4096) and
        # adds 1 to the current's decay, as LIF does
        super().__init__(shape=shape, delta_i=(int(i_decay) - 1) / unity,
                         delta_v=int(v_decay) / unity, delta_theta=int(th_decay) / unity,
                         delta_r=int(ref_decay) / unity, theta_0=int(vth), theta=int(vth),
                         theta_step=int(vth_step), bias_mant=bias_mant, bias_exp=bias_exp,
                         name=name, log_config=log_config)


class LoihiDelta(Delta):
    """Lava ``Delta`` (sigma-delta *input* encoder), ``fixed_pt`` model under every run
    config.  Per step: ``a = a_in << (spike_exp + state_exp)``; ``delta = a - act + residue``;
    send ``delta >> state_exp`` where ``|delta| >= vth << (spike_exp + state_exp)``, keep the
    rest as ``residue`` (see :func:`netx.fixed_point.delta_step`)."""


class LoihiSigmaDelta(SigmaDelta):
    """Lava ``SigmaDelta`` (ReLU or identity), ``fixed_pt`` model under every run config:
    ``sigma += a_in``; ``act = relu(sigma + bias << 12)``; delta-encode ``act`` with threshold
    ``vth << 12``; send ``delta >> state_exp`` (see :func:`netx.fixed_point.sigma_delta_step`;
    12 = ``spike_exp + state_exp`` for lava-dl's 6 + 6)."""


class LoihiSigma(Sigma):
    """Lava ``Sigma`` readout (``sigma += a_in``, sent every step), ``fixed_pt`` model under
    every run config."""


def _set_rf_decays(proc: AbstractProcess, sin_decay: int, cos_decay: int) -> None:
    # Lava recomputes int32((1 - alpha) sin(2 pi / period) 2^12) from floats, which can lose
    # one unit: set the exchange-format integers directly.
    proc.sin_decay.init = np.array([int(sin_decay)], dtype=np.int32)
    proc.cos_decay.init = np.array([int(cos_decay)], dtype=np.int32)


def rf_period_alpha(sin_decay: float, cos_decay: float) -> ty.Tuple[float, float]:
    """Lava's RF ``(period, alpha)`` for exchange-format ``sinDecay``/``cosDecay`` (out of
    4096): ``1 - alpha = sqrt(sin^2 + cos^2) / 4096``, ``period = 2 pi / atan2(sin, cos)``."""
    s, c = float(sin_decay), float(cos_decay)
    angle = np.arctan2(s, c)
    if angle == 0:
        raise ValueError("sinDecay 0 with cosDecay >= 0 has no finite period")
    return float(2 * np.pi / angle), float(1 - np.hypot(s, c) / (1 << RF_DECAY_BITS))


class LoihiRF(RF):
    """Lava ``RF`` (resonate and fire, spike on an upward phase crossing with ``re >= vth``)
    built from the exchange format's integer ``sin_decay``/``cos_decay`` (out of 4096) and
    threshold mantissa ``vth`` (compared as ``vth << 6``); inputs enter as ``a << 6``.
    ``fixed_pt`` model under every run config (see :func:`netx.fixed_point.rf_step`).
    Lava holds one decay pair and one threshold for the whole population."""

    def __init__(self, *, shape: ty.Tuple[int, ...], sin_decay: int, cos_decay: int,
                 vth: int, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        period, alpha = rf_period_alpha(sin_decay, cos_decay)
        super().__init__(shape=shape, period=period, alpha=alpha, state_exp=STATE_EXP,
                         decay_bits=RF_DECAY_BITS, vth=int(vth), name=name,
                         log_config=log_config)
        _set_rf_decays(self, sin_decay, cos_decay)


class LoihiRFIz(RF_IZ):
    """Lava ``RF_IZ`` (resonate-and-fire Izhikevich: spike when ``im >= vth << 6``, then
    ``re = 0``, ``im = (vth << 6) - 1``), parameters as :class:`LoihiRF`; ``fixed_pt`` model
    under every run config (see :func:`netx.fixed_point.rf_iz_step`)."""

    def __init__(self, *, shape: ty.Tuple[int, ...], sin_decay: int, cos_decay: int,
                 vth: int, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        period, alpha = rf_period_alpha(sin_decay, cos_decay)
        super().__init__(shape=shape, period=period, alpha=alpha, state_exp=STATE_EXP,
                         decay_bits=RF_DECAY_BITS, vth=int(vth), name=name,
                         log_config=log_config)
        _set_rf_decays(self, sin_decay, cos_decay)


# --------------------------------------------------------------------------- parameters
def cuba_neuron_params(i_decay: ty.Any, v_decay: ty.Any, vth_mant: ty.Any, *,
                       reset_interval: ty.Optional[int] = None,
                       reset_offset: int = 0) -> ty.Dict[str, ty.Any]:
    """lava-dl style ``neuron_params`` for a CUBA (``CUBA``/``LOIHI``) neuron group.

    Exchange-format decays (``iDecay``, ``vDecay`` out of 4096) map to Lava's ``du = iDecay -
    1`` (Lava adds its 1-bit offset back) and ``dv = vDecay``; ``vth = vThMant``; biases are
    mantissas with ``bias_exp = 6``.  Per-neuron values must already be in Lava order.
    ``reset_interval`` selects :class:`LoihiLIFReset`.
    """
    params: ty.Dict[str, ty.Any] = {
        "neuron_proc": LoihiLIF,
        "du": _int_param(i_decay) - 1,
        "dv": _int_param(v_decay),
        "vth": _int_param(vth_mant),
        "bias_exp": BIAS_EXP,
    }
    if reset_interval is not None:
        params.update(neuron_proc=LoihiLIFReset, reset_interval=int(reset_interval),
                      reset_offset=int(reset_offset))
    return params


def readout_neuron_params(*, reset_interval: ty.Optional[int] = None,
                          reset_offset: int = 0) -> ty.Dict[str, ty.Any]:
    """``neuron_params`` of the non-spiking integrator lava-dl puts behind a dense layer that
    has no neuron group (CUBA iDecay 0, vDecay 4096, vThMant 2^17): the current ``u``
    accumulates ``64 * W s`` without decay, ``v = u + bias`` every step, no spikes."""
    return cuba_neuron_params(0, 4096, READOUT_VTH, reset_interval=reset_interval,
                              reset_offset=reset_offset)


def sdnn_neuron_params(vth_mant: ty.Any, *, kind: str = "sigma_delta",
                       activation: str = "relu",
                       spike_exp: int = 6) -> ty.Dict[str, ty.Any]:
    """lava-dl style ``neuron_params`` for an SDNN (sigma-delta) neuron group.

    Args:
        vth_mant: threshold mantissa (``vThMant``; Lava scales it by ``2**(spike_exp + 6)``).
        kind: ``'delta'`` (input encoder, :class:`LoihiDelta`), ``'sigma_delta'``
            (:class:`LoihiSigmaDelta`) or ``'sigma'`` (readout, :class:`LoihiSigma`, no
            threshold).
        activation: ``'relu'`` or ``'identity'`` (sigma-delta only).
        spike_exp: fraction bits of the graded messages (lava-dl's default 6).
    """
    if kind == "sigma":
        return {"neuron_proc": LoihiSigma}
    vth = _int_param(vth_mant)
    if kind == "delta":
        return {"neuron_proc": LoihiDelta, "vth": vth, "spike_exp": int(spike_exp),
                "state_exp": STATE_EXP}
    if kind != "sigma_delta":
        raise ValueError(f"unknown sigma-delta kind {kind!r}")
    modes = {"relu": ActivationMode.RELU, "identity": ActivationMode.UNIT,
             "unit": ActivationMode.UNIT, "linear": ActivationMode.UNIT}
    if activation.lower() not in modes:
        raise ValueError(f"SDNN activation {activation!r} is not available in Lava (supported: "
                         f"{', '.join(modes)})")
    return {"neuron_proc": LoihiSigmaDelta, "vth": vth, "act_mode": modes[activation.lower()],
            "spike_exp": int(spike_exp), "state_exp": STATE_EXP}


def alif_neuron_params(i_decay: ty.Any, v_decay: ty.Any, th_decay: ty.Any, ref_decay: ty.Any,
                       vth_mant: ty.Any, vth_step: ty.Any) -> ty.Dict[str, ty.Any]:
    """lava-dl style ``neuron_params`` for an ``ALIF`` neuron group (:class:`LoihiALIF`):
    exchange-format integers, one value each for the whole group; biases are mantissas with
    ``bias_exp = 6``."""
    return {"neuron_proc": LoihiALIF, "i_decay": int(i_decay), "v_decay": int(v_decay),
            "th_decay": int(th_decay), "ref_decay": int(ref_decay), "vth": int(vth_mant),
            "vth_step": int(vth_step), "bias_exp": BIAS_EXP}


def rf_neuron_params(sin_decay: ty.Any, cos_decay: ty.Any, vth_mant: ty.Any, *,
                     izhikevich: bool = False) -> ty.Dict[str, ty.Any]:
    """lava-dl style ``neuron_params`` for an RF (``RF_PHASE``) or RF-Izhikevich
    (``RF_IZHIKEVICH``) neuron group: integer decays out of 4096 and a threshold mantissa,
    one value for the whole group (Lava's RF holds scalars)."""
    return {"neuron_proc": LoihiRFIz if izhikevich else LoihiRF,
            "sin_decay": int(sin_decay), "cos_decay": int(cos_decay), "vth": int(vth_mant)}


def _int_param(x: ty.Any) -> ty.Any:
    arr = np.asarray(x)
    if arr.ndim == 0:
        return int(arr)
    return arr.astype(np.int64)


def fit_weights(weight: np.ndarray, wgt_exp: int = 0) -> ty.Tuple[np.ndarray, int, int]:
    """Fit integer weights into Lava's 8-bit synapse without loss where possible.

    Returns ``(weights, num_weight_bits, weight_exp)`` from Lava's
    ``optimize_weight_bits`` (the choice lava-dl makes): the weights are scaled by
    ``2**-weight_exp`` so that Lava's truncation to ``num_weight_bits`` and the final shift by
    ``weight_exp`` reproduce ``W s`` exactly for weights within 8 bits.  ``wgt_exp`` (the
    neuron's ``wgtExp`` key: the file's weights are mantissas of ``W * 2**wgtExp``) is added
    to the returned exponent, so the synapse delivers ``(W s) * 2**wgtExp`` with Lava's
    flooring shift (:func:`netx.fixed_point.apply_weight_exp`).

    Raises:
        ValueError: weights outside the 8-bit range of their sign mode.
    """
    w = np.asarray(weight)
    w = np.rint(w).astype(np.int64)
    sign_mode = determine_sign_mode(w)
    if sign_mode == SignMode.NULL:  # pragma: no cover - lava never returns it
        sign_mode = SignMode.MIXED
    fitted = optimize_weight_bits(w, sign_mode)
    return (np.asarray(fitted.weights).astype(np.int64), int(fitted.num_weight_bits),
            int(fitted.weight_exp) + int(wgt_exp))


def _alias(name: str, value: ty.Any, alias: str, alias_value: ty.Any) -> ty.Any:
    """``value``, or ``alias_value`` given under lava-dl's keyword ``alias`` (not both)."""
    if alias_value is None:
        return value
    if value is not None:
        raise TypeError(f"pass {name} or {alias} (lava-dl's name), not both")
    return alias_value


# --------------------------------------------------------------------------- blocks
class AbstractBlock(AbstractProcess):
    """Base of the netx blocks: a neuron group behind an optional synapse.

    Attributes:
        shape: output shape (Lava order).
        neuron: the neuron process (``neuron_params['neuron_proc']``).
        synapse: the synapse process feeding it, or ``None``.
        inp, out: ports; ``out`` carries the neuron's spikes.
    """

    def __init__(self, *, shape: ty.Tuple[int, ...],
                 neuron_params: ty.Optional[ty.Dict[str, ty.Any]] = None,
                 bias: ty.Optional[np.ndarray] = None,
                 input_message_bits: int = 0,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None,
                 **kwargs: ty.Any) -> None:
        super().__init__(shape=shape, neuron_params=neuron_params, bias=bias,
                         input_message_bits=input_message_bits, name=name,
                         log_config=log_config, **kwargs)
        self.shape = tuple(int(s) for s in shape)
        self.neuron_params = dict(neuron_params) if neuron_params else cuba_neuron_params(
            4096, 4096, 1)
        self.input_message_bits = int(input_message_bits)
        #: bits of the messages the block sends (0: binary spikes); set by the network builder
        self.output_message_bits = 0
        self.synapse: ty.Optional[AbstractProcess] = None
        self.neuron = self._make_neuron(bias)
        self.out = OutPort(shape=self.shape)

    def __del__(self) -> None:
        # a block whose arguments failed before Lava's constructor finished has no runtime
        if "_runtime" in self.__dict__:
            super().__del__()

    def _make_neuron(self, bias: ty.Optional[np.ndarray]) -> AbstractProcess:
        params = dict(self.neuron_params)
        neuron_proc = params.pop("neuron_proc", LoihiLIF)
        if bias is not None:
            bias = np.broadcast_to(np.asarray(bias, dtype=np.int64), self.shape).copy()
            if issubclass(neuron_proc, SigmaDelta):
                params["bias"] = bias  # a mantissa: Lava scales it by 2**(spike + state exp)
            elif issubclass(neuron_proc, (LIF, ATRLIF)):
                params["bias_mant"] = bias
            elif np.any(bias != 0):
                raise ValueError(f"{neuron_proc.__name__} neurons have no bias in Lava")
        return neuron_proc(shape=self.shape, **params)

    def neuron_input(self) -> InPort:
        """The neuron's (real) input port: ``a_in``, or ``a_real_in`` for RF neurons.  (A
        method, not a property: Lava claims every port-valued attribute of a process as the
        process's own port.)"""
        return self.neuron.a_real_in if isinstance(self.neuron, RF) else self.neuron.a_in

    def _wire(self) -> None:
        """Connect ``inp`` to the synapse (or, without one, to the neuron) and the neuron's
        spikes to ``out``.  Done at construction, not in the process model, so that processes
        connected to a block's ports from outside the network are found by Lava's compiler."""
        self.inp.connect(self.synapse.s_in if self.synapse is not None else self.neuron_input())
        self.neuron.s_out.connect(self.out)

    @property
    def kind(self) -> str:
        """Short name used in summaries."""
        return type(self).__name__

    @property
    def num_synapses(self) -> int:
        """Number of weights of the block's synapses."""
        return 0


class Input(AbstractBlock):
    """Input layer: a neuron group without synapse.

    Data enters through ``neuron.bias_mant`` (a constant drive, mantissa with ``bias_exp``)
    or through ``inp`` (wired to ``neuron.a_in``: spikes or graded values, added to the
    current as ``a << 6``).  ``transform`` keeps the exchange format's scalar input
    transform ``{'weight': w, 'bias': b}`` (default 64 and 0) for the user to apply to data.
    """

    def __init__(self, *, shape: ty.Tuple[int, ...],
                 neuron_params: ty.Optional[ty.Dict[str, ty.Any]] = None,
                 transform: ty.Optional[ty.Dict[str, ty.Any]] = None,
                 bias: ty.Optional[np.ndarray] = None, input_message_bits: int = 0,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        super().__init__(shape=shape, neuron_params=neuron_params, bias=bias,
                         input_message_bits=input_message_bits, name=name,
                         log_config=log_config)
        self.transform = dict(transform) if transform else {"weight": 64, "bias": 0}
        self.inp = InPort(shape=self.shape)
        self._wire()


class Dense(AbstractBlock):
    """Fully connected layer: ``LoihiDense`` synapse -> neuron.

    Args:
        neuron_params: neuron dict (see :func:`cuba_neuron_params`).
        weight: (n_out, n_in) integer weights as in the exchange format.
        bias: optional (n_out,) bias mantissas.
        num_weight_bits, weight_exp: Lava synapse format; both ``None`` (default) fits
            ``weight`` with :func:`fit_weights`, otherwise ``weight`` is used as given.
            ``weight_exponent`` is lava-dl's name for ``weight_exp``.
        shape: output shape, default ``(n_out,)``.
        sparse: build Lava's ``Sparse`` synapse (lava-dl's name: ``sparse_synapse``).
    """

    def __init__(self, *, weight: np.ndarray,
                 neuron_params: ty.Optional[ty.Dict[str, ty.Any]] = None,
                 bias: ty.Optional[np.ndarray] = None,
                 num_weight_bits: ty.Optional[int] = None, weight_exp: ty.Optional[int] = None,
                 input_message_bits: int = 0, shape: ty.Optional[ty.Tuple[int, ...]] = None,
                 delay: ty.Optional[ty.Any] = None, sparse: bool = False,
                 wgt_exp: int = 0, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None,
                 weight_exponent: ty.Optional[int] = None,
                 sparse_synapse: ty.Optional[bool] = None) -> None:
        weight_exp = _alias("weight_exp", weight_exp, "weight_exponent", weight_exponent)
        if sparse_synapse is not None:
            sparse = bool(sparse_synapse)
        weight = np.asarray(weight)
        if weight.ndim == 1:
            weight = weight[:, None]
        shape = tuple(shape) if shape is not None else (weight.shape[0],)
        super().__init__(shape=shape, neuron_params=neuron_params, bias=bias,
                         input_message_bits=input_message_bits, name=name,
                         log_config=log_config, weight=weight)
        self.weight = weight
        self.delays = None if delay is None else synapse_delays(delay, weight.shape)
        self.sparse = bool(sparse)
        self.synapse = self._make_synapse(weight, num_weight_bits, weight_exp, wgt_exp)
        self.synapse.a_out.connect(self.neuron_input())
        self.inp = InPort(shape=(weight.shape[1],))
        self._wire()

    def _make_synapse(self, weight: np.ndarray, num_weight_bits: ty.Optional[int],
                      weight_exp: ty.Optional[int], wgt_exp: int = 0) -> AbstractProcess:
        if num_weight_bits is None and weight_exp is None:
            weight, num_weight_bits, weight_exp = fit_weights(weight, wgt_exp)
        kwargs = dict(weight_exp=0 if weight_exp is None else int(weight_exp),
                      num_weight_bits=8 if num_weight_bits is None else int(num_weight_bits),
                      num_message_bits=self.input_message_bits)
        weight = np.asarray(weight)
        if self.delays is not None:
            if self.sparse:
                raise ValueError("sparse synapses with delays are not supported")
            return LoihiDelayDense(weights=weight, delays=self.delays,
                                   max_delay=int(self.delays.max()), **kwargs)
        if self.sparse:
            return LoihiSparse(weights=weight, **kwargs)
        return LoihiDense(weights=weight, **kwargs)

    @property
    def num_synapses(self) -> int:
        return int(self.weight.size)


class Affine(Dense):
    """Dense readout without spikes: the neuron is a non-spiking integrator
    (:func:`readout_neuron_params`).  Read the result from ``neuron.u`` (accumulated
    ``64 * W s``) or ``neuron.v`` (``u + bias``); ``out`` never spikes."""

    def __init__(self, *, weight: np.ndarray,
                 neuron_params: ty.Optional[ty.Dict[str, ty.Any]] = None,
                 **kwargs: ty.Any) -> None:
        super().__init__(weight=weight,
                         neuron_params=neuron_params or readout_neuron_params(), **kwargs)


def average_neuron_params(*, reset_interval: ty.Optional[int] = None,
                          reset_offset: int = 0) -> ty.Dict[str, ty.Any]:
    """``neuron_params`` of a non-spiking pass-through (CUBA iDecay 4096, vDecay 4096,
    vThMant 2^17): ``u = 64 a`` and ``v = u + bias`` each step, no spikes."""
    return cuba_neuron_params(4096, 4096, READOUT_VTH, reset_interval=reset_interval,
                              reset_offset=reset_offset)


class Average(Dense):
    """Average readout over groups of neurons (SLAYER's ``average`` layer).

    The n_in inputs (in exchange-format order, i.e. (C, H, W) flattened for spatial inputs)
    fall into ``num_outputs`` contiguous groups of ``n_in / num_outputs``; the neuron is a
    non-spiking pass-through (:func:`average_neuron_params`), so one step after the input
    ``neuron.v`` holds ``64 * (spikes in the group)``: divide by ``64 * group size`` for the
    mean.  ``out`` never spikes.
    """

    def __init__(self, *, num_inputs: int, num_outputs: int,
                 neuron_params: ty.Optional[ty.Dict[str, ty.Any]] = None,
                 input_message_bits: int = 0, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        if num_outputs < 1 or num_inputs % num_outputs:
            raise ValueError(f"average: {num_inputs} inputs do not split into {num_outputs} "
                             "equal groups")
        group = num_inputs // num_outputs
        weight = np.kron(np.eye(num_outputs, dtype=np.int64), np.ones((1, group), np.int64))
        super().__init__(weight=weight, neuron_params=neuron_params or average_neuron_params(),
                         num_weight_bits=8, weight_exp=0, input_message_bits=input_message_bits,
                         name=name, log_config=log_config)
        self.group_size = group


class RecurrentDense(AbstractBlock):
    """Dense layer whose spikes also feed back through ``weight_rec`` (n_out, n_out).

    Feed-forward and recurrent weights are fitted together (one ``weight_exp``, one
    ``num_weight_bits``) as lava-dl does.  A spike at step t re-enters the neuron at t + 1.
    ``synapse`` is the feed-forward synapse, ``rec_synapse`` the recurrent one.
    """

    def __init__(self, *, weight: np.ndarray, weight_rec: np.ndarray,
                 neuron_params: ty.Optional[ty.Dict[str, ty.Any]] = None,
                 bias: ty.Optional[np.ndarray] = None, input_message_bits: int = 0,
                 wgt_exp: int = 0, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        weight = np.asarray(weight)
        if weight.ndim == 1:
            weight = weight[:, None]
        weight_rec = np.asarray(weight_rec)
        super().__init__(shape=(weight.shape[0],), neuron_params=neuron_params, bias=bias,
                         input_message_bits=input_message_bits, name=name,
                         log_config=log_config, weight=weight, weight_rec=weight_rec)
        self.weight, self.weight_rec = weight, weight_rec
        both, nwb, wexp = fit_weights(np.concatenate([weight, weight_rec], axis=1), wgt_exp)
        n_in = weight.shape[1]
        self.synapse = LoihiDense(weights=both[:, :n_in], weight_exp=wexp,
                                  num_weight_bits=nwb, num_message_bits=input_message_bits)
        self.rec_synapse = LoihiDense(weights=both[:, n_in:], weight_exp=wexp,
                                      num_weight_bits=nwb)
        self.synapse.a_out.connect(self.neuron.a_in)
        self.rec_synapse.a_out.connect(self.neuron.a_in)
        self.neuron.s_out.connect(self.rec_synapse.s_in)
        self.inp = InPort(shape=(n_in,))
        self._wire()

    @property
    def num_synapses(self) -> int:
        return int(self.weight.size + self.weight_rec.size)


class Conv(AbstractBlock):
    """Convolution layer: Lava ``Conv`` synapse -> neuron.

    Args:
        weight: kernel in Lava's layout (C_out, W, H, C_in / groups); Lava convolves with the
            flipped kernel (true convolution), see :func:`torch_to_lava_kernel`.
        input_shape: (W, H, C_in).
        padding, stride, dilation: ints or (x, y) pairs.
        bias: optional per-output-channel bias mantissas (C_out,).
    The output shape (W_out, H_out, C_out) follows Lava's conv arithmetic (floor mode).
    Lava's Conv ignores ``weight_exp`` and does not clip weights; its output wraps to 24 bits.
    ``num_weight_bits`` and ``weight_exponent`` are accepted as lava-dl's Conv accepts them,
    and have no effect for that reason.
    """

    def __init__(self, *, weight: np.ndarray, input_shape: ty.Tuple[int, int, int],
                 neuron_params: ty.Optional[ty.Dict[str, ty.Any]] = None,
                 padding: ty.Union[int, ty.Tuple[int, int]] = 0,
                 stride: ty.Union[int, ty.Tuple[int, int]] = 1,
                 dilation: ty.Union[int, ty.Tuple[int, int]] = 1, groups: int = 1,
                 bias: ty.Optional[np.ndarray] = None, input_message_bits: int = 0,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None,
                 num_weight_bits: ty.Optional[int] = None,
                 weight_exponent: ty.Optional[int] = None) -> None:
        weight = np.rint(np.asarray(weight)).astype(np.int64)
        input_shape = tuple(int(s) for s in input_shape)
        shape = conv_utils.output_shape(
            input_shape, weight.shape[0], weight.shape[1:3], conv_utils.make_tuple(stride),
            conv_utils.make_tuple(padding), conv_utils.make_tuple(dilation))
        super().__init__(shape=shape, neuron_params=neuron_params, bias=bias,
                         input_message_bits=input_message_bits, name=name,
                         log_config=log_config, weight=weight, input_shape=input_shape)
        self.weight = weight
        self.input_shape = input_shape
        self.synapse = ConvSynapse(weight=weight, input_shape=input_shape, padding=padding,
                                   stride=stride, dilation=dilation, groups=int(groups),
                                   num_message_bits=input_message_bits)
        self.synapse.a_out.connect(self.neuron_input())
        self.inp = InPort(shape=input_shape)
        self._wire()

    @property
    def num_synapses(self) -> int:
        return int(self.weight.size)


class Pool(Conv):
    """Sum pooling: each output neuron receives the weighted sum of the spikes in its
    ``kernel_size`` window of the same channel (a depthwise Lava ``Conv``).  ``weight`` is
    one value for every tap, or one per tap in the exchange format's PyTorch order
    (``(kH, kW)``, any leading axes of 1, as lava-dl writes ``(1, 1, kH, kW)``; flipped for
    Lava's true convolution like conv kernels).  ``kernel_size``, ``stride``, ``padding``,
    ``dilation`` in (x, y) order; ``stride`` defaults to ``kernel_size``."""

    def __init__(self, *, kernel_size: ty.Union[int, ty.Tuple[int, int]],
                 input_shape: ty.Tuple[int, int, int], weight: ty.Any = 1,
                 neuron_params: ty.Optional[ty.Dict[str, ty.Any]] = None,
                 stride: ty.Optional[ty.Union[int, ty.Tuple[int, int]]] = None,
                 padding: ty.Union[int, ty.Tuple[int, int]] = 0,
                 dilation: ty.Union[int, ty.Tuple[int, int]] = 1,
                 input_message_bits: int = 0, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        kx, ky = conv_utils.make_tuple(kernel_size)
        channels = int(input_shape[-1])
        w = np.rint(np.asarray(weight, dtype=float)).astype(np.int64).reshape(-1)
        if w.size == 1:
            kernel = np.full((channels, kx, ky, 1), int(w[0]), dtype=np.int64)
        elif w.size == kx * ky:
            taps = np.flip(w.reshape(ky, kx), (0, 1)).T  # (kH, kW) torch -> (X, Y) Lava
            kernel = np.broadcast_to(taps[None, :, :, None], (channels, kx, ky, 1)).copy()
        else:
            raise ValueError(f"pool weight has {w.size} values for a {ky}x{kx} kernel")
        super().__init__(weight=kernel, input_shape=input_shape, neuron_params=neuron_params,
                         padding=padding, stride=(kx, ky) if stride is None else stride,
                         dilation=dilation, groups=channels,
                         input_message_bits=input_message_bits, name=name,
                         log_config=log_config)


class ComplexDense(AbstractBlock):
    """Complex fully connected layer (``dense_comp``) into resonate-and-fire neurons.

    ``weight_real`` and ``weight_imag`` (n_out, n_in) drive the neuron's real and imaginary
    inputs through two ``LoihiDense`` synapses fitted together (one ``weight_exp``, one
    ``num_weight_bits``, as for recurrent layers).  ``synapse`` is the real synapse,
    ``imag_synapse`` the imaginary one; the neuron must be an RF neuron
    (:func:`rf_neuron_params`).
    """

    def __init__(self, *, weight_real: np.ndarray, weight_imag: np.ndarray,
                 neuron_params: ty.Dict[str, ty.Any], input_message_bits: int = 0,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        weight_real = np.asarray(weight_real)
        weight_imag = np.asarray(weight_imag)
        if weight_real.ndim == 1:
            weight_real, weight_imag = weight_real[:, None], weight_imag.reshape(-1, 1)
        if weight_real.shape != weight_imag.shape:
            raise ValueError(f"real weights {weight_real.shape} and imaginary weights "
                             f"{weight_imag.shape} differ in shape")
        if not issubclass(neuron_params.get("neuron_proc", LoihiLIF), RF):
            raise ValueError("a complex dense layer needs resonate-and-fire neurons")
        super().__init__(shape=(weight_real.shape[0],), neuron_params=neuron_params,
                         input_message_bits=input_message_bits, name=name,
                         log_config=log_config, weight_real=weight_real,
                         weight_imag=weight_imag)
        self.weight_real, self.weight_imag = weight_real, weight_imag
        n_in = weight_real.shape[1]
        both, nwb, wexp = fit_weights(np.concatenate([weight_real, weight_imag], axis=1))
        self.synapse = LoihiDense(weights=both[:, :n_in], weight_exp=wexp, num_weight_bits=nwb,
                                  num_message_bits=input_message_bits)
        self.imag_synapse = LoihiDense(weights=both[:, n_in:], weight_exp=wexp,
                                       num_weight_bits=nwb,
                                       num_message_bits=input_message_bits)
        self.synapse.a_out.connect(self.neuron.a_real_in)
        self.imag_synapse.a_out.connect(self.neuron.a_imag_in)
        self.inp = InPort(shape=(n_in,))
        self.inp.connect([self.synapse.s_in, self.imag_synapse.s_in])
        self.neuron.s_out.connect(self.out)

    @property
    def num_synapses(self) -> int:
        return int(self.weight_real.size + self.weight_imag.size)


def torch_to_lava_kernel(weight: np.ndarray) -> np.ndarray:
    """PyTorch/exchange-format kernel (C_out, C_in/groups, kH, kW) -> Lava's (C_out, W, H,
    C_in/groups), flipped in both spatial axes (Lava's Conv is a true convolution, PyTorch's a
    correlation)."""
    w = np.asarray(weight)
    return np.flip(w, axis=(2, 3)).transpose(0, 3, 2, 1).copy()


BLOCKS: ty.Tuple[ty.Type[AbstractBlock], ...] = (Input, Dense, Affine, Average,
                                                  RecurrentDense, Conv, Pool, ComplexDense)
