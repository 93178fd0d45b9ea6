"""Chapter 4's measurements: post-training quantization done right, cached (ch04).

* :func:`tinygpt_calibration`: calibration batches of byte windows from the *train* split.
* :func:`group_size_sweep`: weight-only round-to-nearest (RTN, :class:`~qtlib.methods.WeightOnly`)
  and :class:`~qtlib.methods.GPTQ` on TinyGPT at int4 and int3 for group sizes 32, 64, 128 and
  per channel: perplexity on the test split and bytes per weight (scales counted).
* :func:`side_by_side`: dynamic, static and weight-only recipes on TinyGPT (perplexity) and
  MiniLM (fidelity to the float model).
* :func:`calibration_study`: static int8 on TinyGPT by number of calibration windows, observer,
  and a bad calibration set (windows of one repeated byte, or random bytes).

* :func:`tinyvit_reference`: the same static int8 job through torch.ao (eager, x86 engine, one
  ``QuantWrapper`` per linear), torchao's ``quantize_`` configs and PT2E
  (``X86InductorQuantizer``, eager and, when ``compile=True``, ``torch.compile``d) on TinyViT.

The TinyGPT sweeps take tens of minutes cold on 2 cores (about a minute per point), so they are
RECORDED: ``python -m qtlib.experiments.ch04_ptq record`` measures them once (through
:func:`qtlib.experiments.sweep.run_cached`) and writes :data:`RECORD_PATH`, a small JSON shipped
in the package with the settings, seeds, versions and numbers. The functions read the record by
default (``source="recorded"``); ``source="live"`` measures (or reads the sweep cache).
:func:`measure_point` re-measures one point now, to check the record against.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

from qtlib.eval import perplexity
from qtlib.experiments.sweep import SweepPoint, run_cached, versions
from qtlib.methods import GPTQ, DynamicInt8, Float32, Recipe, StaticInt8, WeightOnly, apply
from qtlib.nn import WeightOnlyLinear
from qtlib.quant import bytes_per_weight
from qtlib.utils.cache import RECORDED_DIR

#: the recorded measurements (written by :func:`record`, read by the ``source="recorded"`` default)
RECORD_PATH = RECORDED_DIR / "ch04_ptq.json"
RECORD_COMMAND = "python -m qtlib.experiments.ch04_ptq record"

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


def _is_recorded(source: str, config: Ch04Config) -> bool:
    if source not in ("recorded", "live"):
        raise ValueError(f"source must be 'recorded' or 'live', got {source!r}")
    if source == "recorded" and config != Ch04Config():
        raise ValueError("the record holds the default Ch04Config only; pass source='live'")
    return source == "recorded"


@cache
def _read_record_text(path: str) -> str:
    return Path(path).read_text()


def read_record(path: Path | str = RECORD_PATH) -> dict[str, Any]:
    """The recorded measurements (a fresh dict each call): ``config``, ``versions``,
    ``recorded_at``, ``command``, ``wall_s`` (seconds each part took in the recording run, most
    points read from the sweep cache, which holds each point's own ``measure_s``) and one
    list of table rows per part (``group_size``, ``side_by_side``, ``calibration``,
    ``tinyvit_reference``). Raises ``FileNotFoundError`` naming :data:`RECORD_COMMAND`."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no record at {path}; run `{RECORD_COMMAND}`")
    return json.loads(_read_record_text(str(path)))


def measure_point(recipe: Recipe, config: Ch04Config | None = None) -> dict[str, float]:
    """Measure one TinyGPT point NOW, no cache (``perplexity``, ``bytes_per_weight``,
    ``stored_bytes_per_weight``): the live check of a recorded row. About 10-30 s on 2 cores."""
    return _tinygpt_measure(config or Ch04Config())(SweepPoint(recipe))


