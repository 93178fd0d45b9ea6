"""Chapter 4's measurements: post-training quantization done right, cached (ch04).

* :func:`tinygpt_calibration`: calibration batches of byte windows from the *train* split.
* :func:`group_size_sweep`: weight-only round-to-nearest (RTN, :class:`~qtlib.methods.WeightOnly`)
  and :class:`~qtlib.methods.GPTQ` on TinyGPT at int4 and int3 for group sizes 32, 64, 128 and
  per channel: perplexity on the test split and bytes per weight (scales counted).
* :func:`side_by_side`: dynamic, static and weight-only recipes on TinyGPT (perplexity) and
  MiniLM (fidelity to the float model).
* :func:`calibration_study`: static int8 on TinyGPT by number of calibration windows, observer,
  and a bad calibration set (windows of one repeated byte, or random bytes).

Every point goes through :func:`qtlib.experiments.sweep.run_cached`, so a second run of the
notebook (and the explorer) reads the records from ``cache_dir()/sweeps/``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from qtlib.eval import perplexity
from qtlib.experiments.sweep import SweepPoint, run_cached
from qtlib.methods import GPTQ, DynamicInt8, Float32, Recipe, StaticInt8, WeightOnly, apply
from qtlib.nn import WeightOnlyLinear
from qtlib.quant import bytes_per_weight

BITS = (4, 3)
GROUP_SIZES: tuple[int | None, ...] = (32, 64, 128, None)


@dataclass(frozen=True)
class Ch04Config:
    """Settings shared by the chapter's TinyGPT measurements (part of every cache key)."""

    calibration_windows: int = 32     # windows of 64 bytes from the train split
    eval_tokens: int = 8192           # test bytes scored for perplexity
    seed: int = 0
    version: int = 1


def tinygpt_calibration(windows: int = 32, *, seed: int = 0, batch_size: int = 32,
                        kind: str = "train") -> list[torch.Tensor]:
    """Calibration batches for TinyGPT: int64 ``[<=batch_size, 64]`` byte windows.

    ``kind``: ``"train"`` (random windows of the training text, the right choice),
    ``"constant"`` (every byte a space: a range far too narrow) or ``"random"`` (uniform random
    bytes: text the model never sees).
    """
    from qtlib.data import corpus_bytes

    g = torch.Generator().manual_seed(seed)
    if kind == "train":
        text = corpus_bytes("train")
        starts = torch.randint(0, text.numel() - 65, (windows,), generator=g)
        rows = torch.stack([text[s:s + 64] for s in starts.tolist()])
    elif kind == "constant":
        rows = torch.full((windows, 64), ord(" "), dtype=torch.int64)
    elif kind == "random":
        rows = torch.randint(0, 256, (windows, 64), generator=g)
    else:
        raise ValueError(f"kind must be 'train', 'constant' or 'random', got {kind!r}")
    return [rows[i:i + batch_size] for i in range(0, windows, batch_size)]


def weight_storage(model: nn.Module) -> dict[str, float]:
    """Bytes per weight of the model's :class:`WeightOnlyLinear` layers, averaged over weights:
    ``formula`` (dense codes plus float32 scales, :func:`qtlib.quant.bytes_per_weight`) and
    ``stored`` (the bytes qtlib's modules hold: int3 codes take one byte each)."""
    n = formula = stored = 0.0
    for mod in model.modules():
        if isinstance(mod, WeightOnlyLinear):
            count = mod.in_features * mod.out_features
            n += count
            formula += count * bytes_per_weight(mod.num_bits, mod.group_size,
                                                in_features=mod.in_features)
            stored += (mod.weight_packed.numel() * mod.weight_packed.element_size()
                       + mod.weight_scale.numel() * 4)
    if not n:
        return {"bytes_per_weight": 4.0, "stored_bytes_per_weight": 4.0}
    return {"bytes_per_weight": formula / n, "stored_bytes_per_weight": stored / n}


def _tinygpt_measure(config: Ch04Config, calibration_kind: str = "train",
                     windows: int | None = None):
    from qtlib.data import corpus_bytes
    from qtlib.models import load

    model = load("tinygpt")
    tokens = corpus_bytes("test")[: config.eval_tokens]
    calib = tinygpt_calibration(windows or config.calibration_windows, seed=config.seed,
                                kind=calibration_kind)

    def measure(point: SweepPoint) -> dict[str, float]:
        torch.manual_seed(config.seed)
        new, _ = apply(model, point.recipe, calib)
        return {"perplexity": perplexity(new, tokens, context_length=64, progress=False),
                **weight_storage(new)}

    return measure


def group_size_points() -> list[SweepPoint]:
    """RTN and GPTQ at each of :data:`BITS` x :data:`GROUP_SIZES`, plus float32."""
    points = [SweepPoint(Float32())]
    for bits in BITS:
        for g in GROUP_SIZES:
            points += [SweepPoint(WeightOnly(num_bits=bits, group_size=g)),
                       SweepPoint(GPTQ(num_bits=bits, group_size=g))]
    return points


