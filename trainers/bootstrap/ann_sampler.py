"""ANN sampler: learns a neuron's rate transfer function from SNN samples.

In ``SAMPLE`` mode a block hands its sampler the synaptic input ``z`` it fed the neuron and the
spikes ``s`` the neuron produced (both ``NC...T``, time last).  The sampler keeps one
``(z_mean, rate)`` pair per neuron and sample: the time average of the input current (in the
neuron's float units, threshold = ``threshold``) and the spike rate in spikes per time step
(``0 .. 1``).

``fit()`` turns the pairs into a monotone piecewise-linear (PWL) function ``rate = f(z)``:

1. keep the rates between ``sample_range[0]`` and ``sample_range[1]`` of the observed maximum
   rate and split that interval into ``num_centers`` equal bins;
2. per non-empty bin take a robust centre: the (lower) median of ``z`` and of ``rate``;
3. the saturation level is the highest rate the layer can reach: the fraction of time steps in
   which any sampled neuron spiked (1 for a layer without delays; ``(T - d) / T`` when ``d``
   leading steps are always silent, e.g. after ``d`` one-step synaptic delays);
4. add a zero crossing -- the line through the median of the weakly active samples
   (``0 < rate <`` low edge) and the first centre, extended down to rate 0 -- and a
   saturation point -- the last segment extended up to the saturation level, but no further
   than the median input of the top samples (rate > high edge) when most of those saturate;
5. blend the knots with the previous fit (``blend`` = weight of the new fit; 1 replaces it);
6. measure the spread of the SNN rates around the fit (``noise_scale``, times ``noise_gain``),
   which ANN mode reproduces as Gaussian noise while training (``noise=True``), so the ANN
   trains under the SNN's rate variability.

``forward(z)`` evaluates ``f``: 0 below the zero crossing, the saturation level above the
saturation point, linear
in between; its gradient is the slope of the segment ``z`` falls in.  The knots are buffers,
so they travel with ``state_dict()``.
"""

from __future__ import annotations

import warnings
from typing import Optional, Sequence, Tuple

import torch

Tensor = torch.Tensor

__all__ = ["AnnSampler", "pwl"]


class _Pwl(torch.autograd.Function):
    """Segment lookup forward, ``grad * slope`` backward (no gradient for the knots)."""

    @staticmethod
    def forward(ctx, z: Tensor, x: Tensor, y: Tensor) -> Tensor:  # type: ignore[override]
        dx = x[1:] - x[:-1]
        slope = torch.where(dx > 0, (y[1:] - y[:-1]) / torch.where(dx > 0, dx, torch.ones_like(dx)),
                            torch.zeros_like(dx))
        intercept = y[:-1] - slope * x[:-1]
        k = torch.searchsorted(x, z.detach().contiguous(), right=True).sub_(1)
        k.clamp_(0, len(dx) - 1)
        s = slope[k]
        out = torch.addcmul(intercept[k], s, z).clamp_(y[0], y[-1])
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(s.mul_((z > x[0]) & (z < x[-1])))
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        (s,) = ctx.saved_tensors
        return grad * s, None, None


def pwl(z: Tensor, x_points: Tensor, y_points: Tensor) -> Tensor:
    """Monotone piecewise-linear function through the knots ``(x_points[k], y_points[k])``.

    ``x_points`` and ``y_points`` are non-decreasing 1-D tensors of equal length ``K >= 2``;
    the function is ``y_points[0]`` left of ``x_points[0]``, ``y_points[-1]`` right of
    ``x_points[-1]`` and linear between knots (zero-length segments contribute nothing).
    ``df/dz`` is the slope of the segment ``z`` falls in (0 outside ``[x_0, x_last]``).
    Cost: one binary search and a few element-wise operations per element.

    Args:
        z: any tensor (e.g. ``NCT``), in the units of ``x_points``.
    Returns:
        tensor of ``z``'s shape and dtype.
    """
    x = x_points.to(device=z.device, dtype=z.dtype).contiguous()
    y = y_points.to(device=z.device, dtype=z.dtype).contiguous()
    return _Pwl.apply(z, x, y)


