"""The one CUBA-LIF dynamics definition, run in float or Loihi fixed-point mode.

Units (training units; see docs in :mod:`trainers.slayer.neuron.cuba`):

* ``z``: synaptic input of a step, i.e. the synapse output ``W x`` with float weights
  ``w = w_file / 64``.  On Loihi the integer input is ``a = z * 64`` (exact when the weights
  are 8-bit quantized and the input spikes are binary; otherwise rounded to nearest).
* current ``c`` and voltage ``v``: Lava's ``u`` and ``v`` divided by 4096
  (so ``u = c * 4096`` and the input enters as ``a << 6 = z * 4096``).
* threshold ``theta``: Lava's ``vth << 6`` divided by 4096, i.e. ``vThMant / 64``.
* decays: ``beta = 1 - decay / 4096`` where ``decay`` is ``iDecay`` / ``vDecay``.

One step (both modes)::

    c[t]  = beta_c * c[t-1] + z[t]              (fixed: decay() rounds toward zero, 24-bit wrap)
    v'[t] = beta_v * v[t-1] + c[t]              (fixed: rounds toward zero, 24-bit saturation)
    s[t]  = v'[t] > theta                       (strict, as Lava)
    v[t]  = 0 where s[t] else v'[t]             (the current is never reset)

Fixed mode is bit exact with Lava's ``LIF`` ``fixed_pt`` model driven by the same integer
input: it runs :func:`netx.fixed_point.cuba_step_f64_` in place on preallocated float64
buffers holding the integer states when that is provably exact (integer inputs below
``netx.fixed_point.F64_INPUT_LIMIT``, initial current within 24 bits; checked once per call),
else :func:`netx.fixed_point.cuba_step` on int64 tensors.  Float mode runs the same
recurrence in floating point (no rounding, no wrap) with in-place ops on preallocated buffers.

Backward (shared by both modes, straight-through for the fixed-point rounding): exact BPTT of
the float recurrence with the spike derivative replaced by the surrogate
``rho(v') = scale_rho * exp(-|v' - theta| / tau_rho)`` and the reset mask ``(1 - s)`` treated
as a constant (no gradient through the reset decision).

Layout: everything is time-major here: ``z`` is ``(T, *S)`` contiguous with ``S = (N, C...)``;
per-neuron parameters broadcast against ``S`` (e.g. shape ``(C, 1, 1)`` for ``S = (N, C, H, W)``).

Output delay (``delay=True``): the output sequence is shifted one step later inside the same
buffer (``out[t] = s[t-1]``, ``out[0]`` = the previous call's last spike or 0).  This is the
one-step synaptic latency of Loihi that SLAYER blocks apply after the neuron
(``delay_shift``), fused here to save a pass and a buffer.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, NamedTuple, Optional, Tuple

import torch

from netx import fixed_point as fxp

Tensor = torch.Tensor

#: Lava's state grid: ``u = c * STATE_SCALE`` (2**12).
STATE_SCALE = fxp.DECAY_UNITY
#: Integer synaptic input per unit of float input: ``a = z * INPUT_SCALE`` (2**6).
INPUT_SCALE = STATE_SCALE >> fxp.ACT_SHIFT
#: per-step slices up to this many elements run single-threaded (see :func:`_step_threads`)
SERIAL_SLICE = 1 << 17


class CubaConfig(NamedTuple):
    """Non-differentiable settings of :class:`CubaDynamics`.

    Attributes:
        theta: threshold (training units).
        tau_rho, scale_rho: surrogate width and height.
        fixed: Loihi fixed-point forward (:func:`netx.fixed_point.cuba_step`).
        i_decay, v_decay: int64 decays out of 4096, broadcastable to ``S`` (fixed mode only).
        vth_mant: threshold mantissa (fixed mode only).
        graded: output ``v'`` at spikes instead of 1.
        spiking: False = no threshold/reset, output ``v'`` (non-spiking integrator).
        delay: shift the output one step later (fused ``delay_shift``).
        want_current: return the current sequence (otherwise an empty tensor is returned).
    """

    theta: float
    tau_rho: float = 1.0
    scale_rho: float = 1.0
    fixed: bool = False
    i_decay: Optional[Tensor] = None
    v_decay: Optional[Tensor] = None
    vth_mant: int = 0
    graded: bool = False
    spiking: bool = True
    delay: bool = False
    want_current: bool = True


@contextmanager
def _step_threads(numel: int) -> Iterator[None]:
    """Run a per-step loop single-threaded when a time slice is small.

    A slice of a few 10k elements takes tens of microseconds; splitting it over OpenMP
    threads gains little on an idle machine but costs milliseconds per op when the cores are
    shared with other processes (a descheduled team thread stalls the others).
    """
    previous = torch.get_num_threads()
    serial = numel <= SERIAL_SLICE and previous > 1
    if serial:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if serial:
            torch.set_num_threads(previous)


class CubaDynamics(torch.autograd.Function):
    """CUBA-LIF over a whole sequence; see the module docstring for the equations.

    ``apply(z, beta_c, beta_v, u0, v0, s0, cfg)`` with

    * ``z`` ``(T, *S)`` float input (time-major, contiguous);
    * ``beta_c``, ``beta_v`` float tensors broadcastable to ``S`` (differentiable);
    * ``u0``, ``v0`` ``S``-shaped initial current / voltage in training units (no gradient);
    * ``s0`` ``S``-shaped output carried into step 0 when ``cfg.delay`` (or ``None`` = zeros);
    * ``cfg`` a :class:`CubaConfig`.

    Returns ``(out, current, u_T, v_T, s_T)``: ``out`` ``(T, *S)`` spikes (or voltage),
    ``current`` ``(T, *S)`` (empty unless ``cfg.want_current``), both differentiable w.r.t.
    ``z`` and the betas; the final state ``u_T``, ``v_T`` and the last un-delayed output
    ``s_T`` (no gradient).

    Implementation (speed): the recurrences are tight loops over contiguous ``(*S)`` slices
    with ``out=`` / in-place ops into preallocated buffers (no autograd graph, no per-step
    allocation in float mode); spikes are float 0/1 (boolean kernels are slow on CPU); the
    backward recomputes the surrogate per step while the slice is in cache.
    """

    @staticmethod
    def forward(ctx, z: Tensor, beta_c: Tensor, beta_v: Tensor,  # type: ignore[override]
                u0: Tensor, v0: Tensor, s0: Optional[Tensor], cfg: CubaConfig):
        ctx.set_materialize_grads(False)
        num_steps, shape = z.shape[0], z.shape[1:]
        bc = beta_c.detach().to(z.dtype)
        bv = beta_v.detach().to(z.dtype)
        keep_cur = cfg.want_current or ctx.needs_input_grad[1]
        with _step_threads(shape.numel()):
            cur = torch.empty_like(z) if keep_cur else None
            vpre = torch.empty_like(z)
            # spikes of step t live at row t + 1 of a (T + 1)-row buffer: row 0 holds s0, so
            # the delayed output is rows 0..T-1 and the plain one rows 1..T (no copy)
            fired_buf = torch.empty((num_steps + 1,) + tuple(shape), dtype=z.dtype,
                                    device=z.device)
            if s0 is None or not cfg.delay:
                fired_buf[0].zero_()
            else:
                fired_buf[0].copy_(s0)
            fired = fired_buf[1:]
            run = _run_fixed if cfg.fixed else _run_float
            v_last, u_last = run(z, bc, bv, u0, v0, cfg, cur, vpre, fired)
        if not cfg.spiking:
            plain = vpre
        elif cfg.graded:
            plain = vpre * fired
        else:
            plain = fired
        if not cfg.delay:
            out = plain
        elif plain is fired:
            out = fired_buf[:num_steps]
        else:
            out = torch.empty_like(plain)
            out[0].copy_(fired_buf[0])
            out[1:].copy_(plain[:-1])
        s_last = plain[-1].clone() if num_steps else fired_buf[0].clone()
        current = cur if cfg.want_current else z.new_empty((0,))
        ctx.save_for_backward(beta_c, beta_v, u0, v0, cur if keep_cur else None, vpre, fired)
        ctx.cfg = cfg
        ctx.mark_non_differentiable(u_last, v_last, s_last)
        return out, current, u_last, v_last, s_last

    @staticmethod
    def backward(ctx, g_out: Optional[Tensor],  # type: ignore[override]
                 g_cur: Optional[Tensor], *_: Optional[Tensor]):
        beta_c, beta_v, u0, v0, cur, vpre, fired = ctx.saved_tensors
        cfg: CubaConfig = ctx.cfg
        spiking, graded = cfg.spiking, cfg.graded
        if g_cur is not None and g_cur.numel() == 0:
            g_cur = None
        num_steps = vpre.shape[0]
        dtype = vpre.dtype
        bc = beta_c.detach().to(dtype)
        bv = beta_v.detach().to(dtype)
        need_bc, need_bv = ctx.needs_input_grad[1], ctx.needs_input_grad[2]
        shape = vpre.shape[1:]
        new = dict(dtype=dtype, device=vpre.device)
        last = num_steps - 1
        with _step_threads(shape.numel()):
            g_z = torch.empty_like(vpre)
            g_v = torch.zeros(shape, **new)   # dL/dv'[t]
            carry = torch.empty(shape, **new)
            tmp = torch.empty(shape, **new)
            acc_bc = torch.zeros(shape, **new) if need_bc else None
            acc_bv = torch.zeros(shape, **new) if need_bv else None
            v_prev = torch.empty(shape, **new) if need_bv else None
            for t in range(last, -1, -1):
                # gradient reaching the output of step t (delayed output: it left at t + 1)
                if g_out is None or (cfg.delay and t == last):
                    g_s = None
                else:
                    g_s = g_out[t + 1] if cfg.delay else g_out[t]
                # carry = beta_v * (1 - s[t]) * dL/dv'[t+1]   (zero at the last step)
                if t == last:
                    carry.zero_()
                elif spiking:
                    torch.addcmul(g_v, g_v, fired[t], value=-1.0, out=carry).mul_(bv)
                else:
                    torch.mul(g_v, bv, out=carry)
                if g_s is None:
                    g_v.copy_(carry)
                elif spiking:
                    # rho(v') = scale * exp(-|v' - theta| / tau)
                    torch.sub(vpre[t], cfg.theta, out=tmp).abs_().mul_(-1.0 / cfg.tau_rho).exp_()
                    if graded:  # d(v' H(v' - theta))/dv' = H + v' rho
                        tmp.mul_(vpre[t]).mul_(cfg.scale_rho).add_(fired[t])
                        torch.addcmul(carry, tmp, g_s, out=g_v)
                    else:
                        torch.addcmul(carry, tmp, g_s, value=cfg.scale_rho, out=g_v)
                else:
                    torch.add(carry, g_s, out=g_v)
                # dL/dz[t] = dL/dc[t] = dL/dv'[t] + g_cur[t] + beta_c dL/dc[t+1]
                if t == last:
                    g_z[t].copy_(g_v)
                else:
                    torch.addcmul(g_v, g_z[t + 1], bc, out=g_z[t])
                if g_cur is not None:
                    g_z[t].add_(g_cur[t])
                if need_bc:
                    acc_bc.addcmul_(g_z[t], cur[t - 1] if t else u0.to(dtype))
                if need_bv:
                    if t == 0:
                        v_prev.copy_(v0)
                    elif spiking:  # voltage after the reset of step t-1
                        torch.addcmul(vpre[t - 1], vpre[t - 1], fired[t - 1], value=-1.0,
                                      out=v_prev)
                    else:
                        v_prev.copy_(vpre[t - 1])
                    acc_bv.addcmul_(g_v, v_prev)
            grad_bc = _reduce(acc_bc, beta_c) if need_bc else None
            grad_bv = _reduce(acc_bv, beta_v) if need_bv else None
        return g_z, grad_bc, grad_bv, None, None, None, None


def _reduce(acc: Tensor, param: Tensor) -> Tensor:
    """Sum an ``S``-shaped accumulator down to a parameter's (broadcast) shape."""
    return acc.sum() if param.dim() == 0 else acc.sum_to_size(param.shape)


