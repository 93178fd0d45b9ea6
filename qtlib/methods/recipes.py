"""Recipes: each quantization method as a small frozen config, found by name in a registry (ch05).

The shape follows torchao's ``quantize_(model, config)``: a recipe holds *what* to do (the method
and its settings), :func:`apply` does it and returns ``(new_model, Report)``; the model given is
never changed. A recipe serializes to plain JSON (:meth:`Recipe.to_dict`) and back
(:func:`recipe_from_dict`), so results and caches record exactly what was run.

Adding a method is one module plus one registration (see docs/ARCHITECTURE.md)::

    @register
    @dataclass(frozen=True)
    class MyInt6(Recipe):
        name: ClassVar[str] = "my_int6"
        sweep_variants: ClassVar[tuple[dict, ...]] = ({},)

        def quantize(self, model, calibration=None):
            return quantize_weight_only(model, num_bits=6, include=self.include,
                                        exclude=self.exclude)

Every place that lists methods (the chapter sweep, the trade-off explorer, the regression check,
the benchmark, the tests) iterates :func:`registered` instead of naming methods.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from qtlib.methods._transform import check_model
from qtlib.methods.ptq import (
    quantize_dynamic,
    quantize_static,
    quantize_weight_only,
    share_weights,
)
from qtlib.methods.report import Report
from qtlib.quant import OBSERVERS
from qtlib.utils.validation import check_choice, check_int, check_num_clusters

_REGISTRY: dict[str, type[Recipe]] = {}


@dataclass(frozen=True)
class Recipe:
    """Base of every recipe: layer selection shared by all methods.

    ``include`` / ``exclude``: fnmatch patterns on module names (``None`` includes every
    candidate). Subclasses add their settings as fields, set the class attributes below and
    implement :meth:`quantize`.

    Class attributes:
        name: the registry key and the ``"method"`` of the JSON form.
        description: one line for tables and the explorer.
        needs_calibration: :func:`apply` refuses to run without calibration batches.
        sweep_variants: the settings (field -> value) the course's sweep measures, in order.
        sweep_keep_float: the sweep also measures this method with layer groups kept in float.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    needs_calibration: ClassVar[bool] = False
    sweep_variants: ClassVar[tuple[dict[str, Any], ...]] = ({},)
    sweep_keep_float: ClassVar[bool] = False

    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for field_name in ("include", "exclude"):
            value = getattr(self, field_name)
            if value is None and field_name == "include":
                continue
            if isinstance(value, str) or not all(isinstance(p, str) for p in value):
                raise TypeError(f"{field_name} must be a tuple of pattern strings, got "
                                f"{value!r}")
            object.__setattr__(self, field_name, tuple(value))

    # --- what the method does --------------------------------------------------------------
    def quantize(self, model: nn.Module, calibration: Iterable[Any] | None = None
                 ) -> tuple[nn.Module, Report]:  # pragma: no cover - every recipe overrides it
        """The transform itself; call :func:`apply` rather than this."""
        raise NotImplementedError(f"{type(self).__name__} does not implement quantize()")

    # --- how it is named -------------------------------------------------------------------
    @property
    def method(self) -> str:
        """The method as tables show it (defaults to :attr:`name`)."""
        return self.name

    @property
    def setting(self) -> str:
        """The settings in a few characters (``"minmax"``, ``"g32"``, ``"k16"``; ``"-"``: none)."""
        return "-"

    @property
    def label(self) -> str:
        """``method`` plus ``setting``: ``"static_int8 minmax"``, ``"float32"``."""
        return self.method if self.setting == "-" else f"{self.method} {self.setting}"

    # --- JSON --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: ``{"method": name, <field>: value, ...}`` (tuples become lists)."""
        out: dict[str, Any] = {"method": self.name}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def replace(self, **changes: Any) -> Recipe:
        """A copy with some fields changed (``recipe.replace(exclude=("head",))``)."""
        return dataclasses.replace(self, **changes)