def recorded_row(table: pd.DataFrame, method: str, bits: int, group_size: int | str
                 ) -> dict[str, Any]:
    """The one row of a :func:`group_size_sweep` table for ``method``/``bits``/``group_size``."""
    sel = table[(table.method == method) & (table.bits == bits) & (table.group_size == group_size)]
    if len(sel) != 1:
        raise ValueError(f"expected one row for {method} int{bits} g{group_size}, got {len(sel)}")
    return sel.iloc[0].to_dict()


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


def group_size_sweep(config: Ch04Config | None = None, *, source: str = "recorded",
                     use_cache: bool = True,
                     progress: bool | None = None) -> pd.DataFrame:
    """TinyGPT perplexity and bytes per weight for RTN / GPTQ x bits x group size.

    Columns: method (``"float32"``, ``"RTN"``, ``"GPTQ"``), bits, group_size (int or
    ``"per-channel"``), perplexity, bytes_per_weight, stored_bytes_per_weight.
    """
    config = config or Ch04Config()
    if _is_recorded(source, config):
        return pd.DataFrame(read_record()["group_size"])
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


def side_by_side(config: Ch04Config | None = None, *, source: str = "recorded",
                 use_cache: bool = True,
                 progress: bool | None = None) -> pd.DataFrame:
    """Dynamic, static and weight-only on TinyGPT (perplexity) and MiniLM (fidelity).

    Columns: recipe (label), tinygpt_perplexity, minilm_cosine_mean, minilm_cosine_min.
    """
    config = config or Ch04Config()
    if _is_recorded(source, config):
        return pd.DataFrame(read_record()["side_by_side"])
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


def calibration_study(config: Ch04Config | None = None, *, source: str = "recorded",
                      use_cache: bool = True,
                      progress: bool | None = None) -> pd.DataFrame:
    """Static int8 on TinyGPT: perplexity by calibration windows (1, 4, 32), observer (minmax,
    percentile, mse) and calibration data (train text, constant bytes, random bytes).

    Columns: data, windows, observer, perplexity.
    """
    config = config or Ch04Config()
    if _is_recorded(source, config):
        return pd.DataFrame(read_record()["calibration"])
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


def _tinyvit_builders(model: nn.Module, calib: list[torch.Tensor], compile: bool,
                      example: torch.Tensor) -> dict[str, tuple[str, Any]]:
    from qtlib import reference

    def pt2e_compiled() -> nn.Module:  # compiled for the evaluation batch's shape
        return reference.pt2e_compile(reference.pt2e_quantize_x86(model, calib), example)

    builders: dict[str, tuple[str, Any]] = {
        "float32": ("-", lambda: model),
        "static int8, eager (x86, one QuantWrapper per linear)":
            ("torch.ao", lambda: reference.torch_ao_quantize_static_per_layer(model, calib)),
        "Int8DynamicActivationInt8WeightConfig": (
            "torchao quantize_", lambda: reference.torchao_int8_dynamic(model)),
        "Int8WeightOnlyConfig": ("torchao quantize_",
                                 lambda: reference.torchao_int8_weight_only(model)),
        "Int4WeightOnlyConfig(group_size=32)": (
            "torchao quantize_", lambda: reference.torchao_int4_weight_only(model, 32)),
        "X86InductorQuantizer, converted graph in eager": (
            "PT2E", lambda: reference.pt2e_quantize_x86(model, calib)),
    }
    if compile:
        builders["X86InductorQuantizer + torch.compile"] = ("PT2E", pt2e_compiled)
    return builders


