"""The one record of a measurement, the table made of records, and the Pareto front (ch05).

A :class:`Result` is one measured configuration: the ``method`` ("float32", "dynamic_int8",
...), its ``settings`` (plain JSON; a sweep stores the exact recipe there), its ``metrics``
(column names and units from :data:`qtlib.eval.catalog.METRICS`: ``{"accuracy": 0.97,
"size_bytes": 123456, "median_ms": 1.2}``), the ``env`` it was measured in and, optionally, a
``name`` that labels it. :func:`results_table` turns records into the DataFrame that tables,
plots, explorers and regression checks read; :func:`pareto_mask` (points) and
:func:`pareto_rows` (a table) are the one Pareto implementation. Nothing is typed in by hand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SENSES = ("min", "max")


@dataclass
class Result:
    """One configuration's figures. ``settings``/``metrics``/``env`` hold plain JSON values."""

    method: str
    settings: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    task: str = ""
    name: str = ""

    @property
    def label(self) -> str:
        """``name`` if given, else ``method`` plus its settings, e.g.
        ``"weight-only (num_bits=4, group_size=32)"``."""
        if self.name:
            return self.name
        if not self.settings:
            return self.method
        return f"{self.method} ({', '.join(f'{k}={v}' for k, v in self.settings.items())})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        unknown = set(data) - {"method", "settings", "metrics", "env", "task", "name"}
        if unknown or "method" not in data:
            raise ValueError(f"not a Result record: needs 'method', unknown keys {sorted(unknown)}")
        return cls(method=data["method"], settings=dict(data.get("settings", {})),
                   metrics=dict(data.get("metrics", {})), env=dict(data.get("env", {})),
                   task=data.get("task", ""), name=data.get("name", ""))


def save_results(results: Sequence[Result], path: str | Path) -> Path:
    """Write ``results`` to a JSON file (a list of records; ``inf``/``nan`` kept as JSON5 words)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([r.to_dict() for r in results], indent=1) + "\n")
    return path


def load_results(path: str | Path) -> list[Result]:
    """Read results written by :func:`save_results`."""
    data = json.loads(Path(path).read_text())
    if isinstance(data, dict):
        data = [data]
    return [Result.from_dict(d) for d in data]


def compare(results: Sequence[Result], *, metrics: Sequence[str] | None = None,
            baseline: int | str | None = None):
    """A pandas DataFrame with one row per result: ``label``, ``method``, ``task``, the metrics.

    ``metrics`` picks and orders metric columns (default: all, in first-seen order). With
    ``baseline`` (an index into ``results`` or a label), each numeric metric ``m`` gets a column
    ``m / baseline``, the ratio to the baseline row.
    """
    import pandas as pd

    if not results:
        raise ValueError("results is empty")
    names: list[str] = []
    for r in results:
        names += [k for k in r.metrics if k not in names]
    if metrics is not None:
        missing = [m for m in metrics if all(m not in r.metrics for r in results)]
        if missing:
            raise ValueError(f"no result has metrics {missing}; available: {names}")
        names = list(metrics)
    rows = [{"label": r.label, "method": r.method, "task": r.task,
             **{m: r.metrics.get(m, math.nan) for m in names}} for r in results]
    frame = pd.DataFrame(rows)
    if baseline is not None:
        labels = [r.label for r in results]
        if isinstance(baseline, str):
            if baseline not in labels:
                raise ValueError(f"baseline {baseline!r} is not one of {labels}")
            baseline = labels.index(baseline)
        base = frame.iloc[baseline]
        for m in names:
            if pd.api.types.is_numeric_dtype(frame[m]):
                frame[f"{m} / baseline"] = frame[m] / base[m]
    return frame


def pareto_mask(points: Sequence[Sequence[float]], senses: Sequence[str]) -> list[bool]:
    """Which points no other point dominates (at least as good on all axes, better on one).

    ``points`` is [n_points][n_objectives]; ``senses[j]`` is ``"min"`` or ``"max"``. Points with
    a NaN are never on the front. Identical points are all kept.
    """
    for s in senses:
        if s not in SENSES:
            raise ValueError(f"each objective sense must be 'min' or 'max', got {s!r}")
    signed = [[(-v if s == "max" else v) for v, s in zip(p, senses, strict=True)]
              for p in points]
    mask = []
    for i, p in enumerate(signed):
        if any(math.isnan(v) for v in p):
            mask.append(False)
            continue
        dominated = any(
            j != i and not any(math.isnan(v) for v in q)
            and all(a <= b for a, b in zip(q, p, strict=True))
            and any(a < b for a, b in zip(q, p, strict=True))
            for j, q in enumerate(signed))
        mask.append(not dominated)
    return mask


def pareto_front(results: Sequence[Result], objectives: Mapping[str, str]) -> list[Result]:
    """The results no other result beats on every objective, in input order.

    ``objectives`` maps a metric name to ``"min"`` or ``"max"``, e.g.
    ``{"size_bytes": "min", "accuracy": "max"}``. Every result must have every objective metric.
    """
    if not objectives:
        raise ValueError("objectives is empty: pass e.g. {'size_bytes': 'min', 'accuracy': 'max'}")
    for r in results:
        missing = [m for m in objectives if m not in r.metrics]
        if missing:
            raise ValueError(f"result {r.label!r} has no metric {missing}; "
                             f"it has {sorted(r.metrics)}")
    points = [[float(r.metrics[m]) for m in objectives] for r in results]
    mask = pareto_mask(points, list(objectives.values()))
    return [r for r, keep in zip(results, mask, strict=True) if keep]


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def results_table(results: Sequence[Result]):
    """A pandas DataFrame, one row per record: ``label``, ``method``, ``task``, every plain
    setting (``setting``, ``keep_float``, ...; nested ones such as the recipe dict are left out)
    and every metric, columns in first-seen order."""
    import pandas as pd

    if not results:
        raise ValueError("results is empty")
    if not all(isinstance(r, Result) for r in results):
        raise TypeError("results must be Result records")
    rows = []
    for r in results:
        settings = {k: v for k, v in r.settings.items() if _plain(v)}
        rows.append({"label": r.label, "method": r.method, "task": r.task, **settings,
                     **r.metrics})
    return pd.DataFrame(rows)


def pareto_rows(table, objectives: Mapping[str, str]):
    """Boolean Series over ``table``'s rows: True where no other row dominates (see
    :func:`pareto_mask`). ``objectives`` maps a column to ``"min"`` or ``"max"``."""
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    if not objectives:
        raise ValueError("objectives is empty: give at least one column -> 'min' or 'max'")
    for column, sense in objectives.items():
        if sense not in SENSES:
            raise ValueError(f"objectives[{column!r}] must be 'min' or 'max', got {sense!r}")
        if column not in table.columns:
            raise ValueError(f"objective {column!r} is not a column of the table")
    points = table[list(objectives)].astype(float).to_numpy().tolist()
    mask = pareto_mask(points, list(objectives.values()))
    return pd.Series(mask, index=table.index, name="on_front")
