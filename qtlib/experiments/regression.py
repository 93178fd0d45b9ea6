"""Evaluation is never done: compare a fresh table of figures with a baseline and flag what moved.

A library upgrade, a new calibration set or a "harmless" refactor can move a figure. The check
lines up two tables by recipe (``label``) and, for each figure, reports the baseline value, the
current value, the change and whether it stays within that figure's tolerance. Tolerances are
absolute (``abs``) plus relative (``rel``, a fraction of the baseline): a figure passes when
``|current - baseline| <= abs + rel * |baseline|``. Deterministic figures (sizes, accuracy,
fidelity) get tight tolerances; latency gets a loose one, and only as a ratio to float32 measured
in the same run, because absolute milliseconds depend on the machine and its load. Defined in ch05.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Tolerance:
    """``|current - baseline| <= abs + rel * |baseline|`` passes."""

    abs: float = 0.0
    rel: float = 0.0

    def __post_init__(self) -> None:
        if not (self.abs >= 0 and self.rel >= 0):
            raise ValueError(f"abs and rel must be >= 0, got abs={self.abs}, rel={self.rel}")

    def allows(self, baseline: float, current: float) -> bool:
        return abs(current - baseline) <= self.abs + self.rel * abs(baseline) + 1e-12

    def bound(self, baseline: float) -> float:
        """The largest allowed absolute change around ``baseline``."""
        return self.abs + self.rel * abs(baseline)


#: The chapter's tolerances, one per figure of the sweep table.
DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "vit_accuracy": Tolerance(abs=0.006),        # about 2 test images of 360
    "vit_size_bytes": Tolerance(rel=0.01),
    "minilm_cos_mean": Tolerance(abs=0.002),
    "minilm_cos_min": Tolerance(abs=0.01),
    "minilm_sqnr_db": Tolerance(abs=0.5),
    "minilm_size_bytes": Tolerance(rel=0.01),
    "minilm_speedup": Tolerance(rel=0.30),        # a ratio in one run: portable, but noisy
}


def check_regression(baseline: pd.DataFrame, current: pd.DataFrame, *,
                     tolerances: Mapping[str, Tolerance] | None = None,
                     key: str = "label") -> pd.DataFrame:
    """One row per (recipe, figure): ``label``, ``figure``, ``baseline``, ``current``, ``change``,
    ``allowed`` (the tolerance's absolute bound) and ``status``:

    * ``"ok"``: within tolerance; ``"moved"``: beyond it (a regression or an improvement, either
      way something to explain);
    * ``"missing"``: the recipe or figure is in the baseline but not in the current table;
      ``"new"``: in the current table only.
    """
    tolerances = DEFAULT_TOLERANCES if tolerances is None else tolerances
    for name, frame in (("baseline", baseline), ("current", current)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
        if key not in frame.columns:
            raise ValueError(f"{name} has no {key!r} column to line recipes up by")
        if frame[key].duplicated().any():
            raise ValueError(f"{name} has duplicate {key!r} values; each recipe must appear once")
    if not tolerances:
        raise ValueError("tolerances is empty: give at least one figure -> Tolerance")
    for figure, tol in tolerances.items():
        if not isinstance(tol, Tolerance):
            raise TypeError(f"tolerances[{figure!r}] must be a Tolerance, got {type(tol).__name__}")
    base = baseline.set_index(key)
    cur = current.set_index(key)
    rows: list[dict[str, Any]] = []
    for label in list(dict.fromkeys([*base.index, *cur.index])):
        for figure, tol in tolerances.items():
            b = _value(base, label, figure)
            c = _value(cur, label, figure)
            if b is None and c is None:
                continue
            if b is None or c is None:
                status = "new" if b is None else "missing"
                rows.append({"label": label, "figure": figure, "baseline": b, "current": c,
                             "change": None, "allowed": None, "status": status})
                continue
            status = "ok" if tol.allows(b, c) else "moved"
            rows.append({"label": label, "figure": figure, "baseline": b, "current": c,
                         "change": c - b, "allowed": tol.bound(b), "status": status})
    return pd.DataFrame(rows, columns=["label", "figure", "baseline", "current", "change",
                                       "allowed", "status"])


def _value(frame: pd.DataFrame, label: str, figure: str) -> float | None:
    if label not in frame.index or figure not in frame.columns:
        return None
    value = frame.at[label, figure]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def summary(report: pd.DataFrame) -> str:
    """One Markdown paragraph: how many figures were checked and which moved (with their change)."""
    if not {"status", "label", "figure"} <= set(report.columns):
        raise ValueError("report must come from check_regression()")
    checked = int((report["status"].isin(["ok", "moved"])).sum())
    moved = report[report["status"] == "moved"]
    missing = report[report["status"].isin(["missing", "new"])]
    text = f"Checked {checked} figures: {checked - len(moved)} within tolerance"
    if moved.empty:
        text += ", none moved."
    else:
        items = [f"{r.label} / {r.figure}: {r.baseline:.4g} -> {r.current:.4g}"
                 for r in moved.itertuples()]
        text += f", **{len(moved)} moved**: " + "; ".join(items) + "."
    if not missing.empty:
        text += f" {len(missing)} figures are only in one of the two tables."
    return text


def save_baseline(table: pd.DataFrame, path: str | Path, *, key: str = "label",
                  figures: list[str] | None = None, note: str = "") -> Path:
    """Write the ``key`` column and the ``figures`` (default: :data:`DEFAULT_TOLERANCES`' keys
    present in ``table``) as JSON records, with a free-text ``note`` (machine, date, versions)."""
    figures = figures or [f for f in DEFAULT_TOLERANCES if f in table.columns]
    missing = [f for f in [key, *figures] if f not in table.columns]
    if missing:
        raise ValueError(f"table lacks the columns {missing}")
    path = Path(path)
    records = table[[key, *figures]].to_dict(orient="records")
    path.write_text(json.dumps({"note": note, "key": key, "records": records}, indent=1) + "\n")
    return path


def load_baseline(path: str | Path) -> pd.DataFrame:
    """The table written by :func:`save_baseline`."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict) or "records" not in data:
        raise ValueError(f"{path} is not a baseline written by save_baseline()")
    return pd.DataFrame(data["records"])