class AnnSampler(torch.nn.Module):
    """Per-layer sampler and fitted PWL rate transfer function.

    Args:
        num_centers: number of rate bins (knots between the zero crossing and saturation).
        sample_range: ``(low, high)`` fractions of the maximum observed rate that are binned.
        blend: weight of a new fit against the previous one (1 replaces; first fit always 1).
        max_samples: cap on stored pairs; beyond it a random subset is kept.
        noise: in training mode, add to the ANN rate a zero-mean Gaussian noise whose variance
            ``noise_scale * f (top - f) / top`` reproduces the spread of the SNN's rates around
            the fit (``noise_scale`` is measured at each FIT); no noise in eval mode.
        noise_gain: multiplier of the measured spread stored in ``noise_scale`` (1 reproduces
            the SNN's variance; larger values regularise the ANN harder).
        eps: smallest spacing between knots along ``z``.

    Buffers: ``x_points`` / ``y_points`` (``num_centers + 2`` knots; ``y`` runs from 0 to 1),
    ``fitted`` (0/1).
    """

    def __init__(self, num_centers: int = 5, sample_range: Sequence[float] = (0.1, 0.9),
                 blend: float = 0.8, max_samples: int = 1_000_000, eps: float = 1e-5,
                 noise: bool = True, noise_gain: float = 1.0) -> None:
        super().__init__()
        if num_centers < 1:
            raise ValueError(f"num_centers must be >= 1, got {num_centers}")
        lo, hi = float(sample_range[0]), float(sample_range[1])
        if not 0 <= lo < hi <= 1:
            raise ValueError(f"sample_range must satisfy 0 <= low < high <= 1, got {sample_range}")
        if noise_gain < 0:
            raise ValueError(f"noise_gain must be >= 0, got {noise_gain}")
        self.num_centers = int(num_centers)
        self.sample_range = (lo, hi)
        self.blend = float(blend)
        self.max_samples = int(max_samples)
        self.eps = float(eps)
        self.register_buffer("x_points", torch.zeros(num_centers + 2))
        self.register_buffer("y_points", torch.zeros(num_centers + 2))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.uint8))
        self.register_buffer("noise_scale", torch.zeros(()))
        self.noise = bool(noise)
        self.noise_gain = float(noise_gain)
        self._z: list = []
        self._a: list = []
        self._active_steps: Optional[Tensor] = None  # time steps in which anything spiked

    # --------------------------------------------------------------- samples
    @property
    def num_samples(self) -> int:
        """Number of stored ``(z, rate)`` pairs."""
        return sum(len(z) for z in self._z)

    def clear(self) -> None:
        """Forget the stored samples (the fitted function is kept)."""
        self._z, self._a = [], []
        self._active_steps = None

    def append(self, z: Tensor, s: Tensor) -> None:
        """Record one batch: ``z`` neuron input current and ``s`` output spikes, both ``N...T``
        with the same shape; the time average of each element is one sample."""
        if z.shape != s.shape:
            raise ValueError(f"sampler: input current {tuple(z.shape)} and spikes "
                             f"{tuple(s.shape)} must have the same shape (N...T)")
        with torch.no_grad():
            self._z.append(z.detach().mean(-1).flatten().float())
            self._a.append(s.detach().mean(-1).flatten().float())
            active = (s.detach() != 0).reshape(-1, s.shape[-1]).any(0).cpu()
            if self._active_steps is None or len(self._active_steps) != len(active):
                self._active_steps = active
            else:
                self._active_steps |= active
            if self.num_samples > 2 * self.max_samples:
                self._shrink()

    def samples(self) -> Tuple[Tensor, Tensor]:
        """The stored pairs as two 1-D tensors ``(z, rate)``."""
        if not self._z:
            return torch.zeros(0), torch.zeros(0)
        return torch.cat(self._z), torch.cat(self._a)

    def _shrink(self) -> None:
        z, a = self.samples()
        keep = torch.randperm(len(z), device=z.device)[: self.max_samples]
        self._z, self._a = [z[keep]], [a[keep]]

    # --------------------------------------------------------------- fit
    def fit(self) -> bool:
        """Fit the PWL function to the stored samples (see the module docstring), blend it with
        the previous fit and clear the samples.  Returns ``False`` (keeping the previous fit)
        when there are no samples or no neuron ever spiked."""
        z, a = self.samples()
        level = self.saturation_level()
        self.clear()
        if len(z) == 0 or float(a.max()) <= 0:
            warnings.warn("AnnSampler.fit: no spiking samples; the transfer function is unchanged"
                          if bool(self.fitted) else
                          "AnnSampler.fit: no spiking samples; using the ramp rate = z on [0, 1]")
            if not bool(self.fitted):
                self._set(torch.linspace(0, 1, self.num_centers + 2),
                          torch.linspace(0, 1, self.num_centers + 2), 1.0)
            return False
        x_new, y_new = self.knots(z, a, level)
        weight = self.blend if bool(self.fitted) else 1.0
        self._set(x_new, y_new, weight)
        scale = self.noise_gain * self.residual_scale(z, a, x_new, y_new)
        self.noise_scale.fill_(weight * scale + (1 - weight) * float(self.noise_scale))
        return True

    def saturation_level(self) -> float:
        """Highest reachable rate: the fraction of time steps in which any recorded neuron
        spiked (1.0 before any sample)."""
        steps = self._active_steps
        if steps is None or len(steps) == 0:
            return 1.0
        return max(float(steps.float().mean()), 1.0 / len(steps))

    def knots(self, z: Tensor, a: Tensor, top_rate: float = 1.0) -> Tuple[Tensor, Tensor]:
        """Knots ``(x, y)`` (``num_centers + 2`` each, float64) of the PWL fit of samples
        ``rate = a`` at input ``z`` (1-D tensors) saturating at ``top_rate`` (``>= max(a)``);
        empty bins repeat the saturation knot."""
        z = z.double().cpu()
        a = a.double().cpu()
        a_max = float(a.max())
        lo, hi = self.sample_range
        edges = torch.linspace(lo * a_max, hi * a_max, self.num_centers + 1, dtype=torch.float64)
        cz, ca = [], []
        for k in range(self.num_centers):
            last = k == self.num_centers - 1
            inside = (a >= edges[k]) & ((a <= edges[k + 1]) if last else (a < edges[k + 1]))
            if bool(inside.any()):
                cz.append(float(z[inside].median()))
                ca.append(float(a[inside].median()))
        # one centre per distinct rate, increasing in z (medians are monotone already)
        xs, ys = [], []
        for zc, ac in zip(cz, ca):
            if ys and ac <= ys[-1]:
                continue
            if xs and zc <= xs[-1]:
                zc = xs[-1] + self.eps
            xs.append(zc)
            ys.append(ac)
        if not xs:  # every active sample sits above the bins: one centre from all of them
            active = a > 0
            xs, ys = [float(z[active].median())], [float(a[active].median())]
        # zero crossing: the line through the median of the weakly active samples
        # (0 < rate < low edge) and the first centre -- or the first segment -- down to rate 0
        weak = (a > 0) & (a < edges[0])
        if bool(weak.any()) and float(z[weak].median()) < xs[0]:
            px, py = float(z[weak].median()), float(a[weak].median())
        elif len(xs) >= 2:
            px, py = xs[1], ys[1]
        else:
            px = py = None
        if px is not None and py != ys[0]:
            x0 = xs[0] - ys[0] * (xs[0] - px) / (ys[0] - py)
        else:
            silent = z[a <= 0]
            x0 = float(silent.max()) if len(silent) and float(silent.max()) < xs[0] else 0.0
        x0 = min(x0, xs[0] - self.eps)
        # saturation: the last segment extended up to top_rate, but no later than the median
        # input of the top samples (rate > high edge) when most of those are saturated
        top_rate = max(float(top_rate), a_max)
        if ys[-1] >= top_rate:
            x_sat = xs.pop()
            ys.pop()
        else:
            px, py = (xs[-2], ys[-2]) if len(xs) >= 2 else (x0, 0.0)
            x_sat = xs[-1] + (top_rate - ys[-1]) * (xs[-1] - px) / (ys[-1] - py)
            top = a > edges[-1]
            if bool(top.any()) and float(a[top].median()) >= top_rate:
                x_sat = min(x_sat, float(z[top].median()))
        x_sat = max(x_sat, (xs[-1] if xs else x0) + self.eps)
        x = [x0] + xs + [x_sat] * (self.num_centers + 1 - len(xs))
        y = [0.0] + ys + [top_rate] * (self.num_centers + 1 - len(ys))
        return torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)

    @staticmethod
    def residual_scale(z: Tensor, a: Tensor, x: Tensor, y: Tensor) -> float:
        """Least-squares ``c`` of the residual variance model
        ``E[(a - f(z))^2] = c * f (top - f) / top`` (``f`` the PWL through ``(x, y)``,
        ``top = y[-1]``)."""
        f = pwl(z.double(), x.double(), y.double())
        top = float(y[-1])
        shape = f * (top - f) / top
        denominator = float((shape * shape).sum())
        if denominator <= 0:
            return 0.0
        return max(0.0, float((((a.double() - f) ** 2) * shape).sum()) / denominator)

    def _set(self, x: Tensor, y: Tensor, weight: float) -> None:
        x = x.to(self.x_points.device, torch.float64)
        y = y.to(self.y_points.device, torch.float64)
        x = weight * x + (1 - weight) * self.x_points.double()
        y = weight * y + (1 - weight) * self.y_points.double()
        self.x_points.copy_(x.to(self.x_points.dtype))
        self.y_points.copy_(y.to(self.y_points.dtype))
        self.fitted.fill_(1)

    # --------------------------------------------------------------- evaluate
    def forward(self, z: Tensor) -> Tensor:
        """Rate ``f(z)`` in spikes per step (``0 .. 1``), same shape as ``z``."""
        if not bool(self.fitted):
            raise RuntimeError("AnnSampler: the rate transfer function is not fitted yet; run "
                               "SAMPLE iterations and a FIT iteration before ANN mode")
        rate = pwl(z, self.x_points, self.y_points)
        if self.noise and self.training and float(self.noise_scale) > 0:
            top = self.y_points[-1].to(rate.dtype)
            with torch.no_grad():
                var = self.noise_scale * rate * (top - rate) / top
                noise = torch.randn_like(rate) * var.clamp(min=0).sqrt()
                noise = torch.minimum(torch.maximum(noise, -rate), top - rate)  # stay in [0, top]
            rate = rate + noise
        return rate

    def extra_repr(self) -> str:
        return (f"num_centers={self.num_centers}, sample_range={self.sample_range}, "
                f"blend={self.blend}, noise_gain={self.noise_gain}, fitted={bool(self.fitted)}")
