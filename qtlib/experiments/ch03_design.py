"""Chapter 3's measurements on MiniLM: outliers, per-layer sensitivity, mixed precision and
SmoothQuant across alpha (defined in ch03).

Every figure is a static W8A8 emulation of :class:`qtlib.nn.StaticInt8Linear` (int8 weights per
output channel, symmetric; int8 activations per tensor, affine, min-max over the calibration
sentences), made with fake quantization so that one configuration costs one forward pass instead
of a model copy: :func:`fake_w8a8` patches chosen linears of a model in place and restores them.
``tests/experiments/test_ch03_design.py`` checks it against the real recipes.

:func:`design_measurements` returns everything the chapter plots, as plain JSON (lists and
numbers), cached under ``cache_dir()/ch03/`` keyed by :class:`DesignConfig`, the qtlib and torch
versions: a second run of the notebook reads it from disk.

The full measurement takes minutes on two cores, so it is also RECORDED: ``python -m
qtlib.experiments.ch03_design record`` runs it once and writes ``recorded/ch03_design.json``
(settings, torch and qtlib versions, the numbers, rounded to 5 significant digits), shipped with
the package. The chapter reads :func:`recorded` and re-measures one point live with
:func:`remeasure` (plain W8A8 and SmoothQuant at one alpha, seconds), which
``tests/experiments/test_ch03_design.py`` also does, so a stale record fails a test.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from qtlib.data import sentences
from qtlib.eval.quality import fidelity
from qtlib.experiments.sweep import versions
from qtlib.methods.smoothquant import input_channel_absmax, smooth, smoothing_groups
from qtlib.quant import QuantSpec, choose_qparams, fake_quantize
from qtlib.quant.affine import qparams_from_min_max
from qtlib.utils.cache import RECORDED_DIR, json_cache_path, read_json, write_json_atomic

NAMESPACE = "ch03"
RECORD = RECORDED_DIR / "ch03_design.json"
WEIGHT_SPEC = QuantSpec(granularity="per_channel", axis=0)
ACT_SPEC = QuantSpec(symmetric=False)


@dataclass(frozen=True)
class DesignConfig:
    """What the measurements run on (part of the cache key): the first ``calibration_sentences``
    of ``qtlib.data.sentences()`` calibrate, the next ``eval_sentences`` are measured;
    ``alphas`` for SmoothQuant; ``ks`` numbers of most sensitive layers kept in float."""

    calibration_sentences: int = 16
    eval_sentences: int = 64
    alphas: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 0.9)
    ks: tuple[int, ...] = (0, 1, 2, 3, 4, 6, 8, 12, 18, 36)
    batch_size: int = 32


def linear_names(model: nn.Module) -> list[str]:
    """Names of the plain ``nn.Linear`` layers of ``model``, in module order."""
    return [n for n, m in model.named_modules() if type(m) is nn.Linear]


def input_ranges(model: nn.Module, batches: Sequence[Any], names: Sequence[str]
                 ) -> dict[str, tuple[float, float]]:
    """Per-tensor (min, max) of each named linear's input over ``batches``."""
    mods = dict(model.named_modules())
    out: dict[str, tuple[float, float]] = {}

    def hook(name: str):
        def keep(_m: nn.Module, args: tuple) -> None:
            x = args[0].detach()
            lo, hi = out.get(name, (float("inf"), float("-inf")))
            out[name] = (min(lo, x.min().item()), max(hi, x.max().item()))
        return keep

    # an InputScaledLinear's range is its inner linear's input (after the division by s)
    handles = [getattr(mods[n], "linear", mods[n]).register_forward_pre_hook(hook(n))
               for n in names]
    try:
        with torch.no_grad():
            for batch in batches:
                model(**batch)
    finally:
        for h in handles:
            h.remove()
    return out


