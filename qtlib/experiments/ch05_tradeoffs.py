"""Chapter 5's trade-off sweep: every recipe x layer group, measured on TinyViT and MiniLM.

The points are the registered recipes' sweep variants (:func:`qtlib.methods.sweep_recipes`;
importing this module registers the torch.ao reference too), each also with the FFN outputs
left in float when the recipe says ``sweep_keep_float``. Each point is applied to both course
models and measured the way the course's evaluation rules say:

* TinyViT on the digits test split: top-1 ``vit_accuracy`` (fraction) and serialized size;
* MiniLM: fidelity of the sentence embeddings to float32 (``minilm_cos_mean``, ``minilm_cos_min``,
  ``minilm_sqnr_db``, ``minilm_neighbour_agreement``) over the course sentences, serialized size,
  and latency of one ``batch x seq_len`` forward pass (median, p10, p90 in ms) measured
  *alternated with float32 in the same run*, so ``minilm_speedup`` is a ratio of two numbers
  taken under the same machine load.

Figures are named and described in :data:`qtlib.eval.METRICS`. Records are cached by
:func:`qtlib.experiments.sweep.run_cached` (namespace ``ch05``): a later run reads them back in
milliseconds. A ``tqdm.auto`` progress bar shows the points being measured. Defined in ch05.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from torch import nn

import qtlib.reference  # noqa: F401 -- registers the torch.ao recipe the chapter compares with
from qtlib import data, models
from qtlib.eval import (
    accuracy_interval,
    compare_latency,
    fidelity,
    model_outputs,
    neighbour_agreement,
    perplexity,
    results_table,
    serialized_size,
)
from qtlib.experiments.sweep import SweepPoint, run_cached
from qtlib.methods import apply, sweep_recipes

NAMESPACE = "ch05"

#: Layer group left in float -> fnmatch patterns of module names per model (``?`` is one
#: character, so ``layer.?.output.dense`` is the FFN output and not ``attention.output.dense``).
KEEP_FLOAT: dict[str, dict[str, tuple[str, ...]]] = {
    "none": {"tinyvit": (), "tinygpt": (), "minilm": ()},
    "ffn_output": {"tinyvit": ("blocks.?.mlp.fc2",), "tinygpt": ("blocks.?.mlp.fc2",),
                   "minilm": ("bert.encoder.layer.?.output.dense",)},
}
KEEP_FLOAT_DESCRIPTIONS = {
    "none": "every layer the method handles is converted",
    "ffn_output": "the FFN down-projections stay float (where activation outliers live)",
}


def check_point(point: SweepPoint) -> SweepPoint:
    """``point`` if its layer group is one of :data:`KEEP_FLOAT` and fits its recipe."""
    if point.keep_float not in KEEP_FLOAT:
        raise ValueError(f"keep_float must be one of {sorted(KEEP_FLOAT)}, "
                         f"got {point.keep_float!r}")
    if point.keep_float != "none" and not type(point.recipe).sweep_keep_float:
        raise ValueError(f"keep_float only applies to recipes that convert layer by layer with "
                         f"name patterns; use 'none' for {point.recipe.name}")
    return point


def default_points() -> list[SweepPoint]:
    """Every point the chapter's table and explorer offer: each registered recipe's sweep
    variants, and for recipes with ``sweep_keep_float`` each layer group of :data:`KEEP_FLOAT`."""
    points = []
    for recipe in sweep_recipes():
        groups = list(KEEP_FLOAT) if type(recipe).sweep_keep_float else ["none"]
        points += [SweepPoint(recipe, group) for group in groups]
    return points


@dataclass(frozen=True)
class SweepConfig:
    """What the sweep measures on; every field is part of the cache key.

    ``num_sentences`` MiniLM sentences for fidelity (each batch padded to its longest sentence);
    ``calibration_sentences`` / ``calibration_images`` for static quantization; latency of
    ``latency_batch x latency_seq_len`` tokens with ``threads`` threads, each variant timed for
    alternated with float32 (``qtlib.eval.compare_latency``) for about ``latency_budget_s``
    seconds of timed calls (both variants together).
    """

    num_sentences: int = 96
    calibration_sentences: int = 32
    calibration_images: int = 256
    latency_batch: int = 1
    latency_seq_len: int = 128
    latency_budget_s: float = 1.0
    threads: int = 2
    seed: int = 0


class ChapterBench:
    """The two course models, their data and float32 references, loaded once per sweep.

    ``measure(recipe)`` builds the recipe's TinyViT and MiniLM (never changing the float models),
    then returns the figures listed in the module docstring.
    """

    def __init__(self, config: SweepConfig) -> None:
        self.config = config
        torch.manual_seed(config.seed)
        torch.set_num_threads(config.threads)
        self.vit = models.load("tinyvit-digits")
        test = data.digits("test")
        self.vit_images, self.vit_labels = test.tensors
        train_images = data.digits("train").tensors[0][:config.calibration_images]
        self.vit_calibration = list(train_images.split(64))
        self.minilm = models.load("minilm")
        sentences = data.sentences()
        # even positions for fidelity, odd positions for calibration: never the same sentence
        fidelity_sentences = sentences[0::2][:config.num_sentences]
        calibration_sentences = sentences[1::2][:config.calibration_sentences]
        self.minilm_batches = [self.minilm.tokenize(fidelity_sentences[i:i + 32])
                               for i in range(0, len(fidelity_sentences), 32)]
        self.minilm_calibration = [self.minilm.tokenize(calibration_sentences[i:i + 16])
                                   for i in range(0, len(calibration_sentences), 16)]
        self.latency_inputs = self.minilm.tokenize(
            (sentences * config.latency_batch)[:config.latency_batch],
            pad_to=config.latency_seq_len)
        self.minilm_reference = model_outputs(self.minilm, self.minilm_batches)
        self.vit_fp32_bytes = serialized_size(self.vit)
        self.minilm_fp32_bytes = serialized_size(self.minilm)

    def build(self, point: SweepPoint, model_name: str) -> nn.Module:
        """``point``'s recipe applied to ``model_name`` ("tinyvit" or "minilm"), its layer group
        kept in float; the float models are never changed."""
        model = self.vit if model_name == "tinyvit" else self.minilm
        calibration = self.vit_calibration if model_name == "tinyvit" else self.minilm_calibration
        exclude = KEEP_FLOAT[point.keep_float][model_name]
        recipe = point.recipe.replace(exclude=exclude) if exclude else point.recipe
        new, _ = apply(model, recipe, calibration)
        return new.eval()

    @torch.inference_mode()
    def measure(self, point: SweepPoint) -> dict[str, Any]:
        """Every figure of ``point`` on both models (plain floats, JSON-ready)."""
        cfg = self.config
        torch.manual_seed(cfg.seed)
        vit = self.build(point, "tinyvit")
        vit_pred = vit(self.vit_images).argmax(dim=-1)
        vit_bytes = serialized_size(vit)
        del vit
        minilm = self.build(point, "minilm")
        out = model_outputs(minilm, self.minilm_batches)
        fid = fidelity(self.minilm_reference, out)
        timing = compare_latency({"float32": self.minilm, "candidate": minilm},
                                 self.latency_inputs, threads=cfg.threads,
                                 budget_s=cfg.latency_budget_s)
        cand, base = timing.records["candidate"], timing.records["float32"]
        minilm_bytes = serialized_size(minilm)
        return {
            "vit_accuracy": (vit_pred == self.vit_labels).double().mean().item(),
            "vit_size_bytes": vit_bytes,
            "vit_size_kb": vit_bytes / 1e3,
            "vit_size_ratio": vit_bytes / self.vit_fp32_bytes,
            "minilm_cos_mean": fid["cosine_mean"],
            "minilm_cos_min": fid["cosine_min"],
            "minilm_sqnr_db": min(fid["sqnr_db"], 999.0),
            "minilm_neighbour_agreement": neighbour_agreement(self.minilm_reference, out),
            "minilm_size_bytes": minilm_bytes,
            "minilm_size_mb": minilm_bytes / 1e6,
            "minilm_size_ratio": minilm_bytes / self.minilm_fp32_bytes,
            "minilm_latency_ms": cand.median_ms,
            "minilm_latency_p10_ms": cand.p10_ms,
            "minilm_latency_p90_ms": cand.p90_ms,
            "minilm_latency_n": cand.n,
            "minilm_fp32_latency_ms": base.median_ms,
            "minilm_speedup": base.median_ms / cand.median_ms,
            "threads": torch.get_num_threads(),
            "latency_shape": f"{cfg.latency_batch}x{cfg.latency_seq_len}",
        }


def run_sweep(points: Iterable[SweepPoint] | None = None, config: SweepConfig | None = None,
              *, use_cache: bool = True, progress: bool | None = None) -> pd.DataFrame:
    """The chapter's sweep: :func:`default_points` (or ``points``) measured on TinyViT and MiniLM.

    Cold, this loads both models and measures each point (a few seconds each on 2 cores); warm,
    it reads the cached records. Returns :func:`qtlib.eval.results_table` of the records (columns
    ``label``, ``method``, ``setting``, ``keep_float``, the figures of the module docstring) plus
    ``cached`` and ``measure_s``.
    """
    config = config or SweepConfig()
    points = [check_point(p) for p in (points if points is not None else default_points())]
    bench: ChapterBench | None = None

    def measure(point: SweepPoint) -> dict[str, Any]:
        nonlocal bench
        if bench is None:
            bench = ChapterBench(config)
        return bench.measure(point)

    results = run_cached(points, measure, config=config, namespace=NAMESPACE,
                         use_cache=use_cache, progress=progress)
    table = results_table(results)
    table["cached"] = [r.env["cached"] for r in results]
    table["measure_s"] = [r.env["measure_s"] for r in results]
    return table


QUALITY_NAMESPACE = "ch05_quality"


@dataclass(frozen=True)
class QualityConfig:
    """Settings of :func:`run_quality_sweep` (part of its cache key): TinyGPT perplexity over the
    first ``gpt_tokens`` bytes of the corpus test split (non-overlapping 64-byte windows), static
    recipes calibrated on ``gpt_calibration_windows`` windows of the train split and on
    ``calibration_images`` training digits; intervals at ``confidence``."""

    gpt_tokens: int = 4096
    gpt_calibration_windows: int = 32
    calibration_images: int = 256
    confidence: float = 0.95
    threads: int = 2
    seed: int = 0


class QualityBench:
    """TinyViT's test logits and TinyGPT's test bytes, with their float32 references."""

    def __init__(self, config: QualityConfig) -> None:
        self.config = config
        torch.manual_seed(config.seed)
        torch.set_num_threads(config.threads)
        self.models = {"tinyvit": models.load("tinyvit-digits"), "tinygpt": models.load("tinygpt")}
        self.vit_images, self.vit_labels = data.digits("test").tensors
        images = data.digits("train").tensors[0][:config.calibration_images]
        block = self.models["tinygpt"].cfg.block_size
        train = data.corpus_bytes("train")[:config.gpt_calibration_windows * block]
        self.calibration = {"tinyvit": list(images.split(64)),
                            "tinygpt": list(train.reshape(-1, block).split(8))}
        self.gpt_tokens = data.corpus_bytes("test")[:config.gpt_tokens]
        with torch.inference_mode():
            self.vit_reference = self.models["tinyvit"](self.vit_images)
        self.gpt_reference = perplexity(self.models["tinygpt"], self.gpt_tokens)

    def build(self, point: SweepPoint, model_name: str) -> nn.Module:
        exclude = KEEP_FLOAT[point.keep_float][model_name]
        recipe = point.recipe.replace(exclude=exclude) if exclude else point.recipe
        new, _ = apply(self.models[model_name], recipe, self.calibration[model_name])
        return new.eval()

    @torch.inference_mode()
    def measure(self, point: SweepPoint) -> dict[str, Any]:
        cfg = self.config
        torch.manual_seed(cfg.seed)
        logits = self.build(point, "tinyvit")(self.vit_images)
        correct = int((logits.argmax(-1) == self.vit_labels).sum())
        low, high = accuracy_interval(correct, len(self.vit_labels), confidence=cfg.confidence)
        fid = fidelity(self.vit_reference, logits, logits=True)
        ppl = perplexity(self.build(point, "tinygpt"), self.gpt_tokens)
        return {
            "vit_accuracy": correct / len(self.vit_labels),
            "vit_correct": correct,
            "vit_accuracy_low": low,
            "vit_accuracy_high": high,
            "vit_top1_agreement": fid["top1_agreement"],
            "vit_kl_divergence": fid["kl_divergence"],
            "gpt_perplexity": ppl,
            "gpt_perplexity_ratio": ppl / self.gpt_reference,
        }


def run_quality_sweep(points: Iterable[SweepPoint] | None = None,
                      config: QualityConfig | None = None, *, use_cache: bool = True,
                      progress: bool | None = None) -> pd.DataFrame:
    """Quality figures of every point (default :func:`default_points`) on the two small models:
    TinyViT accuracy with its Wilson interval (``vit_accuracy_low`` / ``_high``), top-1 agreement
    and KL divergence of its logits to float32, and TinyGPT perplexity (and its ratio to
    float32). Cached under namespace ``ch05_quality``; columns as :func:`run_sweep`."""
    config = config or QualityConfig()
    points = [check_point(p) for p in (points if points is not None else default_points())]
    bench: QualityBench | None = None

    def measure(point: SweepPoint) -> dict[str, Any]:
        nonlocal bench
        if bench is None:
            bench = QualityBench(config)
        return bench.measure(point)

    results = run_cached(points, measure, config=config, namespace=QUALITY_NAMESPACE,
                         use_cache=use_cache, progress=progress)
    return results_table(results)
