"""The chapter-5 sweep: every recipe (method x setting x layers kept in float), measured once.

A *recipe* is one way to shrink a model: a method (``float32``, ``dynamic_int8``,
``torch_ao_dynamic``, ``static_int8``, ``weight_only_int4``, ``weight_sharing``), its setting
(an observer, a group size, a cluster count) and a group of layers left in float. Each recipe is
applied to both course models and measured the way the course's evaluation rules say:

* TinyViT on the digits test split: top-1 ``accuracy`` (fraction) and serialized size;
* MiniLM: fidelity of the sentence embeddings to float32 (``cos_mean``, ``cos_min``, ``sqnr_db``,
  ``neighbour_agreement``) over the course sentences, serialized size, and latency of one
  ``batch x seq_len`` forward pass (median, p10, p90 in ms) measured *alternated with float32 in the
  same run*, so ``speedup`` is a ratio of two numbers taken under the same machine load.

Results are cached on disk, one JSON file per recipe under ``cache_dir()/sweeps/ch05``, keyed by
the recipe, the :class:`SweepConfig` and the qtlib / torch versions: a later run reads them back
in milliseconds, a changed setting or library recomputes only what it changes. A ``tqdm.auto``
progress bar shows the recipes being measured. Defined in ch05.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from qtlib.utils.cache import cache_dir
from qtlib.utils.progress import progress_bar

#: Method name -> (the settings the chapter sweeps, a one-line description).
METHODS: dict[str, tuple[tuple[str, ...], str]] = {
    "float32": (("-",), "the float32 model, the reference"),
    "dynamic_int8": (("per-token",), "qtlib dynamic W8A8: int8 weights per channel, int8 "
                                     "activations per token, int32 accumulation"),
    "torch_ao_dynamic": (("per-tensor",), "torch.ao quantize_dynamic: int8 weights, one "
                                          "activation scale per tensor"),
    "static_int8": (("minmax", "percentile"), "qtlib static W8A8: activation ranges fixed by "
                                              "calibration with an observer"),
    "weight_only_int4": (("g32", "g64"), "qtlib int4 weights in groups of 32 or 64, float "
                                          "activations"),
    "weight_sharing": (("k4", "k16"), "k-means codebook of 4 or 16 values per layer, packed "
                                      "indices"),
}

#: Layer group left in float -> fnmatch patterns of module names per model (``?`` is one
#: character, so ``layer.?.output.dense`` is the FFN output and not ``attention.output.dense``).
KEEP_FLOAT: dict[str, dict[str, tuple[str, ...]]] = {
    "none": {"tinyvit": (), "minilm": ()},
    "ffn_output": {"tinyvit": ("blocks.?.mlp.fc2",),
                   "minilm": ("bert.encoder.layer.?.output.dense",)},
}
KEEP_FLOAT_DESCRIPTIONS = {
    "none": "every layer the method handles is converted",
    "ffn_output": "the FFN down-projections stay float (where activation outliers live)",
}


@dataclass(frozen=True, order=True)
class Recipe:
    """One point of the sweep: ``method``, its ``setting`` and the ``keep_float`` layer group."""

    method: str
    setting: str = "-"
    keep_float: str = "none"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {sorted(METHODS)}, got {self.method!r}")
        settings = METHODS[self.method][0]
        if self.setting not in settings:
            raise ValueError(f"setting for {self.method} must be one of {list(settings)}, "
                             f"got {self.setting!r}")
        if self.keep_float not in KEEP_FLOAT:
            raise ValueError(f"keep_float must be one of {sorted(KEEP_FLOAT)}, "
                             f"got {self.keep_float!r}")
        if self.method == "float32" and self.keep_float != "none":
            raise ValueError("keep_float only applies to quantized recipes; use 'none' for float32")

    @property
    def label(self) -> str:
        """A short human-readable name, e.g. ``static_int8 minmax | keep ffn_output``."""
        text = self.method if self.setting == "-" else f"{self.method} {self.setting}"
        return text if self.keep_float == "none" else f"{text} | keep {self.keep_float}"


#: Methods whose recipes are also measured with a layer group kept in float: those that quantize
#: activations or weights to a grid (weight sharing's codebooks, torch.ao's reference, float32:
#: with nothing kept in float only).
KEEP_FLOAT_METHODS = ("dynamic_int8", "static_int8", "weight_only_int4")


def default_recipes() -> list[Recipe]:
    """Every recipe the chapter's table and explorer offer: float32, then each method x setting,
    and for :data:`KEEP_FLOAT_METHODS` each layer group of :data:`KEEP_FLOAT` as well."""
    recipes = [Recipe("float32")]
    for method, (settings, _) in METHODS.items():
        if method == "float32":
            continue
        groups = list(KEEP_FLOAT) if method in KEEP_FLOAT_METHODS else ["none"]
        recipes += [Recipe(method, s, g) for s in settings for g in groups]
    return recipes


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


def versions() -> dict[str, str]:
    """The library versions a cached figure depends on."""
    import qtlib

    return {"qtlib": qtlib.__version__, "torch": torch.__version__}


def cache_key(recipe: Recipe, config: Any, namespace: str = "ch05") -> str:
    """A stable hex digest of the recipe, the config (a dataclass) and :func:`versions`."""
    payload = {"namespace": namespace, "recipe": dataclasses.asdict(recipe),
               "config": dataclasses.asdict(config), "versions": versions()}
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def sweep_cache_dir(namespace: str = "ch05") -> Path:
    """Folder of the cached sweep records (created if missing)."""
    path = cache_dir() / "sweeps" / namespace
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_cached(recipes: Sequence[Recipe], measure: Callable[[Recipe], dict[str, Any]], *,
               config: Any, namespace: str = "ch05", use_cache: bool = True,
               progress: bool | None = None) -> pd.DataFrame:
    """Measure each recipe with ``measure(recipe) -> dict of figures``, unless a record is cached.

    Returns one row per recipe, in the given order, with the columns ``method``, ``setting``,
    ``keep_float``, ``label``, the figures, ``cached`` (bool: read from disk in this call) and
    ``measure_s`` (seconds the measurement took when it was made). ``use_cache=False`` measures
    everything again and overwrites the records.
    """
    if not recipes:
        raise ValueError("recipes is empty: pass at least one Recipe (see default_recipes())")
    if not all(isinstance(r, Recipe) for r in recipes):
        raise TypeError("recipes must be Recipe objects (see default_recipes())")
    folder = sweep_cache_dir(namespace)
    rows: list[dict[str, Any] | None] = [None] * len(recipes)
    todo = []
    for i, recipe in enumerate(recipes):
        path = folder / f"{cache_key(recipe, config, namespace)}.json"
        if use_cache and path.exists():
            rows[i] = {**json.loads(path.read_text())["row"], "cached": True}
        else:
            todo.append((i, recipe, path))
    for i, recipe, path in progress_bar(todo, total=len(todo), desc="sweep", progress=progress):
        start = time.perf_counter()
        figures = measure(recipe)
        row = {**dataclasses.asdict(recipe), "label": recipe.label, **figures,
               "measure_s": time.perf_counter() - start}
        record = {"recipe": dataclasses.asdict(recipe), "config": dataclasses.asdict(config),
                  "versions": versions(), "row": row}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1, default=_json_default))
        tmp.replace(path)
        rows[i] = {**row, "cached": False}
    return pd.DataFrame(rows)


def _json_default(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    raise TypeError(f"figure of type {type(value).__name__} is not JSON serializable; "
                    "measure functions must return plain numbers and strings")


class ChapterBench:
    """The two course models, their data and float32 references, loaded once per sweep.

    ``measure(recipe)`` builds the recipe's TinyViT and MiniLM (never changing the float models),
    then returns the figures listed in the module docstring.
    """

    def __init__(self, config: SweepConfig) -> None:
        from qtlib import data, models

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
        with torch.inference_mode():
            self.minilm_reference = self._embed(self.minilm)
        self.vit_fp32_bytes = _serialized_bytes(self.vit)
        self.minilm_fp32_bytes = _serialized_bytes(self.minilm)

    def _embed(self, model: torch.nn.Module) -> torch.Tensor:
        return torch.cat([model(**batch) for batch in self.minilm_batches])

    def build(self, recipe: Recipe, model_name: str) -> torch.nn.Module:
        """The recipe applied to a copy of ``model_name`` ("tinyvit" or "minilm")."""
        from qtlib import methods, reference

        model = self.vit if model_name == "tinyvit" else self.minilm
        calibration = self.vit_calibration if model_name == "tinyvit" else self.minilm_calibration
        exclude = list(KEEP_FLOAT[recipe.keep_float][model_name]) or None
        if recipe.method == "float32":
            return model
        if recipe.method == "torch_ao_dynamic":
            return reference.torch_ao_quantize_dynamic(model).eval()
        if recipe.method == "dynamic_int8":
            new, _ = methods.quantize_dynamic(model, exclude=exclude)
        elif recipe.method == "static_int8":
            new, _ = methods.quantize_static(model, calibration, observer=recipe.setting,
                                             exclude=exclude)
        elif recipe.method == "weight_only_int4":
            new, _ = methods.quantize_weight_only(model, num_bits=4,
                                                  group_size=int(recipe.setting[1:]),
                                                  exclude=exclude)
        elif recipe.method == "weight_sharing":
            new, _ = methods.share_weights(model, num_clusters=int(recipe.setting[1:]),
                                           exclude=exclude, seed=self.config.seed)
        else:  # Recipe validates its method, so this is a new method without a branch here
            raise ValueError(f"no builder for method {recipe.method!r}")
        return new.eval()

    @torch.inference_mode()
    def measure(self, recipe: Recipe) -> dict[str, Any]:
        """Every figure of ``recipe`` on both models (plain floats, JSON-ready)."""
        from qtlib.eval.latency import compare_latency
        from qtlib.eval.quality import fidelity, neighbour_agreement

        cfg = self.config
        torch.manual_seed(cfg.seed)
        vit = self.build(recipe, "tinyvit")
        vit_pred = vit(self.vit_images).argmax(dim=-1)
        vit_bytes = _serialized_bytes(vit)
        del vit
        minilm = self.build(recipe, "minilm")
        out = self._embed(minilm)
        fid = fidelity(self.minilm_reference, out)
        timing = compare_latency({"float32": self.minilm, "candidate": minilm},
                                 self.latency_inputs, threads=cfg.threads,
                                 budget_s=cfg.latency_budget_s)
        cand, base = timing.records["candidate"], timing.records["float32"]
        minilm_bytes = _serialized_bytes(minilm)
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


def _serialized_bytes(model: torch.nn.Module) -> int:
    import io

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def run_sweep(recipes: Iterable[Recipe] | None = None, config: SweepConfig | None = None, *,
              use_cache: bool = True, progress: bool | None = None) -> pd.DataFrame:
    """The chapter's sweep: :func:`default_recipes` (or ``recipes``) measured on TinyViT and MiniLM.

    Cold, this loads both models and measures each recipe (a few seconds each on 2 cores); warm,
    it reads the cached records. See the module docstring for the columns.
    """
    config = config or SweepConfig()
    recipes = list(recipes) if recipes is not None else default_recipes()
    bench: ChapterBench | None = None

    def measure(recipe: Recipe) -> dict[str, Any]:
        nonlocal bench
        if bench is None:
            bench = ChapterBench(config)
        return bench.measure(recipe)

    return run_cached(recipes, measure, config=config, use_cache=use_cache, progress=progress)