def _rows(results, extra=None) -> pd.DataFrame:
    rows = []
    for r in results:
        rec = r.settings["recipe"]
        rows.append({"method": {"weight_only": "RTN", "gptq": "GPTQ"}.get(rec["method"],
                                                                          rec["method"]),
                     "bits": rec.get("num_bits", 32),
                     "group_size": rec.get("group_size", "-") or "per-channel",
                     **r.metrics, **(extra or {})})
    return pd.DataFrame(rows)


def group_size_sweep(config: Ch04Config | None = None, *, use_cache: bool = True,
                     progress: bool | None = None) -> pd.DataFrame:
    """TinyGPT perplexity and bytes per weight for RTN / GPTQ x bits x group size.

    Columns: method (``"float32"``, ``"RTN"``, ``"GPTQ"``), bits, group_size (int or
    ``"per-channel"``), perplexity, bytes_per_weight, stored_bytes_per_weight.
    """
    config = config or Ch04Config()
    results = run_cached(group_size_points(), _tinygpt_measure(config), config=config,
                         namespace="ch04_group_size", use_cache=use_cache, progress=progress)
    return _rows(results)


def gap_closed(table: pd.DataFrame, bits: int, group_size: int | str) -> float:
    """Fraction of the RTN-to-float32 perplexity gap GPTQ closes at ``bits``/``group_size``."""
    fp = float(table.loc[table.method == "float32", "perplexity"].iloc[0])
    sel = table[(table.bits == bits) & (table.group_size == group_size)].set_index("method")
    rtn, gptq = float(sel.loc["RTN", "perplexity"]), float(sel.loc["GPTQ", "perplexity"])
    return (rtn - gptq) / (rtn - fp)


SIDE_BY_SIDE: tuple[Recipe, ...] = (
    Float32(), DynamicInt8(), StaticInt8(observer="minmax"), StaticInt8(observer="percentile"),
    WeightOnly(num_bits=8, group_size=None), WeightOnly(num_bits=4, group_size=32))


def side_by_side(config: Ch04Config | None = None, *, use_cache: bool = True,
                 progress: bool | None = None) -> pd.DataFrame:
    """Dynamic, static and weight-only on TinyGPT (perplexity) and MiniLM (fidelity).

    Columns: recipe (label), tinygpt_perplexity, minilm_cosine_mean, minilm_cosine_min.
    """
    config = config or Ch04Config()
    gpt = run_cached([SweepPoint(r) for r in SIDE_BY_SIDE], _tinygpt_measure(config),
                     config=config, namespace="ch04_side_gpt", use_cache=use_cache,
                     progress=progress)
    lm = run_cached([SweepPoint(r) for r in SIDE_BY_SIDE], _minilm_measure(config),
                    config=config, namespace="ch04_side_minilm", use_cache=use_cache,
                    progress=progress)
    return pd.DataFrame([{"recipe": r.recipe.label, "tinygpt_perplexity": a.metrics["perplexity"],
                          "minilm_cosine_mean": b.metrics["cosine_mean"],
                          "minilm_cosine_min": b.metrics["cosine_min"]}
                         for r, a, b in zip([SweepPoint(x) for x in SIDE_BY_SIDE], gpt, lm,
                                            strict=True)])


def _minilm_measure(config: Ch04Config):
    from qtlib.data import sentences
    from qtlib.eval import fidelity, model_outputs
    from qtlib.models import load

    state: dict = {}

    def measure(point: SweepPoint) -> dict[str, float]:
        if not state:  # loaded on the first point that is not cached
            model = state["model"] = load("minilm")
            texts = sentences()
            state["calib"] = [model.tokenize(texts[i:i + 16]) for i in range(0, 64, 16)]
            state["held_out"] = [model.tokenize(texts[i:i + 32])
                                 for i in range(64, len(texts), 32)]
            state["ref"] = model_outputs(model, state["held_out"], progress=False)
        model, calib, held_out, ref = (state[k] for k in ("model", "calib", "held_out", "ref"))
        new, _ = apply(model, point.recipe, calib)
        fid = fidelity(ref, model_outputs(new, held_out, progress=False))
        return {"cosine_mean": fid["cosine_mean"], "cosine_min": fid["cosine_min"]}

    return measure


def calibration_study(config: Ch04Config | None = None, *, use_cache: bool = True,
                      progress: bool | None = None) -> pd.DataFrame:
    """Static int8 on TinyGPT: perplexity by calibration windows (1, 4, 32), observer (minmax,
    percentile, mse) and calibration data (train text, constant bytes, random bytes).

    Columns: data, windows, observer, perplexity.
    """
    config = config or Ch04Config()
    rows = []
    cases = [("train", w) for w in (1, 4, 32)] + [("constant", 32), ("random", 32)]
    for kind, windows in cases:
        observers = ("minmax", "percentile", "mse") if (kind, windows) == ("train", 32) else \
            ("minmax",)
        points = [SweepPoint(StaticInt8(observer=o)) for o in observers]
        results = run_cached(points, _tinygpt_measure(config, kind, windows), config=config,
                             namespace=f"ch04_calibration_{kind}_{windows}",
                             use_cache=use_cache, progress=progress)
        for o, r in zip(observers, results, strict=True):
            rows.append({"data": kind, "windows": windows, "observer": o,
                         "perplexity": r.metrics["perplexity"]})
    return pd.DataFrame(rows)