def _run_float(z: Tensor, bc: Tensor, bv: Tensor, u0: Tensor, v0: Tensor, cfg: CubaConfig,
               cur: Optional[Tensor], vpre: Tensor, fired: Tensor) -> Tuple[Tensor, Tensor]:
    """Float recurrence into the preallocated buffers (no per-step allocation).

    Fills ``cur`` (if given; else two rotating slices), ``vpre`` (voltage before reset) and
    ``fired`` (float 0/1).  Returns the final ``(voltage, current)``.
    """
    num_steps = z.shape[0]
    c_prev = u0.to(z.dtype).expand(z.shape[1:])
    spare = None if cur is not None else torch.empty((2,) + tuple(z.shape[1:]), dtype=z.dtype,
                                                      device=z.device)
    v_state = v0.to(z.dtype).expand(z.shape[1:]).clone()
    for t in range(num_steps):
        c_t = cur[t] if cur is not None else spare[t % 2]
        torch.addcmul(z[t], c_prev, bc, out=c_t)
        torch.addcmul(c_t, v_state, bv, out=vpre[t])
        if cfg.spiking:
            torch.gt(vpre[t], cfg.theta, out=fired[t])
            torch.addcmul(vpre[t], vpre[t], fired[t], value=-1.0, out=v_state)  # reset
        else:
            v_state.copy_(vpre[t])
        c_prev = c_t
    if not cfg.spiking:
        fired.zero_()
    return v_state, c_prev.clone()


