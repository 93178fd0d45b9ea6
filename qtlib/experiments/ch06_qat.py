"""ch06's experiment: TinyViT at low bits, post-training vs quantization-aware training vs LSQ.

A setting ``"W3A4"`` is 3-bit symmetric per-channel weights and 4-bit symmetric per-token
activations (narrow range) in every ``nn.Linear`` except :data:`KEEP_FLOAT` (the patch embedding
and the classifier stay float, as is usual for the first and last layers). A method is
``"ptq"`` (fake-quantize the float model, no training), ``"qat"`` (:func:`qtlib.methods.prepare_qat`
with min-max weight scales, then :func:`qtlib.methods.finetune`) or ``"lsq"`` (the same with
learned scales, ``scales="lsq"``). :func:`run_sweep` measures each (setting, method) once and
keeps the record as JSON under ``cache_dir()/sweeps/ch06/`` (keyed by the point, the
:class:`QATConfig` and the qtlib / torch versions, like :func:`qtlib.experiments.sweep.run_cached`);
a later call reads it back in milliseconds, training curve included.

Training is deterministic: one thread, fixed seeds, a seeded data order and augmentation (shifts
of one pixel), AdamW with a cosine learning rate; no early stopping on test data.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from qtlib.data import digits
from qtlib.eval.quality import accuracy
from qtlib.experiments.sweep import versions
from qtlib.methods import convert_qat, finetune, prepare_qat
from qtlib.models import load
from qtlib.utils.cache import RECORDED_DIR, json_cache_path, read_json, write_json_atomic
from qtlib.utils.progress import progress_bar

NAMESPACE = "ch06"
MODEL = "tinyvit-digits"
SETTINGS = ("W8A8", "W4A8", "W4A4", "W3A4", "W2A8")
METHODS = ("ptq", "qat", "lsq")
KEEP_FLOAT = ("patch_embed", "head")
TRAIN_THREADS = 1
_SETTING = re.compile(r"^W([2-8])A([2-8])$")


@dataclass(frozen=True)
class QATConfig:
    """How the sweep trains; every field is part of the cache key."""

    epochs: int = 6
    lr: float = 5e-4
    batch_size: int = 64
    seed: int = 0
    keep_float: tuple[str, ...] = KEEP_FLOAT
    #: LSQ's scales train at this fraction of ``lr`` (Adam's steps do not shrink with LSQ's
    #: gradient scale g, and a scale is about a hundred times smaller than its weights).
    lsq_scale_lr: float = 0.01
    #: Weight of the float model's predictions in the training target (distillation): the
    #: target is ``distill * softmax(float logits) + (1 - distill) * one-hot(label)``; 1.0:
    #: cross-entropy to the float model's probabilities, i.e. KL to the float logits + a constant.
    distill: float = 1.0


def _key_config(config: QATConfig, method: str) -> dict[str, Any]:
    """The config fields a point depends on (``lsq_scale_lr`` only for LSQ, ``distill`` only
    when a trained point uses it)."""
    fields = dataclasses.asdict(config)
    if method != "lsq":
        fields.pop("lsq_scale_lr")
    if not config.distill or method == "ptq":
        fields.pop("distill")
    return fields


def parse_setting(setting: str) -> tuple[int, int]:
    """``"W3A4"`` -> ``(3, 4)``: weight bits, activation bits (each 2 to 8)."""
    match = _SETTING.match(setting) if isinstance(setting, str) else None
    if match is None:
        raise ValueError(f"setting must look like 'W3A4' (bits 2..8), got {setting!r}")
    return int(match.group(1)), int(match.group(2))


@contextmanager
def _threads(n: int) -> Iterator[None]:
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def train_batches(epochs: int, batch_size: int = 64, seed: int = 0
                  ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Shuffled ``digits("train")`` batches for ``epochs`` passes, each image shifted by -1, 0
    or +1 pixel per direction (seeded): ``[(images [B, 1, 8, 8], labels [B]), ...]``."""
    gen = torch.Generator().manual_seed(seed)
    x, y = digits("train").tensors
    out = []
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), batch_size):
            idx = order[i:i + batch_size]
            padded = F.pad(x[idx], (1, 1, 1, 1))
            dy, dx = torch.randint(0, 3, (2, len(idx)), generator=gen)
            shifted = torch.stack([padded[j, :, dy[j]:dy[j] + 8, dx[j]:dx[j] + 8]
                                   for j in range(len(idx))])
            out.append((shifted, y[idx]))
    return out