def tinyvit_reference(*, source: str = "recorded", compile: bool = False,
                      calibration_images: int = 256, repeats: int = 5) -> pd.DataFrame:
    """Static int8 on TinyViT through torch.ao, torchao and PT2E: one row per variant.

    Columns: api, variant, accuracy (digits test split, 360 images, one batch), prepare_s
    (seconds to quantize, calibrate and, for the compiled variant, compile), ms_per_batch
    (median of ``repeats`` calls on the 360 images, NaN when ``repeats=0``; the machine's load
    shows here) and error (the
    message of a variant that cannot run here, else ``""``). ``source="live"`` measures now
    (about 10 s without ``compile``; ``compile=True`` adds the ``torch.compile`` row, about a
    minute); ``"recorded"`` reads the record (which has the compiled row).
    Calibration: the first ``calibration_images`` training images, in batches of 64.
    """
    if source == "recorded":
        return pd.DataFrame(read_record()["tinyvit_reference"])
    if source != "live":
        raise ValueError(f"source must be 'recorded' or 'live', got {source!r}")
    import warnings

    from qtlib.data import digits
    from qtlib.models import load

    torch.manual_seed(0)
    model = load("tinyvit-digits").eval()
    train_x = digits("train").tensors[0][:calibration_images]
    calib = [train_x[i:i + 64] for i in range(0, len(train_x), 64)]
    images, labels = digits("test").tensors
    rows = []
    for variant, (api, build) in _tinyvit_builders(model, calib, compile, images).items():
        row = {"api": api, "variant": variant, "accuracy": float("nan"), "prepare_s": 0.0,
               "ms_per_batch": float("nan"), "error": ""}
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                if "compile" in variant:  # Inductor's own torch.tensor(tensor) UserWarning
                    warnings.filterwarnings("ignore", "To copy construct from a tensor",
                                            UserWarning)
                quantized = build()
                row["prepare_s"] = time.perf_counter() - start
                with torch.no_grad():
                    logits = quantized(images)
                    times = []
                    for _ in range(repeats):
                        t0 = time.perf_counter()
                        quantized(images)
                        times.append(time.perf_counter() - t0)
        except Exception as error:  # a variant that cannot run here is reported, not fatal
            row["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
            rows.append(row)
            continue
        row["accuracy"] = float((logits.argmax(dim=1) == labels).float().mean())
        if times:
            row["ms_per_batch"] = 1e3 * sorted(times)[len(times) // 2]
        rows.append(row)
    return pd.DataFrame(rows)


def record(path: Path | str = RECORD_PATH, *, use_cache: bool = True) -> dict[str, Any]:
    """Measure every part (through the sweep cache unless ``use_cache=False``) and write the
    record to ``path``; returns it. Cold, this takes tens of minutes on 2 cores."""
    config = Ch04Config()
    parts: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name, fn in (("group_size", group_size_sweep), ("side_by_side", side_by_side),
                     ("calibration", calibration_study)):
        start = time.perf_counter()
        parts[name] = fn(config, source="live", use_cache=use_cache,
                         progress=False).to_dict("records")
        seconds[name] = time.perf_counter() - start
    start = time.perf_counter()
    parts["tinyvit_reference"] = tinyvit_reference(source="live", compile=True).to_dict("records")
    seconds["tinyvit_reference"] = time.perf_counter() - start
    data = {"about": "chapter 4's recorded measurements (qtlib.experiments.ch04_ptq)",
            "command": RECORD_COMMAND, "config": asdict(config), "versions": versions(),
            "threads": torch.get_num_threads(),
            "recorded_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "wall_s": seconds, **parts}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(_no_nan(data), indent=1, allow_nan=False) + "\n")
    _read_record_text.cache_clear()
    return data


def _no_nan(value: Any) -> Any:
    """``value`` with every float NaN replaced by ``None`` (strict JSON)."""
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


def main(argv: list[str] | None = None) -> int:
    """``python -m qtlib.experiments.ch04_ptq record [--no-cache] [--path P]``."""
    parser = argparse.ArgumentParser(prog="python -m qtlib.experiments.ch04_ptq")
    parser.add_argument("command", choices=["record"])
    parser.add_argument("--no-cache", action="store_true", help="measure every point again")
    parser.add_argument("--path", default=str(RECORD_PATH))
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    data = record(args.path, use_cache=not args.no_cache)
    parts = ", ".join(f"{k} {v:.0f} s" for k, v in data["wall_s"].items())
    print(f"wrote {args.path}: {parts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
