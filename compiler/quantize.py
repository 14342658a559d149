"""Quantize pass: a float ``.net`` becomes a fixed-point one that fits a hardware profile.

Recognising a float network (docs/compiler.md): a network is *float* when any value that the
chip stores as an integer is not an integer: synaptic weights (``weight``, ``weight_rec``,
``weight/imag``, pool ``weight``), biases, delays, or neuron parameters (decays, threshold
mantissa and step).  lava-dl writes integers there for every fixed-point network (all of its
fixtures), our trainers write floats when no quantization hook was used.  A fixed-point
network passes through unchanged (same object) unless ``force=True``.

Units: file weights live on the x64 grid: a spike through weight ``w`` with exponent ``e``
(``neuron.wgtExp``) adds ``w * 2**(6 + e)`` to the 24-bit current (Lava ``Dense``:
``a = sum(w s) << e``, then ``u += a << 6``).  Per layer the pass picks the exponent in the
profile's range and the mantissas on Lava's weight grid (``netx.fixed_point.dense_weights``:
8-bit clip per sign mode, low bits dropped for ``num_weight_bits``) that minimise the RMS error
of the effective weights.  The exponent is stored in the neuron's ``wgtExp``; layers whose
exponent cannot be stored or applied (no CUBA/ALIF neuron group; conv and pool layers, since
Lava's ``Conv`` has no weight exponent) keep exponent 0.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

import hw_profiles
from hw_profiles import HwProfile
from netx import spec

from .geometry import integer_weight_width
from .report import QuantizeReport, QuantLayerReport

WEIGHT_FIELDS = ("weight", "weight_rec", "weight_imag")
DECAY_FIELDS = ("i_decay", "v_decay", "th_decay", "ref_decay")
SIGNED_DECAY_FIELDS = ("sin_decay", "cos_decay")
THRESHOLD_FIELDS = ("vth_mant", "vth_step")
#: kinds whose weight exponent Lava applies (Dense family)
EXP_KINDS = ("dense", "dense_rec", "dense_comp")


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Round to the nearest integer, halves away from zero (``2.5 -> 3``, ``-2.5 -> -3``)."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _non_integer(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool)):
        return False
    a = np.asarray(value)
    if a.dtype.kind not in "fc":
        return False
    a = a.astype(np.float64)
    return bool(np.any(np.isfinite(a) & (a != np.round(a))))


def _weights_of(layer: spec.Layer) -> List[Tuple[str, Any]]:
    out = []
    for name in WEIGHT_FIELDS:
        v = getattr(layer, name, None)
        if v is not None and not (layer.kind == "input"):
            out.append((name, v))
    return out


def float_reason(net: spec.Network) -> Optional[str]:
    """Why ``net`` is a float network (the first non-integer value found), or ``None`` when
    it is already fixed point."""
    for i, layer in enumerate(net.layers):
        for name, v in _weights_of(layer):
            if _non_integer(v):
                return f"layer {i} {name} has non-integer values"
        for name in ("bias", "delay"):
            if layer.kind != "input" and _non_integer(getattr(layer, name, None)):
                return f"layer {i} {name} has non-integer values"
        if layer.neuron is not None:
            for f in dataclasses.fields(layer.neuron):
                if f.name in DECAY_FIELDS + SIGNED_DECAY_FIELDS + THRESHOLD_FIELDS and \
                        _non_integer(getattr(layer.neuron, f.name)):
                    return f"layer {i} neuron {f.name} has non-integer values"
    return None


# --------------------------------------------------------------------------- weights
def _sign_mode(w: np.ndarray) -> str:
    """Lava's sign-mode rule (as ``netx.fixed_point.sign_mode``) on a numpy array."""
    if np.all(w >= 0):
        return "excitatory"
    if np.all(w <= 0):
        return "inhibitory"
    return "mixed"


