"""Post-training transforms: dynamic, static (calibrated), weight-only, weight sharing (ch05).

Each takes a model, include/exclude fnmatch patterns on module names (``"encoder.*.ffn.*"``),
never changes the model it is given, and returns ``(new_model, report)``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from torch import nn

from qtlib.methods._transform import Patterns, Skip, check_model, transform
from qtlib.methods.calibrate import calibrate
from qtlib.methods.report import Report
from qtlib.nn import (
    DynamicInt8Linear,
    Int8Embedding,
    StaticInt8Linear,
    WeightOnlyLinear,
    WeightSharedLinear,
)
from qtlib.quant import QuantSpec
from qtlib.utils.validation import check_num_clusters


def quantize_dynamic(model: nn.Module, *, include: Patterns = None, exclude: Patterns = None,
                     embeddings: bool = True) -> tuple[nn.Module, Report]:
    """W8A8 dynamic: every ``nn.Linear`` -> :class:`qtlib.nn.DynamicInt8Linear` (per-channel
    int8 weights, per-token int8 activations, int32 accumulation) and, if ``embeddings``, every
    ``nn.Embedding`` -> :class:`qtlib.nn.Int8Embedding` (per-row int8)."""
    types: tuple[type, ...] = (nn.Linear, nn.Embedding) if embeddings else (nn.Linear,)

    def convert(name: str, mod: nn.Module) -> nn.Module:
        if isinstance(mod, nn.Embedding):
            if mod.max_norm is not None:
                raise Skip("max_norm renormalises rows at lookup; an int8 table cannot")
            return Int8Embedding.from_float(mod)
        return DynamicInt8Linear.from_float(mod)

    return transform(model, method="quantize_dynamic", settings={"embeddings": embeddings},
                     types=types, convert=convert, include=include, exclude=exclude)


def quantize_static(model: nn.Module, calibration_batches: Iterable[Any], *,
                    observer: str = "minmax", act_spec: QuantSpec | None = None,
                    include: Patterns = None, exclude: Patterns = None,
                    embeddings: bool = False) -> tuple[nn.Module, Report]:
    """W8A8 static: observe each selected ``nn.Linear``'s input on the calibration batches with
    ``observer`` (one of ``"minmax"``, ``"moving_average"``, ``"percentile"``, ``"mse"``,
    ``"histogram"``), then convert it to :class:`qtlib.nn.StaticInt8Linear` with those fixed
    activation qparams (``act_spec``, default int8 affine per-tensor). A layer that never ran
    during calibration is skipped. ``embeddings=True`` also stores embeddings as int8 rows."""
    check_model(model)
    spec = act_spec or QuantSpec(symmetric=False)
    if spec.granularity != "per_tensor":
        raise ValueError(f"act_spec.granularity must be 'per_tensor', got {spec.granularity!r}")
    work = copy.deepcopy(model)
    batches = list(calibration_batches) if calibration_batches is not None else []
    if not batches:
        raise ValueError("calibration_batches is empty; static quantization needs at least one "
                         "representative batch")
    seen = calibrate(work, batches, observer=observer, spec=spec, include=include,
                     exclude=exclude)
    n = seen.num_batches
    types: tuple[type, ...] = (nn.Linear, nn.Embedding) if embeddings else (nn.Linear,)

    def convert(name: str, mod: nn.Module) -> nn.Module:
        if isinstance(mod, nn.Embedding):
            return Int8Embedding.from_float(mod)
        if not seen.ran(name):
            raise Skip("never ran during calibration, so it has no activation range")
        return StaticInt8Linear.from_float(mod, act_observer=seen.observers[name])

    return transform(model, method="quantize_static",
                     settings={"observer": observer, "act_spec": spec.short(),
                               "calibration_batches": n, "embeddings": embeddings},
                     types=types, convert=convert, include=include, exclude=exclude,
                     prepared=work)


def quantize_weight_only(model: nn.Module, *, num_bits: int = 8, group_size: int | None = None,
                         include: Patterns = None, exclude: Patterns = None
                         ) -> tuple[nn.Module, Report]:
    """Weight-only: every selected ``nn.Linear`` -> :class:`qtlib.nn.WeightOnlyLinear`
    (symmetric ``num_bits`` weights, per channel or per ``group_size`` group, 4/2-bit packed;
    activations stay float). A layer whose ``in_features`` ``group_size`` does not divide is
    skipped."""
    QuantSpec(num_bits=num_bits)  # validates num_bits early, naming it
    if group_size is not None and (not isinstance(group_size, int) or group_size < 1):
        raise ValueError(f"group_size must be None or a positive int, got {group_size!r}")

    def convert(name: str, mod: nn.Module) -> nn.Module:
        if group_size is not None and mod.in_features % group_size:
            raise Skip(f"group_size={group_size} does not divide in_features={mod.in_features}")
        return WeightOnlyLinear.from_float(mod, num_bits=num_bits, group_size=group_size)

    return transform(model, method="quantize_weight_only",
                     settings={"num_bits": num_bits, "group_size": group_size},
                     types=(nn.Linear,), convert=convert, include=include, exclude=exclude)


def share_weights(model: nn.Module, *, num_clusters: int = 16, include: Patterns = None,
                  exclude: Patterns = None, seed: int = 0) -> tuple[nn.Module, Report]:
    """Weight sharing: every selected ``nn.Linear`` -> :class:`qtlib.nn.WeightSharedLinear`,
    k-means (quantile init, deterministic) per layer with ``num_clusters`` shared values."""
    check_num_clusters(num_clusters)

    def convert(name: str, mod: nn.Module) -> nn.Module:
        return WeightSharedLinear.from_float(mod, num_clusters=num_clusters, seed=seed)

    return transform(model, method="share_weights",
                     settings={"num_clusters": num_clusters, "seed": seed},
                     types=(nn.Linear,), convert=convert, include=include, exclude=exclude)
