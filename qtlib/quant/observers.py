"""Observers: watch calibration batches, then choose qparams for a spec (ch02).

Every observer takes batches with :meth:`Observer.update` (or :meth:`Observer.observe` for an
iterable) and returns ``(scale, zero_point)`` from :meth:`Observer.calculate_qparams`, using the
min-max rule of :func:`qtlib.quant.qparams_from_min_max` on the range it settled on:

* ``"minmax"``: running min and max (torch.ao ``MinMaxObserver`` / ``PerChannelMinMaxObserver``).
* ``"moving_average"``: exponential moving average of each batch's min and max,
  ``m <- m + c * (batch_m - m)`` (torch.ao ``MovingAverageMinMaxObserver``, ``c = 0.01``).
* ``"percentile"``: the ``100 - p`` and ``p`` percentiles of all values seen (from a histogram).
* ``"mse"``: the clipping range ``alpha * [min, max]`` (alpha on a log grid) whose fake-quantized
  histogram has the smallest mean squared error, computed with the real quantizer.
* ``"histogram"``: the idea of torch.ao's ``HistogramObserver``, simplified: candidate ranges cut
  given tail fractions off each side; the one with the smallest L2 estimate
  ``count_in * step**2 / 12 + sum(clipped (x - edge)**2)`` wins.

The histogram-based observers (percentile, mse, histogram) support ``per_tensor`` specs only;
min-max and moving average support every granularity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from qtlib.quant.affine import _quantize_float, min_max, qparams_from_min_max
from qtlib.quant.checks import check_float_tensor, check_shape_for_spec, check_spec
from qtlib.quant.spec import QuantSpec


class Observer:
    """Base class: validated batches in, qparams out. Subclasses implement ``_update``/``range``."""

    def __init__(self, spec: QuantSpec) -> None:
        self.spec = check_spec(spec)
        self.num_batches = 0

    def update(self, x: torch.Tensor) -> None:
        """Observe one batch (float tensor, finite, non-empty)."""
        check_float_tensor(x, "x")
        check_shape_for_spec(x.shape, self.spec)
        self._update(x.detach().float())
        self.num_batches += 1

    def observe(self, batches: Iterable[torch.Tensor]) -> Observer:
        """Observe every batch of an iterable; returns ``self`` for chaining."""
        for x in batches:
            self.update(x)
        return self

    def _update(self, x: torch.Tensor) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def range(self) -> tuple[torch.Tensor, torch.Tensor]:  # pragma: no cover - abstract
        """The ``(min, max)`` the observer settled on, qparams shape, float32."""
        raise NotImplementedError

    def calculate_qparams(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(scale float32, zero_point int32)`` for the observed range; raises if nothing seen."""
        if self.num_batches == 0:
            raise ValueError(f"{type(self).__name__} has seen no batches; call update(x) first")
        lo, hi = self.range()
        return qparams_from_min_max(lo, hi, self.spec)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec.short()}, batches={self.num_batches})"