@contextlib.contextmanager
def fake_w8a8(model: nn.Module, ranges: dict[str, tuple[float, float]],
              names: Sequence[str]) -> Iterator[nn.Module]:
    """Inside the block, the linears ``names`` of ``model`` compute static W8A8 (fake-quantized
    per-channel int8 weights, per-tensor int8 inputs with qparams from ``ranges[name]``); the
    float weights come back afterwards. Names of :class:`~qtlib.nn.InputScaledLinear` wrappers
    are followed to their ``.linear``."""
    mods = dict(model.named_modules())
    saved, handles = {}, []
    try:
        for name in names:
            mod = mods[name]
            lin = getattr(mod, "linear", mod)
            saved[name] = lin.weight.data
            s, z = choose_qparams(lin.weight.data, WEIGHT_SPEC)
            lin.weight.data = fake_quantize(lin.weight.data, s, z, WEIGHT_SPEC)
            lo, hi = ranges[name]
            sa, za = qparams_from_min_max(torch.tensor(lo), torch.tensor(hi), ACT_SPEC)
            handles.append(lin.register_forward_pre_hook(
                lambda _m, args, sa=sa, za=za: (fake_quantize(args[0], sa, za, ACT_SPEC),)))
        yield model
    finally:
        for h in handles:
            h.remove()
        for name, w in saved.items():
            getattr(mods[name], "linear", mods[name]).weight.data = w


def _embed(model: nn.Module, batches: Sequence[Any]) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model(**b) for b in batches])


def _fid(ref: torch.Tensor, out: torch.Tensor) -> dict[str, float]:
    f = fidelity(ref, out)
    return {"cosine_mean": f["cosine_mean"], "cosine_min": f["cosine_min"],
            "sqnr_db": f["sqnr_db"]}


def _batches(model: nn.Module, texts: list[str], size: int) -> list[dict[str, torch.Tensor]]:
    return [model.tokenize(texts[i:i + size]) for i in range(0, len(texts), size)]


def measure(model: nn.Module, config: DesignConfig) -> dict[str, Any]:
    """Every measurement of the chapter on MiniLM (see :func:`design_measurements`)."""
    texts = sentences()
    n_cal = config.calibration_sentences
    cal = _batches(model, texts[:n_cal], config.batch_size)
    ev = _batches(model, texts[n_cal:n_cal + config.eval_sentences], config.batch_size)
    names = linear_names(model)
    mods = dict(model.named_modules())
    ref = _embed(model, ev)
    absmax = input_channel_absmax(model, cal, names)
    ranges = input_ranges(model, cal, names)
    out: dict[str, Any] = {"layers": names,
                           "weight_bytes": {n: mods[n].weight.numel() * 4 for n in names}}
    out["act_absmax"] = {n: absmax[n].tolist() for n in names}
    out["weight_absmax"] = {n: mods[n].weight.detach().abs().amax(dim=0).tolist() for n in names}
    sens = {}
    for n in names:
        with fake_w8a8(model, ranges, [n]):
            sens[n] = _fid(ref, _embed(model, ev))
    out["sensitivity"] = sens
    order = sorted(names, key=lambda n: sens[n]["cosine_mean"])
    curve = []
    for k in config.ks:
        keep = set(order[:k])
        with fake_w8a8(model, ranges, [n for n in names if n not in keep]):
            f = _fid(ref, _embed(model, ev))
        size = sum(out["weight_bytes"][n] // (1 if n in keep else 4) for n in names)
        curve.append({"k": k, "weight_bytes": size, **f})
    out["mixed_precision"] = curve
    kinds = {g.linears[0]: g.kind for g in smoothing_groups(model)}
    out["smoothing_kind"] = kinds
    table = [{"method": "plain static W8A8", "alpha": None, **curve[0]}]
    for alpha in config.alphas:
        for explicit in (True, False):
            sm, renamed, _ = smooth(model, cal, alpha=alpha, explicit=explicit)
            sm_ranges = input_ranges(sm, cal, names)
            with fake_w8a8(sm, sm_ranges, names):
                f = _fid(ref, _embed(sm, ev))
            label = "SmoothQuant" if explicit else "SmoothQuant, folded layers only"
            table.append({"method": label, "alpha": alpha, **f})
    out["alpha_table"] = table
    return out


def design_measurements(config: DesignConfig | None = None, *, model: nn.Module | None = None,
                        use_cache: bool = True) -> dict[str, Any]:
    """The chapter's measurements as plain JSON, cached (see the module docstring).

    Keys: ``layers`` (linear names), ``weight_bytes`` (float32 bytes per layer),
    ``act_absmax`` / ``weight_absmax`` (per input channel, per layer), ``sensitivity``
    (fidelity with only that layer W8A8), ``mixed_precision`` (k most sensitive in float ->
    bytes and fidelity), ``smoothing_kind`` (layernorm / linear / explicit per layer),
    ``alpha_table`` (plain static W8A8 and SmoothQuant per alpha: fidelity).
    """
    config = config or DesignConfig()
    key = {"config": dataclasses.asdict(config), "versions": versions(), "version": 1}
    path = json_cache_path(NAMESPACE, key)
    record = read_json(path) if use_cache else None
    if record is not None:
        return record["result"]
    if model is None:
        from qtlib.models import load

        model = load("minilm")
    result = measure(model, config)
    write_json_atomic(path, {**key, "result": result})
    return result


def _round(value: Any, digits: int = 5) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v, digits) for v in value]
    return value