def _run_fixed(z: Tensor, bc: Tensor, bv: Tensor, u0: Tensor, v0: Tensor, cfg: CubaConfig,
               cur: Optional[Tensor], vpre: Tensor, fired: Tensor) -> Tuple[Tensor, Tensor]:
    """Integer recurrence, bit exact with Lava (:func:`netx.fixed_point.cuba_step`).

    The integer input of step ``t`` is ``a = round(z[t] * 64)``.  Fills the same buffers as
    :func:`_run_float`, in training units (exact: states are 24-bit integers over 4096).  The
    voltage before the reset of a spiking neuron (used only by the surrogate gradient) is
    ``beta_v * v[t-1] + current[t]`` evaluated in floating point.

    Fast path (:func:`_fixed_f64_plan`): when every input and the initial state are in range,
    the state lives in preallocated float64 buffers holding integers and each step is
    :func:`netx.fixed_point.cuba_step_f64_` in place (bit-identical to ``cuba_step``);
    otherwise each step calls ``cuba_step`` on int64 tensors.
    """
    plan = _fixed_f64_plan(z, u0, cfg)
    if plan is not None:
        return _run_fixed_f64(z, bv, u0, v0, cfg, cur, vpre, fired, *plan)
    num_steps = z.shape[0]
    shape = z.shape[1:]
    scale = 1.0 / STATE_SCALE
    state = fxp.CubaState(torch.round(u0 * STATE_SCALE).to(torch.int64).expand(shape),
                          torch.round(v0 * STATE_SCALE).to(torch.int64).expand(shape))
    vth = (fxp.threshold(cfg.vth_mant) if cfg.spiking
           else torch.tensor(2 ** 62, dtype=torch.int64))
    v_post = v0.to(z.dtype).expand(shape).clone()
    v_new = torch.empty_like(v_post)
    ztmp = torch.empty_like(v_post)
    c_t = u0.to(z.dtype).expand(shape).clone()
    for t in range(num_steps):
        a = torch.mul(z[t], INPUT_SCALE, out=ztmp).round_().to(torch.int64)
        state, s = fxp.cuba_step(state, a, cfg.i_decay, cfg.v_decay, vth)
        if cur is not None:
            c_t = cur[t]
        elif t == 0:
            c_t = torch.empty_like(v_post)
        torch.mul(state.u, scale, out=c_t)
        torch.mul(state.v, scale, out=v_new)
        if cfg.spiking:
            fired[t].copy_(s)
            torch.addcmul(c_t, v_post, bv, out=vpre[t])        # float estimate of v'
            vpre[t].sub_(v_new).mul_(fired[t]).add_(v_new)     # exact where no spike
        else:
            vpre[t].copy_(v_new)
        v_post, v_new = v_new, v_post
    if not cfg.spiking:
        fired.zero_()
    return v_post.clone(), c_t.clone()