def soft_targets(batches: list[tuple[torch.Tensor, torch.Tensor]], teacher: nn.Module,
                 weight: float) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Distillation targets: each ``(images, labels [B])`` becomes ``(images, probs [B, C])`` with
    ``probs = weight * softmax(teacher(images)) + (1 - weight) * one_hot(labels)`` (float32, rows
    sum to 1; ``F.cross_entropy`` takes such probabilities as targets)."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight!r}")
    teacher.eval()
    out = []
    with torch.no_grad():
        for images, labels in batches:
            probs = teacher(images).softmax(-1)
            hard = F.one_hot(labels, probs.shape[-1]).float()
            out.append((images, weight * probs + (1.0 - weight) * hard))
    return out


def prepare(setting: str, method: str, model: nn.Module | None = None,
            config: QATConfig | None = None) -> nn.Module:
    """The fake-quant TinyViT of ``setting`` (``"lsq"``: learned scales), untrained."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    w_bits, a_bits = parse_setting(setting)
    config = config or QATConfig()
    model = load(MODEL) if model is None else model
    prepared, _ = prepare_qat(model, num_bits=w_bits, act_bits=a_bits,
                              scales="lsq" if method == "lsq" else "minmax",
                              exclude=config.keep_float)
    return prepared


class _FirstSteps:
    """The first batches of a run, reporting the full run's length ``total`` so that
    :func:`qtlib.methods.finetune`'s cosine schedule is the full run's."""

    def __init__(self, batches: list[Any], total: int) -> None:
        self.batches, self.total = batches, total

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[Any]:
        return iter(self.batches)


def train(setting: str, method: str, config: QATConfig | None = None,
          progress: bool | None = None, steps: int | None = None
          ) -> tuple[nn.Module, list[float], float]:
    """``(fake-quant model in eval mode, loss per step, seconds)`` for one point of the sweep
    (``"ptq"``: no training, no losses). ``steps``: stop after the first ``steps`` steps of
    the same run (same data, same learning rates), e.g. to re-measure the start of a recorded
    curve."""
    config = config or QATConfig()
    model = prepare(setting, method, config=config)
    if method == "ptq":
        return model.eval(), [], 0.0
    batches: Any = train_batches(config.epochs, config.batch_size, config.seed)
    total = len(batches)
    if steps is not None:
        batches = batches[:steps]
    if config.distill:
        batches = soft_targets(batches, load(MODEL), config.distill)
    if len(batches) < total:
        batches = _FirstSteps(batches, total)
    with _threads(TRAIN_THREADS):
        start = time.perf_counter()
        multipliers = {"weight_scale": config.lsq_scale_lr} if method == "lsq" else None
        losses = finetune(model, batches, F.cross_entropy, lr=config.lr, seed=config.seed,
                          schedule="cosine", lr_multipliers=multipliers, progress=progress)
        seconds = time.perf_counter() - start
    return model, losses, seconds


def converted_agreement(model: nn.Module) -> float:
    """Fraction of ``digits("test")`` on which the integer model (:func:`convert_qat`) predicts
    the fake-quant ``model``'s class."""
    converted, _ = convert_qat(model)
    images = digits("test").tensors[0]
    with torch.no_grad():
        return float((model(images).argmax(1) == converted(images).argmax(1)).float().mean())


def measure(setting: str, method: str, config: QATConfig) -> dict[str, Any]:
    """One record: test accuracy of the fake-quant and converted models, training curve, time."""
    model, losses, seconds = train(setting, method, config, progress=False)
    return {"setting": setting, "method": method, "accuracy": accuracy(model, digits("test")),
            "agreement": converted_agreement(model), "train_s": round(seconds, 2),
            "steps": len(losses), "losses": [round(v, 5) for v in losses]}


def run_sweep(settings: Iterable[str] = SETTINGS, methods: Iterable[str] = METHODS,
              config: QATConfig | None = None, *, use_cache: bool = True,
              progress: bool | None = None) -> pd.DataFrame:
    """One row per (setting, method): ``setting, w_bits, a_bits, method, accuracy`` (test top-1
    of the fake-quant model), ``agreement`` (converted vs fake-quant predictions), ``train_s``,
    ``steps``, ``losses`` (list per step), ``cached``; plus a ``float32`` row (accuracy of the
    float model). Measured points are read from the cache unless ``use_cache=False``."""
    config = config or QATConfig()
    points = [(s, m) for s in settings for m in methods]
    for s, m in points:
        parse_setting(s)
        if m not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {m!r}")
    rows = []
    for setting, method in progress_bar(points, total=len(points), desc="ch06 sweep",
                                        progress=progress):
        key = {"setting": setting, "method": method, "config": _key_config(config, method),
               "versions": versions()}
        path = json_cache_path(f"sweeps/{NAMESPACE}", key)
        record = read_json(path) if use_cache else None
        cached = record is not None
        if record is None:
            record = {**key, "result": measure(setting, method, config)}
            write_json_atomic(path, record)
        rows.append({**record["result"], "cached": cached})
    table = pd.DataFrame(rows)
    bits = table["setting"].map(parse_setting)
    table.insert(1, "w_bits", [b[0] for b in bits])
    table.insert(2, "a_bits", [b[1] for b in bits])
    return table


