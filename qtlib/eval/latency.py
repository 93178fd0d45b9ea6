"""Latency done right (defined in ch05): warm-up, many timed calls, percentiles, fixed threads.

Why not just ``time.time()`` around one call? The first calls pay one-time costs (allocations,
kernel selection, caches), one sample says nothing about noise, and torch's thread count changes
the answer by up to the number of cores. ``measure_latency`` therefore always warms up, always
takes at least ``min_repeats`` samples, sets the thread count before timing and records it, and
reports the distribution (median, p10, p90, p99, IQR), not one number.

Relation to ``torch.utils.benchmark``: its ``Timer`` does the same warm-up and repeats
(``blocked_autorange``) and is the right tool for micro-benchmarks of a few microseconds, where
it times blocks of many calls and reports per-block means. But ``Timer`` runs with
``num_threads=1`` unless told otherwise, which understates what a model does with 2 cores and
hides the thread count from whoever reads the number. A transformer forward takes from about
0.1 ms to seconds, far above ``time.perf_counter``'s resolution (well under 1 microsecond), so we
time every call on its own: that keeps each call's duration and so the tail (p90, p99) that block
means average away. Pass ``threads=1`` to compare with a ``Timer`` default.

Rules the API enforces: tokenization and other input preparation happen before, never inside,
the timed call (pass ready tensors as ``inputs``); a model in training mode is refused; calls run
under ``torch.inference_mode()``; several variants are compared in one run, interleaved call by
call (``compare_latency``), so a background job slows all of them alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from qtlib.utils.calling import call_with, require_eval_mode, shapes_of

Clock = Callable[[], float]


def latency_stats(samples_ms: Sequence[float]) -> dict[str, float]:
    """median, p10, p90, p99, IQR (p75 - p25) and mean of ``samples_ms`` (all in ms).

    Percentiles interpolate linearly between order statistics (``numpy.percentile``'s default):
    for samples [1, 2, 3, 4, 5], p10 = 1.4, median = 3, p90 = 4.6, IQR = 4 - 2 = 2.
    """
    if len(samples_ms) == 0:
        raise ValueError("samples_ms is empty")
    a = np.asarray(samples_ms, dtype=np.float64)
    p10, p25, p50, p75, p90, p99 = np.percentile(a, [10, 25, 50, 75, 90, 99])
    return {"median_ms": float(p50), "p10_ms": float(p10), "p90_ms": float(p90),
            "p99_ms": float(p99), "iqr_ms": float(p75 - p25), "mean_ms": float(a.mean())}


@dataclass(frozen=True)
class LatencyRecord:
    """One variant's timings: every sample plus summary statistics (milliseconds)."""

    samples_ms: tuple[float, ...]
    median_ms: float
    p10_ms: float
    p90_ms: float
    p99_ms: float
    iqr_ms: float
    mean_ms: float
    n: int
    warmup: int
    threads: int
    shapes: Any = None
    label: str = ""

    @classmethod
    def from_samples(cls, samples_ms: Sequence[float], *, warmup: int, threads: int,
                     shapes: Any = None, label: str = "") -> LatencyRecord:
        return cls(samples_ms=tuple(float(s) for s in samples_ms), n=len(samples_ms),
                   warmup=warmup, threads=threads, shapes=shapes, label=label,
                   **latency_stats(samples_ms))

    def summary(self) -> dict[str, Any]:
        """The record without its raw samples (for tables and ``Result.metrics``)."""
        d = asdict(self)
        d.pop("samples_ms")
        return d

    def __str__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return (f"{name}median {self.median_ms:.3f} ms (p10 {self.p10_ms:.3f}, p90 "
                f"{self.p90_ms:.3f}), n={self.n}, {self.threads} thread(s)")


def _check_settings(threads: int | None, warmup: int, min_repeats: int, max_repeats: int,
                    budget_s: float) -> None:
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive int or None (keep torch's), got {threads!r}")
    if not isinstance(warmup, int) or warmup < 1:
        raise ValueError(f"warmup must be an int >= 1, got {warmup!r}: the first calls pay "
                         "one-time costs that are not the model's latency")
    if not isinstance(min_repeats, int) or min_repeats < 5:
        raise ValueError(f"min_repeats must be an int >= 5, got {min_repeats!r}: one sample "
                         "cannot show how noisy the timing is")
    if max_repeats < min_repeats:
        raise ValueError(f"max_repeats ({max_repeats}) must be >= min_repeats ({min_repeats})")
    if budget_s < 0:
        raise ValueError(f"budget_s must be >= 0 seconds, got {budget_s}")


def _bind(target: Any, inputs: Any, name: str) -> Callable[[], Any]:
    require_eval_mode(target, name)
    if not callable(target):
        raise TypeError(f"{name} must be a callable or an nn.Module, got {type(target).__name__}")
    if inputs is None:
        return target
    call_with(lambda *a, **k: None, inputs)  # validates the input container
    return lambda: call_with(target, inputs)


class _Threads:
    """Context manager: set torch's intra-op thread count, restore it afterwards."""

    def __init__(self, threads: int | None) -> None:
        self.threads = threads
        self.saved = torch.get_num_threads()

    def __enter__(self) -> int:
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        return torch.get_num_threads()

    def __exit__(self, *exc: object) -> None:
        torch.set_num_threads(self.saved)


def measure_latency(target: Any, inputs: Any = None, *, threads: int | None = None,
                    warmup: int = 3, min_repeats: int = 10, max_repeats: int = 10_000,
                    budget_s: float = 1.0, clock: Clock = time.perf_counter,
                    label: str = "") -> LatencyRecord:
    """Time ``target`` called on ready ``inputs``; returns a :class:`LatencyRecord` in ms.

    ``target`` is an nn.Module (must be in eval mode) or any callable; it is called as
    ``target(x)`` for a Tensor, ``target(*x)`` for a tuple, ``target(**x)`` for a dict, or
    ``target()`` when ``inputs`` is None. ``threads`` (default: torch's current count) is set
    before the warm-up and restored afterwards. After ``warmup`` untimed calls, timed calls
    repeat until at least ``min_repeats`` samples exist and ``budget_s`` seconds of timed calls
    have passed, or ``max_repeats`` samples exist. ``clock`` returns seconds
    (``time.perf_counter``; tests pass a fake clock); it is read exactly twice per timed call.
    """
    _check_settings(threads, warmup, min_repeats, max_repeats, budget_s)
    call = _bind(target, inputs, "target")
    samples: list[float] = []
    with _Threads(threads) as used, torch.inference_mode():
        for _ in range(warmup):
            call()
        start = None
        while len(samples) < max_repeats:
            t0 = clock()
            call()
            t1 = clock()
            start = t0 if start is None else start
            samples.append((t1 - t0) * 1e3)
            if len(samples) >= min_repeats and t1 - start >= budget_s:
                break
    return LatencyRecord.from_samples(samples, warmup=warmup, threads=used,
                                      shapes=shapes_of(inputs), label=label)


@dataclass
class LatencyComparison:
    """Records of several variants timed in one interleaved run, with ratios to a baseline."""

    records: dict[str, LatencyRecord]
    baseline: str
    rounds: int
    order: list[str] = field(default_factory=list)

    @property
    def ratios(self) -> dict[str, float]:
        """median(variant) / median(baseline): below 1 is faster than the baseline."""
        base = self.records[self.baseline].median_ms
        return {k: r.median_ms / base for k, r in self.records.items()}

    @property
    def speedups(self) -> dict[str, float]:
        """median(baseline) / median(variant): above 1 is faster than the baseline."""
        return {k: 1.0 / v for k, v in self.ratios.items()}

    def to_frame(self):
        """One row per variant: median ... mean (ms), n, threads, ratio and speedup."""
        import pandas as pd

        rows = []
        for name, rec in self.records.items():
            s = rec.summary()
            rows.append({"variant": name, **{k: s[k] for k in (
                "median_ms", "p10_ms", "p90_ms", "p99_ms", "iqr_ms", "mean_ms", "n", "threads")},
                "ratio": self.ratios[name], "speedup": self.speedups[name]})
        return pd.DataFrame(rows).set_index("variant")


def compare_latency(variants: Mapping[str, Any], inputs: Any = None, *,
                    inputs_by_variant: Mapping[str, Any] | None = None,
                    baseline: str | None = None, threads: int | None = None, warmup: int = 3,
                    min_rounds: int = 10, max_rounds: int = 10_000, budget_s: float = 2.0,
                    clock: Clock = time.perf_counter) -> LatencyComparison:
    """Time several variants in one run, alternating them call by call.

    ``variants`` maps a name to a model or callable (called as in :func:`measure_latency`) on the
    shared ``inputs``, or on ``inputs_by_variant[name]`` when given. Every variant is warmed up;
    then each round times one call of every variant, the starting variant rotating from round to
    round so none always runs first. Rounds repeat until ``min_rounds`` and ``budget_s`` seconds
    (of timed calls, all variants together) are reached, or ``max_rounds``. ``baseline``
    (default: the first name) is the denominator of the ratios.
    """
    if not variants:
        raise ValueError("variants is empty: pass {name: model_or_callable, ...}")
    names = list(variants)
    baseline = names[0] if baseline is None else baseline
    if baseline not in variants:
        raise ValueError(f"baseline {baseline!r} is not one of the variants {names}")
    _check_settings(threads, warmup, min_rounds, max_rounds, budget_s)
    if inputs_by_variant is not None:
        missing = [n for n in names if n not in inputs_by_variant]
        if missing:
            raise ValueError(f"inputs_by_variant has no inputs for {missing}")
    calls = {n: _bind(variants[n], inputs if inputs_by_variant is None else inputs_by_variant[n],
                      f"variants[{n!r}]") for n in names}
    samples: dict[str, list[float]] = {n: [] for n in names}
    rounds = 0
    with _Threads(threads) as used, torch.inference_mode():
        for n in names:
            for _ in range(warmup):
                calls[n]()
        spent = 0.0
        while rounds < max_rounds:
            k = rounds % len(names)
            for n in names[k:] + names[:k]:
                t0 = clock()
                calls[n]()
                t1 = clock()
                samples[n].append((t1 - t0) * 1e3)
                spent += t1 - t0
            rounds += 1
            if rounds >= min_rounds and spent >= budget_s:
                break
    records = {}
    for n in names:
        shapes = shapes_of(inputs if inputs_by_variant is None else inputs_by_variant[n])
        records[n] = LatencyRecord.from_samples(samples[n], warmup=warmup, threads=used,
                                                shapes=shapes, label=n)
    return LatencyComparison(records=records, baseline=baseline, rounds=rounds, order=names)