def _fixed_f64_plan(z: Tensor, u0: Tensor, cfg: CubaConfig
                    ) -> Optional[Tuple[Optional[list], Optional[list]]]:
    """``(decay_u, wrap_u)`` hints for :func:`netx.fixed_point.cuba_step_f64_`, or ``None``
    when that in-place float64 step is not provably exact for this input.

    Exact when every integer input ``|round(64 z)| < F64_INPUT_LIMIT`` and the initial
    current is a 24-bit state (``|u0| <= 2^23``).  Hints: no decay pass when ``iDecay`` is
    4096 everywhere; no wrap pass when ``|u| <= max(|u0|, 64 A / (1 - keep))`` stays below
    ``2^23 - 1`` (``A`` the input bound, ``keep`` the largest current keep factor).
    """
    if z.numel() == 0 or z.dtype not in (torch.float32, torch.float64):
        return None
    lo, hi = torch.aminmax(z)
    a_bound = float(torch.maximum(hi, -lo)) * INPUT_SCALE
    if not a_bound < fxp.F64_INPUT_LIMIT - 1:  # also False for inf / nan
        return None
    u_bound = float(u0.abs().max()) * STATE_SCALE if u0.numel() else 0.0
    if not u_bound <= fxp.STATE_MAX:
        return None
    keep = float(fxp.keep_factor(cfg.i_decay).max())
    decay_u = None if keep > 0 else []
    a_bound = round(a_bound)
    limit = (max(u_bound, 2 ** fxp.ACT_SHIFT * a_bound / (1 - keep)) if keep < 1
             else float("inf"))
    wrap_u = [] if limit < fxp.STATE_MAX - 1 else None
    return decay_u, wrap_u