def float_accuracy() -> float:
    """Test top-1 accuracy of the float32 TinyViT."""
    return accuracy(load(MODEL), digits("test"))


def ptq_loss_points(table: pd.DataFrame, reference: float) -> pd.Series:
    """Accuracy points lost by PTQ per setting (``100 * (reference - accuracy)``)."""
    ptq = table[table["method"] == "ptq"].set_index("setting")["accuracy"]
    return (100 * (reference - ptq)).rename("ptq_loss_points")


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per setting (rows) and method (columns), in percent."""
    pivot = table.pivot(index="setting", columns="method", values="accuracy") * 100
    order = [s for s in SETTINGS if s in pivot.index] + [s for s in pivot.index
                                                         if s not in SETTINGS]
    return pivot.reindex(order)[[m for m in METHODS if m in pivot.columns]].round(1)


# --- the record shipped with the package -------------------------------------------------------

#: The recorded sweep (written by :func:`record`, read by :func:`load_record`).
RECORD = RECORDED_DIR / "ch06_qat.json"


def record(config: QATConfig | None = None, path: Path | str = RECORD,
           progress: bool | None = None) -> dict[str, Any]:
    """Run (or read from the cache) the whole sweep and write it as the chapter's record: the
    config, seeds, thread count, torch / qtlib versions, the float32 accuracy and one entry per
    (setting, method) with its accuracy, agreement, training seconds and loss curve.
    ``python -m qtlib.experiments.ch06_qat record`` calls it."""
    config = config or QATConfig()
    table = run_sweep(SETTINGS, METHODS, config, progress=progress)
    data = {"experiment": "ch06_qat", "model": MODEL, "config": dataclasses.asdict(config),
            "train_threads": TRAIN_THREADS, "versions": versions(),
            "float_accuracy": float_accuracy(),
            "points": table.drop(columns=["cached", "w_bits", "a_bits"]).to_dict("records")}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return data


def load_record(path: Path | str = RECORD) -> dict[str, Any]:
    """The recorded sweep as a dict (see :func:`record`); ``"config"`` as a :class:`QATConfig`."""
    data = json.loads(Path(path).read_text())
    config = {**data["config"], "keep_float": tuple(data["config"]["keep_float"])}
    return {**data, "config": QATConfig(**config)}


def recorded_table(data: dict[str, Any] | None = None) -> pd.DataFrame:
    """The record's points as :func:`run_sweep`'s table (``cached`` is True: nothing ran)."""
    data = load_record() if data is None else data
    table = pd.DataFrame(data["points"]).assign(cached=True)
    bits = table["setting"].map(parse_setting)
    table.insert(1, "w_bits", [b[0] for b in bits])
    table.insert(2, "a_bits", [b[1] for b in bits])
    return table


def recheck(data: dict[str, Any], setting: str, method: str, steps: int | None = None
            ) -> dict[str, Any]:
    """Re-measure one recorded point live. ``"ptq"``: the fake-quant model's accuracy and the
    converted model's agreement (about a second); a trained method: the first ``steps`` losses of
    its curve (same data, seeds and learning rates). Returns ``{"recorded": ..., "live": ...,
    "max_abs_diff": float}`` (accuracy as a fraction, losses per step)."""
    point = next((p for p in data["points"] if p["setting"] == setting
                  and p["method"] == method), None)
    if point is None:
        raise ValueError(f"the record has no point ({setting!r}, {method!r})")
    if method == "ptq":
        model, _, _ = train(setting, "ptq", data["config"])
        live = [accuracy(model, digits("test")), converted_agreement(model)]
        recorded = [point["accuracy"], point["agreement"]]
    else:
        n_steps = steps or 5
        _, live, _ = train(setting, method, data["config"], progress=False,
                           steps=n_steps)
        recorded = point["losses"][:n_steps]
    diff = max(abs(a - b) for a, b in zip(live, recorded, strict=True))
    return {"recorded": recorded, "live": live, "max_abs_diff": diff}


if __name__ == "__main__":  # python -m qtlib.experiments.ch06_qat record
    import sys

    if sys.argv[1:] != ["record"]:
        raise SystemExit("usage: python -m qtlib.experiments.ch06_qat record")
    written = record(progress=True)
    print(summary(recorded_table(written)))