def record(config: DesignConfig | None = None, path: Path = RECORD) -> Path:
    """Measure everything (:func:`measure` on MiniLM, seed 0) and write the record ``path``."""
    from qtlib.models import load

    config = config or DesignConfig()
    torch.manual_seed(0)
    result = measure(load("minilm"), config)
    payload = {"what": "ch03 design measurements on MiniLM (qtlib.experiments.ch03_design)",
               "config": dataclasses.asdict(config), "seed": 0, "versions": versions(),
               "threads": torch.get_num_threads(), "result": _round(result)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, separators=(",", ":")) + "\n")  # compact
    return path


def recorded(path: Path = RECORD) -> dict[str, Any]:
    """The record written by :func:`record`: ``{"config", "seed", "versions", "threads",
    "result"}``, ``result`` as :func:`design_measurements` returns it."""
    return json.loads(Path(path).read_text())


def remeasure(model: nn.Module, config: DesignConfig | None = None, *, alpha: float = 0.5
              ) -> dict[str, dict[str, float]]:
    """Two points of the record measured again, in seconds: the whole model plain static W8A8
    and SmoothQuant at ``alpha`` (explicit scales), with the record's sentences.

    Returns ``{"plain static W8A8": fidelity, "SmoothQuant": fidelity}`` (cosine mean/min, SQNR).
    """
    config = config or DesignConfig()
    texts = sentences()
    n_cal = config.calibration_sentences
    cal = _batches(model, texts[:n_cal], config.batch_size)
    ev = _batches(model, texts[n_cal:n_cal + config.eval_sentences], config.batch_size)
    names = linear_names(model)
    ref = _embed(model, ev)
    with fake_w8a8(model, input_ranges(model, cal, names), names):
        plain = _fid(ref, _embed(model, ev))
    sm, _, _ = smooth(model, cal, alpha=alpha, explicit=True)
    with fake_w8a8(sm, input_ranges(sm, cal, names), names):
        smoothed = _fid(ref, _embed(sm, ev))
    return {"plain static W8A8": plain, "SmoothQuant": smoothed}


def recorded_point(result: dict[str, Any], method: str, alpha: float | None = None
                   ) -> dict[str, Any]:
    """The row of the record's ``alpha_table`` for ``method`` (and ``alpha``)."""
    for row in result["alpha_table"]:
        if row["method"] == method and (alpha is None or row["alpha"] == alpha):
            return row
    raise KeyError(f"no row {method!r} alpha={alpha!r} in the record")


if __name__ == "__main__":  # pragma: no cover -- python -m qtlib.experiments.ch03_design record
    if sys.argv[1:] != ["record"]:
        raise SystemExit("usage: python -m qtlib.experiments.ch03_design record")
    print(record())
