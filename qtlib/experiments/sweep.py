"""A cached sweep over recipes: measure each point once, keep the record on disk (ch05).

A :class:`SweepPoint` is a registered recipe (:mod:`qtlib.methods.recipes`) plus the name of a
layer group left in float (``"none"``: every layer the recipe handles is converted); an
experiment resolves the group to module-name patterns for each of its models. :func:`run_cached`
measures each point with the experiment's ``measure(point) -> {figure: value}`` and returns one
:class:`~qtlib.eval.Result` per point (figures named as in :data:`qtlib.eval.METRICS`), reading
points measured before from ``cache_dir()/sweeps/<namespace>/<key>.json``. The key covers the
recipe's JSON, the group, the experiment's config and the qtlib / torch versions, so a changed
setting or library recomputes only what it changes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from qtlib.eval.results import Result
from qtlib.methods.recipes import Recipe, recipe_from_dict
from qtlib.utils.cache import json_cache_path, read_cached, write_json_atomic
from qtlib.utils.progress import progress_bar


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: ``recipe`` with the layer group ``keep_float`` left in float."""

    recipe: Recipe
    keep_float: str = "none"

    def __post_init__(self) -> None:
        if not isinstance(self.recipe, Recipe):
            raise TypeError(f"recipe must be a Recipe, got {type(self.recipe).__name__}")
        if not isinstance(self.keep_float, str) or not self.keep_float:
            raise ValueError(f"keep_float must name a layer group, got {self.keep_float!r}")

    @property
    def label(self) -> str:
        """``"static_int8 minmax | keep ffn_output"``: the recipe's label and the float group."""
        text = self.recipe.label
        return text if self.keep_float == "none" else f"{text} | keep {self.keep_float}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (the recipe's own JSON and the group)."""
        return {"recipe": self.recipe.to_dict(), "keep_float": self.keep_float}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepPoint:
        return cls(recipe_from_dict(data["recipe"]), data.get("keep_float", "none"))


def versions() -> dict[str, str]:
    """The library versions a cached figure depends on."""
    import qtlib

    return {"qtlib": qtlib.__version__, "torch": torch.__version__}


def point_result(point: SweepPoint, figures: dict[str, Any], namespace: str,
                 env: dict[str, Any]) -> Result:
    """The record of a measured point: method and setting as tables show them, the recipe's JSON
    in ``settings["recipe"]``, the figures as metrics."""
    return Result(method=point.recipe.method,
                  settings={"setting": point.recipe.setting, "keep_float": point.keep_float,
                            "recipe": point.recipe.to_dict()},
                  metrics=dict(figures), env=dict(env), task=namespace, name=point.label)


def run_cached(points: Sequence[SweepPoint], measure: Callable[[SweepPoint], dict[str, Any]],
               *, config: Any, namespace: str, use_cache: bool = True,
               progress: bool | None = None) -> list[Result]:
    """Measure each point with ``measure(point) -> figures``, unless its record is cached.

    Returns one :class:`~qtlib.eval.Result` per point, in the given order; ``env`` holds
    ``cached`` (read from disk in this call), ``recorded`` (read from the record shipped in
    ``qtlib/recorded``, :func:`qtlib.utils.cache.read_cached`) and ``measure_s`` (seconds the
    measurement took when it was made). ``config`` is a dataclass of the experiment's settings
    (part of the key). ``use_cache=False`` measures everything again and overwrites the records.
    """
    if not points:
        raise ValueError("points is empty: pass at least one SweepPoint")
    if not all(isinstance(p, SweepPoint) for p in points):
        raise TypeError("points must be SweepPoint objects (see default_points())")
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"config must be a dataclass of settings, got {type(config).__name__}")
    results: list[Result | None] = [None] * len(points)
    todo = []
    for i, point in enumerate(points):
        key = {"point": point.to_dict(), "config": dataclasses.asdict(config),
               "versions": versions()}
        path = json_cache_path(f"sweeps/{namespace}", key)
        record, source = read_cached(path) if use_cache else (None, None)
        if record is not None:
            results[i] = Result.from_dict({**record["result"], "env": {
                **record["result"]["env"], "cached": True, "recorded": source == "recorded"}})
        else:
            todo.append((i, point, key, path))
    for i, point, key, path in progress_bar(todo, total=len(todo), desc="sweep",
                                            progress=progress):
        start = time.perf_counter()
        figures = {k: _plain(k, v) for k, v in measure(point).items()}
        result = point_result(point, figures, namespace,
                              {"measure_s": time.perf_counter() - start})
        write_json_atomic(path, {**key, "result": result.to_dict()})
        results[i] = dataclasses.replace(result, env={**result.env, "cached": False,
                                                      "recorded": False})
    return [r for r in results if r is not None]


def _plain(name: str, value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"figure {name!r} is a {type(value).__name__}; measure functions must "
                    "return plain numbers and strings")