def _run_fixed_f64(z: Tensor, bv: Tensor, u0: Tensor, v0: Tensor, cfg: CubaConfig,
                   cur: Optional[Tensor], vpre: Tensor, fired: Tensor,
                   decay_u: Optional[list], wrap_u: Optional[list]) -> Tuple[Tensor, Tensor]:
    """The fixed-point recurrence of :func:`_run_fixed` on preallocated float64 buffers
    (:func:`netx.fixed_point.cuba_step_f64_`); same outputs, bit for bit."""
    num_steps = z.shape[0]
    shape = z.shape[1:]
    f64 = dict(dtype=torch.float64, device=z.device)
    scale = 1.0 / STATE_SCALE
    u = torch.round(u0.to(torch.float64) * STATE_SCALE).expand(shape).clone()
    v = torch.round(v0.to(torch.float64) * STATE_SCALE).expand(shape).clone()
    keep_u = fxp.keep_factor(cfg.i_decay).to(z.device)
    keep_v = fxp.keep_factor(cfg.v_decay).to(z.device)
    vth = (fxp.threshold(cfg.vth_mant).to(**f64) if cfg.spiking
           else torch.tensor(2.0 ** 62, **f64))
    a = torch.empty(shape, **f64)
    work = torch.empty(shape, **f64)
    spikes = fired if cfg.spiking else torch.empty(shape, dtype=z.dtype, device=z.device)
    v_post = v0.to(z.dtype).expand(shape).clone()
    v_new = torch.empty_like(v_post)
    est = torch.empty_like(v_post)
    c_t = u0.to(z.dtype).expand(shape).clone()
    for t in range(num_steps):
        torch.mul(z[t], INPUT_SCALE, out=a).round_()  # exact: same value as in z's dtype
        fxp.cuba_step_f64_(u, v, a, keep_u, keep_v, vth, 0, spikes[t] if cfg.spiking
                           else spikes, decay_u, wrap_u, work)
        if cur is not None:
            c_t = cur[t]
        elif t == 0:
            c_t = torch.empty_like(v_post)
        torch.mul(u, scale, out=c_t)
        if cfg.spiking:
            torch.mul(v, scale, out=v_new)
            # v' = v_new where no spike; the float estimate beta_v v[t-1] + c[t] where a
            # spike reset v_new to exactly 0
            torch.addcmul(c_t, v_post, bv, out=est)
            torch.addcmul(v_new, est, fired[t], out=vpre[t])
            v_post, v_new = v_new, v_post
        else:
            torch.mul(v, scale, out=vpre[t])
            v_post = vpre[t]
    if not cfg.spiking:
        fired.zero_()
    return v_post.clone(), c_t.clone()