def register(cls: type[Recipe]) -> type[Recipe]:
    """Class decorator: add a frozen :class:`Recipe` dataclass to the registry under its name."""
    if not (isinstance(cls, type) and issubclass(cls, Recipe)):
        raise TypeError(f"register takes a Recipe subclass, got {cls!r}")
    if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:
        raise TypeError(f"{cls.__name__} must be a @dataclass(frozen=True)")
    if not cls.name or not cls.name.isidentifier():
        raise ValueError(f"{cls.__name__}.name must be a non-empty identifier, got {cls.name!r}")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"a recipe named {cls.name!r} is already registered "
                         f"({_REGISTRY[cls.name].__name__}); choose another name")
    for variant in cls.sweep_variants:
        cls(**variant)  # a variant that does not validate fails at registration, not mid-sweep
    _REGISTRY[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a recipe from the registry (tests that register toy recipes clean up with it)."""
    _REGISTRY.pop(check_choice(name, "name", _REGISTRY), None)


def registered() -> dict[str, type[Recipe]]:
    """The registered recipe classes by name, in registration order (a copy)."""
    return dict(_REGISTRY)


def recipe_from_dict(data: Mapping[str, Any]) -> Recipe:
    """Rebuild a recipe from :meth:`Recipe.to_dict`'s JSON; errors name the unknown method or
    field."""
    if not isinstance(data, Mapping) or "method" not in data:
        raise ValueError(f"a recipe record needs a 'method' key, got {data!r}")
    cls = _REGISTRY.get(data["method"])
    if cls is None:
        raise ValueError(f"unknown method {data['method']!r}; registered: {sorted(_REGISTRY)}")
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - fields - {"method"})
    if unknown:
        raise ValueError(f"{data['method']} has no settings {unknown}; it has {sorted(fields)}")
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k != "method"}
    return cls(**kwargs)


def sweep_recipes() -> list[Recipe]:
    """One recipe per registered class and sweep variant, in registration order."""
    return [cls(**variant) for cls in _REGISTRY.values() for variant in cls.sweep_variants]


def apply(model: nn.Module, recipe: Recipe, calibration: Iterable[Any] | None = None
          ) -> tuple[nn.Module, Report]:
    """Apply ``recipe`` to ``model`` and return ``(new_model, report)``; ``model`` is unchanged.

    ``calibration``: representative input batches (Tensor, tuple or dict each), required by
    recipes with ``needs_calibration`` (static int8), ignored by the others.
    """
    check_model(model)
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a Recipe (e.g. DynamicInt8()), got "
                        f"{type(recipe).__name__}")
    if recipe.needs_calibration and calibration is None:
        raise ValueError(f"{recipe.label} needs calibration: pass calibration=<a list of "
                         "representative input batches>")
    return recipe.quantize(model, calibration)


def _selection(recipe: Recipe) -> dict[str, Any]:
    return {"include": list(recipe.include) if recipe.include is not None else None,
            "exclude": list(recipe.exclude) or None}


@register
@dataclass(frozen=True)
class Float32(Recipe):
    """The float32 model itself: the reference every recipe is compared with."""

    name: ClassVar[str] = "float32"
    description: ClassVar[str] = "the float32 model, the reference"

    def quantize(self, model: nn.Module, calibration: Iterable[Any] | None = None
                 ) -> tuple[nn.Module, Report]:
        """Returns ``model`` itself (nothing to copy) and an empty report."""
        return model, Report(method="float32", settings={})


@register
@dataclass(frozen=True)
class DynamicInt8(Recipe):
    """:func:`~qtlib.methods.quantize_dynamic`: int8 weights per channel, int8 activations per
    token found at run time, int32 accumulation; embeddings int8 per row if ``embeddings``."""

    name: ClassVar[str] = "dynamic_int8"
    description: ClassVar[str] = ("qtlib dynamic W8A8: int8 weights per channel, int8 "
                                  "activations per token, int32 accumulation")
    sweep_keep_float: ClassVar[bool] = True
    embeddings: bool = True

    @property
    def setting(self) -> str:
        return "per-token" if self.embeddings else "per-token, float embeddings"

    def quantize(self, model: nn.Module, calibration: Iterable[Any] | None = None
                 ) -> tuple[nn.Module, Report]:
        return quantize_dynamic(model, embeddings=self.embeddings, **_selection(self))


@register
@dataclass(frozen=True)
class StaticInt8(Recipe):
    """:func:`~qtlib.methods.quantize_static`: activation ranges fixed by calibration with
    ``observer``; int8 embeddings only if ``embeddings``."""

    name: ClassVar[str] = "static_int8"
    description: ClassVar[str] = ("qtlib static W8A8: activation ranges fixed by calibration "
                                  "with an observer")
    needs_calibration: ClassVar[bool] = True
    sweep_variants: ClassVar[tuple[dict[str, Any], ...]] = (
        {"observer": "minmax"}, {"observer": "percentile"})
    sweep_keep_float: ClassVar[bool] = True
    observer: str = "minmax"
    embeddings: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice(self.observer, "observer", OBSERVERS)

    @property
    def setting(self) -> str:
        return self.observer + (", int8 embeddings" if self.embeddings else "")

    def quantize(self, model: nn.Module, calibration: Iterable[Any] | None = None
                 ) -> tuple[nn.Module, Report]:
        return quantize_static(model, calibration or [], observer=self.observer,
                               embeddings=self.embeddings, **_selection(self))


@register
@dataclass(frozen=True)
class WeightOnly(Recipe):
    """:func:`~qtlib.methods.quantize_weight_only`: ``num_bits`` weights per channel
    (``group_size=None``) or per group, activations left in float."""

    name: ClassVar[str] = "weight_only"
    description: ClassVar[str] = "qtlib int4 weights in groups of 32 or 64, float activations"
    sweep_variants: ClassVar[tuple[dict[str, Any], ...]] = (
        {"num_bits": 4, "group_size": 32}, {"num_bits": 4, "group_size": 64})
    sweep_keep_float: ClassVar[bool] = True
    num_bits: int = 4
    group_size: int | None = 32

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int(self.num_bits, "num_bits", low=2, high=8)
        if self.group_size is not None:
            check_int(self.group_size, "group_size", low=1)

    @property
    def method(self) -> str:
        return f"weight_only_int{self.num_bits}"

    @property
    def setting(self) -> str:
        return "per-channel" if self.group_size is None else f"g{self.group_size}"

    def quantize(self, model: nn.Module, calibration: Iterable[Any] | None = None
                 ) -> tuple[nn.Module, Report]:
        return quantize_weight_only(model, num_bits=self.num_bits, group_size=self.group_size,
                                    **_selection(self))


@register
@dataclass(frozen=True)
class WeightSharing(Recipe):
    """:func:`~qtlib.methods.share_weights`: a k-means codebook of ``num_clusters`` values per
    layer, packed indices."""

    name: ClassVar[str] = "weight_sharing"
    description: ClassVar[str] = "k-means codebook of 4 or 16 values per layer, packed indices"
    sweep_variants: ClassVar[tuple[dict[str, Any], ...]] = (
        {"num_clusters": 4}, {"num_clusters": 16})
    num_clusters: int = 16
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_num_clusters(self.num_clusters)
        check_int(self.seed, "seed")

    @property
    def setting(self) -> str:
        return f"k{self.num_clusters}"

    def quantize(self, model: nn.Module, calibration: Iterable[Any] | None = None
                 ) -> tuple[nn.Module, Report]:
        return share_weights(model, num_clusters=self.num_clusters, seed=self.seed,
                             **_selection(self))