class MinMaxObserver(Observer):
    """Running min and max over all batches (any granularity)."""

    def __init__(self, spec: QuantSpec) -> None:
        super().__init__(spec)
        self.min_val: torch.Tensor | None = None
        self.max_val: torch.Tensor | None = None

    def _update(self, x: torch.Tensor) -> None:
        lo, hi = min_max(x, self.spec)
        if self.min_val is not None and lo.shape != self.min_val.shape:
            raise ValueError(f"batch gives qparams of shape {tuple(lo.shape)} but earlier batches "
                             f"gave {tuple(self.min_val.shape)}; per_token/per_group observers "
                             f"need batches of the same shape")
        self.min_val = lo if self.min_val is None else torch.minimum(self.min_val, lo)
        self.max_val = hi if self.max_val is None else torch.maximum(self.max_val, hi)

    def range(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.min_val, self.max_val


class MovingAverageMinMaxObserver(MinMaxObserver):
    """Exponential moving average of batch min and max: ``m <- m + c * (batch_m - m)``."""

    def __init__(self, spec: QuantSpec, averaging_constant: float = 0.01) -> None:
        super().__init__(spec)
        if not 0 < averaging_constant <= 1:
            raise ValueError(f"averaging_constant must be in (0, 1], got {averaging_constant}")
        self.averaging_constant = averaging_constant

    def _update(self, x: torch.Tensor) -> None:
        lo, hi = min_max(x, self.spec)
        if self.min_val is None:
            self.min_val, self.max_val = lo, hi
            return
        if lo.shape != self.min_val.shape:
            raise ValueError(f"batch gives qparams of shape {tuple(lo.shape)} but earlier batches "
                             f"gave {tuple(self.min_val.shape)}")
        c = self.averaging_constant
        self.min_val = self.min_val + c * (lo - self.min_val)
        self.max_val = self.max_val + c * (hi - self.max_val)


class _HistogramObserverBase(Observer):
    """Keeps a histogram of all values seen over a range that grows to cover every batch.

    When a batch falls outside the current range, the old counts are moved to the new bins by
    their bin centres (an approximation of at most one old bin width).
    """

    def __init__(self, spec: QuantSpec, bins: int = 2048) -> None:
        super().__init__(spec)
        if spec.granularity != "per_tensor":
            raise ValueError(f"{type(self).__name__} supports granularity='per_tensor' only, got "
                             f"spec.granularity={spec.granularity!r}; use 'minmax' or "
                             f"'moving_average' for other granularities")
        if bins < 16:
            raise ValueError(f"bins must be at least 16, got {bins}")
        self.bins = bins
        self.histogram = torch.zeros(bins, dtype=torch.float64)
        self.lo = self.hi = None  # range of the histogram (floats)
        self.min_val = self.max_val = None  # exact extremes seen

    def _update(self, x: torch.Tensor) -> None:
        bmin, bmax = (float(v) for v in torch.aminmax(x))
        self.min_val = bmin if self.min_val is None else min(self.min_val, bmin)
        self.max_val = bmax if self.max_val is None else max(self.max_val, bmax)
        lo, hi = self.min_val, self.max_val
        if hi - lo < 1e-12:
            hi = lo + max(abs(lo), 1.0) * 1e-6
        if self.lo is not None and (lo, hi) != (self.lo, self.hi):
            centers = self.edges()[:-1] + (self.hi - self.lo) / self.bins / 2
            self.histogram = torch.histogram(centers, bins=self.bins, range=(lo, hi),
                                             weight=self.histogram).hist
        self.lo, self.hi = lo, hi
        self.histogram += torch.histogram(x.reshape(-1).double(), bins=self.bins,
                                          range=(lo, hi)).hist

    def edges(self) -> torch.Tensor:
        """Bin edges of the histogram, float64 ``[bins + 1]``."""
        return torch.linspace(self.lo, self.hi, self.bins + 1, dtype=torch.float64)

    def centers(self) -> torch.Tensor:
        """Bin centres, float64 ``[bins]``."""
        e = self.edges()
        return (e[:-1] + e[1:]) / 2

    def _quantile(self, q: torch.Tensor) -> torch.Tensor:
        """Values below which a fraction ``q`` of the mass lies (linear inside a bin)."""
        cdf = torch.cumsum(self.histogram, 0) / self.histogram.sum()
        cdf = torch.cat([torch.zeros(1, dtype=torch.float64), cdf])
        e = self.edges()
        idx = torch.searchsorted(cdf, q.clamp(0, 1)).clamp(1, self.bins)
        c0, c1 = cdf[idx - 1], cdf[idx]
        frac = torch.where(c1 > c0, (q - c0) / (c1 - c0), torch.zeros_like(q)).clamp(0, 1)
        return e[idx - 1] + frac * (e[idx] - e[idx - 1])


class PercentileObserver(_HistogramObserverBase):
    """Range ``[percentile(100 - p), percentile(p)]`` of all values seen (per_tensor)."""

    def __init__(self, spec: QuantSpec, percentile: float = 99.99, bins: int = 2048) -> None:
        super().__init__(spec, bins)
        if not 50 < percentile <= 100:
            raise ValueError(f"percentile must be in (50, 100], got {percentile}")
        self.percentile = percentile

    def range(self) -> tuple[torch.Tensor, torch.Tensor]:
        p = self.percentile / 100
        lo, hi = self._quantile(torch.tensor([1 - p, p], dtype=torch.float64))
        lo, hi = max(float(lo), self.min_val), min(float(hi), self.max_val)
        return torch.tensor(lo), torch.tensor(max(hi, lo))


class MSEObserver(_HistogramObserverBase):
    """Range ``alpha * [min, max]`` minimising the MSE of fake-quantizing the histogram.

    ``alpha`` runs over ``num_candidates`` log-spaced values from ``min_ratio`` to 1 (heavy tails
    need small ratios); each candidate's error is ``sum(count * (center -
    fake_quantize(center))**2)`` over the histogram bins.
    """

    def __init__(self, spec: QuantSpec, num_candidates: int = 200, min_ratio: float = 0.01,
                 bins: int = 2048) -> None:
        super().__init__(spec, bins)
        if not 0 < min_ratio < 1:
            raise ValueError(f"min_ratio must be in (0, 1), got {min_ratio}")
        self.alphas = torch.logspace(math.log10(min_ratio), 0.0, num_candidates)
        self.errors: torch.Tensor | None = None

    def range(self) -> tuple[torch.Tensor, torch.Tensor]:
        centers = self.centers().float()
        lo = self.alphas * min(self.min_val, 0.0)
        hi = self.alphas * max(self.max_val, 0.0)
        scale, zp = qparams_from_min_max(lo, hi, self.spec)
        # one row per candidate: fake-quantize all bin centres with that candidate's qparams
        cand = QuantSpec(self.spec.num_bits, self.spec.signed, self.spec.symmetric, "per_channel",
                         axis=0, narrow_range=self.spec.narrow_range)
        grid = centers.expand(len(self.alphas), -1)
        _, q = _quantize_float(grid, scale, zp, cand)
        x_hat = (q - zp[:, None].float()) * scale[:, None]
        self.errors = ((x_hat.double() - centers.double()) ** 2 * self.histogram).sum(1)
        best = int(torch.argmin(self.errors))
        return lo[best], hi[best]


class HistogramObserver(_HistogramObserverBase):
    """Range minimising an L2 estimate of rounding noise plus clipping error (per_tensor).

    Candidates cut a fraction ``t`` of the mass off the low side and ``u`` off the high side, for
    ``t, u`` in ``tail_fractions``. The estimate of a candidate ``[a, b]`` with step ``s`` is
    ``(mass inside) * s**2 / 12 + sum over clipped bins of count * (center - edge)**2``.
    """

    TAILS = (0.0, 1e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)

    def __init__(self, spec: QuantSpec, tail_fractions: tuple[float, ...] = TAILS,
                 bins: int = 2048) -> None:
        super().__init__(spec, bins)
        self.tails = torch.tensor(tail_fractions, dtype=torch.float64)

    def range(self) -> tuple[torch.Tensor, torch.Tensor]:
        lows = self._quantile(self.tails).clamp(min=self.min_val)
        highs = self._quantile(1 - self.tails).clamp(max=self.max_val)
        a = lows[:, None].expand(-1, len(self.tails)).reshape(-1)
        b = highs[None, :].expand(len(self.tails), -1).reshape(-1)
        b = torch.maximum(a, b)
        scale, _ = qparams_from_min_max(a.float(), b.float(), self.spec)
        # the quantized grid covers [min(a,0), max(b,0)] (extended to include zero)
        a0, b0 = torch.minimum(a, torch.zeros(())), torch.maximum(b, torch.zeros(()))
        if self.spec.symmetric:
            m = torch.maximum(-a0, b0)
            a0, b0 = -m, m
        c = self.centers()[None, :]
        h = self.histogram[None, :]
        inside = (c >= a0[:, None]) & (c <= b0[:, None])
        rounding = (h * inside).sum(1) * scale.double() ** 2 / 12
        clip = (h * ((c - c.clamp(a0[:, None], b0[:, None])) ** 2)).sum(1)
        self.errors = rounding + clip
        best = int(torch.argmin(self.errors))
        return a[best].float(), b[best].float()


OBSERVERS: dict[str, type[Observer]] = {
    "minmax": MinMaxObserver,
    "moving_average": MovingAverageMinMaxObserver,
    "percentile": PercentileObserver,
    "mse": MSEObserver,
    "histogram": HistogramObserver,
}


def make_observer(name: str, spec: QuantSpec, **kwargs) -> Observer:
    """Build an observer by name (one of :data:`OBSERVERS`); ``kwargs`` go to its constructor."""
    if name not in OBSERVERS:
        raise ValueError(f"observer must be one of {sorted(OBSERVERS)}, got {name!r}")
    return OBSERVERS[name](spec, **kwargs)