def _grid(profile: HwProfile, mode: str) -> Tuple[int, int, int, int]:
    """``(num_weight_bits, step, lo, hi)`` of Lava's weight grid for a sign mode."""
    from netx import fixed_point  # imports torch: only when something is quantized
    bits = min(profile.weight_bits, fixed_point.WEIGHT_BITS)
    mixed = int(mode == "mixed")
    step = 2 ** (fixed_point.WEIGHT_BITS - bits + mixed)
    top = 2 ** fixed_point.WEIGHT_BITS - 1  # 255
    if mode == "mixed":
        lo, hi = -(2 ** fixed_point.WEIGHT_BITS), (top // step) * step
    elif mode == "inhibitory":
        lo, hi = -(top // step) * step, 0
    else:
        lo, hi = 0, (top // step) * step
    return bits, step, lo, hi


def quantize_weights(arrays: Sequence[np.ndarray], profile: HwProfile,
                     exponents: Sequence[int]) -> Dict[str, Any]:
    """Best shared exponent and integer mantissas for weight arrays (file x64-grid units).

    For each candidate exponent ``e`` the mantissas are ``round(w / 2**e)`` on Lava's grid
    (clipped); the exponent with the lowest RMS error of ``mant * 2**e - w`` wins (ties: the
    exponent nearest 0).  Returns a dict with ``exp``, ``bits``, ``mode``, ``mantissas`` (list
    of float32 arrays holding integers), ``clipped_fraction``, ``max_abs_error``, ``rms_error``.
    """
    import torch

    from netx import fixed_point

    flat = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
    best = None
    for e in sorted(exponents, key=lambda x: (abs(x), -x)):
        m = flat / (2.0 ** e)
        mode = _sign_mode(flat)
        bits, step, lo, hi = _grid(profile, mode)
        q = np.clip(round_half_away(m / step) * step, lo, hi)
        actual = _sign_mode(q)
        if actual != mode:  # e.g. small positives rounded to 0: Lava will see "inhibitory"
            mode = actual
            bits, step, lo, hi = _grid(profile, mode)
            q = np.clip(q, lo, hi)  # the mixed grid is a subset of the one-sign grids
        err = q * (2.0 ** e) - flat
        rms = float(np.sqrt(np.mean(err ** 2))) if flat.size else 0.0
        if best is None or rms < best[0] - 1e-12 * max(1.0, best[0]):
            clipped = float(np.mean((m > hi + step / 2) | (m < lo - step / 2))) if flat.size \
                else 0.0
            best = (rms, e, q, err, clipped, mode, bits)
    rms, e, q, err, clipped, mode, bits = best
    # Lava's Dense must use these mantissas unchanged (clip + low-bit drop are identities)
    lava = fixed_point.dense_weights(torch.from_numpy(q.astype(np.int64)), bits).numpy()
    assert np.array_equal(lava, q.astype(np.int64)), "mantissas off Lava's weight grid"
    mantissas, pos = [], 0
    for a in arrays:
        n = np.asarray(a).size
        mantissas.append(q[pos:pos + n].reshape(np.shape(a)).astype(np.float32))
        pos += n
    return {"exp": int(e), "bits": int(bits), "mode": mode, "mantissas": mantissas,
            "clipped_fraction": clipped,
            "max_abs_error": float(np.abs(err).max()) if err.size else 0.0,
            "rms_error": rms}


# --------------------------------------------------------------------------- neurons
def _round_clip(value: Any, lo: int, hi: int, keep_above: Optional[int] = None) -> Any:
    a = np.asarray(value, dtype=np.float64)
    r = round_half_away(a)
    if keep_above is not None:
        r = np.where(r >= keep_above, r, np.clip(r, lo, hi))
    else:
        r = np.clip(r, lo, hi)
    r = r.astype(np.int64)
    return int(r) if r.ndim == 0 else r


def quantize_neuron(neuron: spec.Neuron, profile: HwProfile) -> Tuple[spec.Neuron, List[str]]:
    """Round a neuron group's parameters onto the profile's integer grid.

    Decays: integers in ``[0, 2**decay_bits]`` (sin/cos decays ``[-2**decay_bits, ...]``);
    threshold mantissa and step: integers in ``[0, 2**threshold_mant_bits - 1]``.  A threshold
    at or above ``2**threshold_mant_bits`` (lava-dl's never-firing affine value 2**18 - 1) is
    kept, not clipped.
    """
    unity = 2 ** profile.decay_bits
    vmax = 2 ** profile.threshold_mant_bits - 1
    changes: Dict[str, Any] = {}
    notes: List[str] = []
    for f in dataclasses.fields(neuron):
        v = getattr(neuron, f.name)
        if v is None:
            continue
        if f.name in DECAY_FIELDS:
            changes[f.name] = _round_clip(v, 0, unity)
        elif f.name in SIGNED_DECAY_FIELDS:
            changes[f.name] = _round_clip(v, -unity, unity)
        elif f.name in THRESHOLD_FIELDS:
            changes[f.name] = _round_clip(v, 0, vmax, keep_above=vmax + 1)
            if np.any(np.asarray(changes[f.name]) > vmax):
                notes.append(f"{f.name} >= 2^{profile.threshold_mant_bits} kept (never fires)")
        else:
            continue
        if np.any(round_half_away(v) != np.asarray(changes[f.name])):
            notes.append(f"{f.name} clipped to the profile range")
    return dataclasses.replace(neuron, **changes), notes


def profile_fit_warnings(net: spec.Network, profile: HwProfile) -> List[str]:
    """What a fixed-point network stores that the profile cannot hold as it is (the pass
    leaves such a network unchanged, so it only reports): weights wider than
    ``profile.weight_bits`` (by :func:`~compiler.geometry.integer_weight_width`), bias
    mantissas outside the signed ``bias_mant_bits`` range, delays beyond ``delay_bits``.
    Thresholds are not checked: one at or above ``2**threshold_mant_bits`` is the never-firing
    convention (see :func:`quantize_neuron`)."""
    out: List[str] = []
    bmax = 2 ** (profile.bias_mant_bits - 1)
    dmax = 2 ** profile.delay_bits - 1
    for i, layer in enumerate(net.layers):
        weights = _weights_of(layer)
        bits = integer_weight_width([np.atleast_1d(np.asarray(v)) for _, v in weights])
        if bits is not None and bits > profile.weight_bits:
            out.append(f"layer {i} ({layer.kind}): weights need {bits} bits, the "
                       f"{profile.name} synapse holds {profile.weight_bits}")
        bias = getattr(layer, "bias", None) if layer.kind != "input" else None
        if bias is not None and np.size(bias):
            b = np.asarray(bias, dtype=np.float64)
            if b.min() < -bmax or b.max() > bmax - 1:
                out.append(f"layer {i} ({layer.kind}): bias mantissas span [{b.min():.0f}, "
                           f"{b.max():.0f}], the {profile.name} range is [{-bmax}, {bmax - 1}]")
        delay = getattr(layer, "delay", None) if layer.kind != "input" else None
        if delay is not None and np.size(delay) and np.max(delay) > dmax:
            out.append(f"layer {i} ({layer.kind}): delays up to {np.max(delay):.0f}, the "
                       f"{profile.name} maximum is {dmax}")
    return out


# --------------------------------------------------------------------------- the pass
def quantize(net: spec.Network, profile: Union[str, HwProfile] = "loihi2", *,
             force: bool = False, weight_exp: bool = True
             ) -> Tuple[spec.Network, QuantizeReport]:
    """The quantize pass (module docstring).

    Args:
        net: the network; not modified.
        profile: hardware profile (name, path or :class:`~hw_profiles.HwProfile`).
        force: quantize even a network that is already fixed point.
        weight_exp: choose per-layer weight exponents; ``False`` fixes them at 0, so the file
            needs no ``wgtExp`` support from its reader (lava-dl's reader fits weights itself).

    Returns:
        ``(net, report)``: the same object for fixed-point input, else a quantized copy whose
        ``extras['compiler']['quantize']`` records per layer ``weight_exp`` and
        ``weight_bits``.
    """
    profile = hw_profiles.load(profile)
    reason = float_reason(net)
    if reason is None and not force:
        return net, QuantizeReport(float_input=False,
                                   reason="all weights and neuron parameters are integers",
                                   warnings=profile_fit_warnings(net, profile))
    if reason is None:
        reason = "forced"
    out = copy.copy(net)
    out.layers = []
    reports: List[QuantLayerReport] = []
    stored: Dict[str, Any] = {}
    bmax = 2 ** (profile.bias_mant_bits - 1)
    for i, layer in enumerate(net.layers):
        changes: Dict[str, Any] = {}
        notes: List[str] = []
        neuron = layer.neuron
        if neuron is not None:
            neuron, nnotes = quantize_neuron(neuron, profile)
            notes += nnotes
            changes["neuron"] = neuron
        weights = _weights_of(layer)
        rep = QuantLayerReport(index=i, kind=layer.kind, action="quantized")
        if weights:
            e0 = getattr(neuron, "wgt_exp", None) or 0
            can_exp = weight_exp and layer.kind in EXP_KINDS and neuron is not None and \
                hasattr(neuron, "wgt_exp")
            exps = list(range(profile.weight_exp_min, profile.weight_exp_max + 1)) \
                if can_exp else [0]
            if not weight_exp:
                notes.append("weight exponents disabled: exponent fixed at 0")
            elif not can_exp and layer.kind in EXP_KINDS:
                notes.append("no CUBA/ALIF neuron group to hold wgtExp: exponent fixed at 0")
            elif not can_exp:
                notes.append("Lava Conv has no weight exponent: exponent fixed at 0")
            arrays = [np.asarray(v, dtype=np.float64) * 2.0 ** e0 for _, v in weights]
            if layer.kind in ("pool", "unpool"):
                arrays = [np.atleast_1d(a) for a in arrays]
            q = quantize_weights(arrays, profile, exps)
            for (name, v), mant in zip(weights, q["mantissas"]):
                if np.ndim(v) == 0:
                    changes[name] = float(mant.reshape(-1)[0])
                elif np.shape(v) != mant.shape:
                    changes[name] = mant.reshape(np.shape(v))
                else:
                    changes[name] = mant
            if hasattr(neuron, "wgt_exp") and (q["exp"] != 0 or neuron.wgt_exp is not None):
                # the stored exponent always matches the mantissas (0 where fixed)
                neuron = dataclasses.replace(neuron, wgt_exp=q["exp"])
                changes["neuron"] = neuron
            rep.weight_exp, rep.weight_bits, rep.sign_mode = q["exp"], q["bits"], q["mode"]
            rep.clipped_fraction = q["clipped_fraction"]
            rep.max_abs_error, rep.rms_error = q["max_abs_error"], q["rms_error"]
            stored[f"layer_{i}"] = {"weight_exp": np.int64(q["exp"]),
                                    "weight_bits": np.int64(q["bits"])}
        elif neuron is None:
            rep.action = "unchanged"
            reports.append(rep)
            out.layers.append(layer)
            continue
        else:
            rep.action = "parameters rounded"
        if layer.kind != "input" and getattr(layer, "bias", None) is not None:
            b = np.asarray(layer.bias, dtype=np.float64)
            rb = round_half_away(b)
            qb = np.clip(rb, -bmax, bmax - 1)
            rep.bias_clipped_fraction = float(np.mean(qb != rb)) if qb.size else 0.0
            changes["bias"] = qb.astype(np.asarray(layer.bias).dtype
                                        if np.asarray(layer.bias).dtype.kind == "f"
                                        else np.float32)
        if layer.kind != "input" and getattr(layer, "delay", None) is not None:
            d = np.asarray(layer.delay, dtype=np.float64)
            dq = np.clip(round_half_away(d), 0, 2 ** profile.delay_bits - 1)
            if np.any(dq != round_half_away(d)):
                notes.append(f"delays clipped to 0..{2 ** profile.delay_bits - 1}")
            changes["delay"] = dq.astype(np.asarray(layer.delay).dtype
                                         if np.asarray(layer.delay).dtype.kind == "f"
                                         else np.int64)
        rep.notes = notes
        reports.append(rep)
        out.layers.append(dataclasses.replace(layer, **changes))
    out.extras = dict(net.extras)
    comp = dict(out.extras.get("compiler", {}))
    comp["quantize"] = stored
    out.extras["compiler"] = comp
    return out, QuantizeReport(float_input=True, reason=reason, layers=reports)
