"""The capstone chapter: ship MiniLM under budgets, and measure a shipped artifact.

The task: a semantic-search service on a small CPU embeds queries with MiniLM. The learner picks
a recipe from the course, builds an **artifact** and the grader measures it. The artifact is
plain data, so it crosses the grader's wire and a file without pickling anything::

    {"recipe": {"method": "dynamic_int8", ...},   # Recipe.to_dict(), plain JSON
     "state_dict": OrderedDict[str, Tensor]}      # the quantized model's tensors

:func:`rebuild` turns it back into a model the safe way: the recipe is re-applied (by name,
through the registry) to a *fresh* MiniLM that the caller loads itself; the artifact's tensors
must then have exactly the keys, shapes and dtypes of that model's state dict and are loaded
into it. No learner object is ever unpickled (:func:`load_artifact` uses
``torch.load(weights_only=True)``). :func:`faithfulness` compares every dequantized weight with
MiniLM's own (a smaller or different model cannot pass). :func:`measure_artifact` measures the
four budgets of :data:`BUDGETS` itself: serialized size, mean cosine of the embeddings to
float32 over ``qtlib.data.sentences()``, paraphrase retrieval over ``qtlib.data.paraphrase_pairs()``
(both directions, nearest other sentence by cosine) and the speed ratio to float32 at batch
1 x 128 tokens, measured alternated call by call in one run (``qtlib.eval.compare_latency``),
``SPEED_RUNS`` runs, the median of their ratios.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from qtlib import data, models
from qtlib.eval import compare_latency, fidelity, paraphrase_retrieval, serialized_size
from qtlib.methods import Recipe, apply, recipe_from_dict
from qtlib.utils.cache import RECORDED_DIR


@dataclass(frozen=True)
class Budgets:
    """What the service allows: size in MB (10**6 bytes), cosine, retrieval points, speed.

    ``max_retrieval_drop`` is in points (percentage points of paraphrase queries answered
    right). ``min_speedup`` is float32 time / quantized time at batch 1 x 128 tokens on
    ``speed_threads`` threads, timed in CPU time of the calling thread (``time.thread_time``):
    time spent preempted by other jobs does not count, so a loaded grading machine does not
    flip the verdict; int8 measured 1.6x to 2.1x this way at load 24, over the limit.
    """

    max_size_mb: float = 30.0
    min_cosine: float = 0.99
    max_retrieval_drop: float = 1.0
    min_speedup: float = 1.25
    speed_threads: int = 1


BUDGETS = Budgets()
SPEED_SHAPE = (1, 128)
SPEED_RUNS = 3
#: Largest relative error ||W_q - W|| / ||W|| of any dequantized weight matrix (linear or
#: embedding), and of any other float tensor (norms, biases), for an artifact to be faithful.
MAX_WEIGHT_ERROR = 0.5
MAX_OTHER_ERROR = 0.05


# --- the artifact -------------------------------------------------------------------------------
def make_artifact(recipe: Recipe, model: nn.Module) -> dict[str, Any]:
    """``{"recipe": recipe.to_dict(), "state_dict": model.state_dict()}`` (tensors detached)."""
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a Recipe, got {type(recipe).__name__}")
    state = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    return {"recipe": recipe.to_dict(), "state_dict": state}


def save_artifact(artifact: Mapping[str, Any], folder: str | Path) -> Path:
    """Write ``recipe.json`` and ``state_dict.pt`` into ``folder``; returns the folder."""
    recipe, state = check_artifact(artifact)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "recipe.json").write_text(json.dumps(recipe, indent=1, sort_keys=True))
    torch.save(state, folder / "state_dict.pt")
    return folder


def load_artifact(folder: str | Path) -> dict[str, Any]:
    """Read what :func:`save_artifact` wrote; tensors only (``weights_only=True``)."""
    folder = Path(folder)
    recipe = json.loads((folder / "recipe.json").read_text())
    state = torch.load(folder / "state_dict.pt", map_location="cpu", weights_only=True)
    return {"recipe": recipe, "state_dict": state}


def check_artifact(artifact: Any) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """``(recipe dict, state dict)`` of a well-formed artifact, else ValueError saying why."""
    if not isinstance(artifact, Mapping) or not {"recipe", "state_dict"} <= set(artifact):
        raise ValueError("an artifact is a dict with keys 'recipe' (Recipe.to_dict()) and "
                         "'state_dict' (the quantized model's state_dict())")
    recipe, state = artifact["recipe"], artifact["state_dict"]
    if not isinstance(recipe, Mapping):
        raise ValueError("artifact['recipe'] must be a dict such as DynamicInt8().to_dict()")
    if not isinstance(state, Mapping) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise ValueError("artifact['state_dict'] must map names to tensors (model.state_dict())")
    return dict(recipe), dict(state)


def artifact_key(artifact: Mapping[str, Any]) -> str:
    """SHA-256 of the recipe's JSON and every tensor's name, dtype, shape and bytes."""
    recipe, state = check_artifact(artifact)
    h = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode())
    for name in sorted(state):
        t = state[name].detach().contiguous().cpu()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def calibration_batches(model: nn.Module, batch_size: int = 32) -> list[dict[str, torch.Tensor]]:
    """The course sentences tokenized in batches (what static recipes calibrate on)."""
    texts = data.sentences()
    return [model.tokenize(texts[i:i + batch_size]) for i in range(0, len(texts), batch_size)]


def rebuild(artifact: Mapping[str, Any], fresh: nn.Module) -> nn.Module:
    """The artifact's model: its recipe re-applied to ``fresh`` (a MiniLM the caller loaded),
    then its tensors loaded. ValueError when the tensors do not match that model exactly."""
    recipe_dict, state = check_artifact(artifact)
    recipe = recipe_from_dict(recipe_dict)
    calibration = calibration_batches(fresh) if recipe.needs_calibration else None
    model, _ = apply(fresh, recipe, calibration)
    own = model.state_dict()
    missing, extra = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or extra:
        raise ValueError(f"the state dict does not fit MiniLM under {recipe.label}: "
                         f"{len(missing)} tensors missing (such as {missing[:2]}), "
                         f"{len(extra)} unexpected (such as {extra[:2]})")
    for name, ref in own.items():
        got = state[name]
        if got.dtype != ref.dtype or got.shape != ref.shape:
            raise ValueError(f"{name} is {got.dtype} {tuple(got.shape)}; {recipe.label} on "
                             f"MiniLM makes it {ref.dtype} {tuple(ref.shape)}")
        if got.is_floating_point() and not bool(torch.isfinite(got).all()):
            raise ValueError(f"{name} holds NaN or infinite values")
    model.load_state_dict(state, strict=True)
    return model.eval()


# --- faithfulness -------------------------------------------------------------------------------
def effective_weight(module: nn.Module) -> torch.Tensor | None:
    """The float weight a (quantized) linear or embedding module computes with, else None.

    float32 [out, in] for linears, [num_embeddings, dim] for embeddings.
    """
    if isinstance(module, nn.Linear | nn.Embedding):
        return module.weight.detach().float()
    for attr in ("dequantized_weight", "shared_weight"):
        fn = getattr(type(module), attr, None)
        if callable(fn) or isinstance(fn, property):
            value = getattr(module, attr)
            return (value() if callable(value) else value).detach().float()
    codes = getattr(module, "weight_int8", None)
    scale = getattr(module, "weight_scale", None)
    if isinstance(codes, torch.Tensor) and isinstance(scale, torch.Tensor):
        s = scale.float()
        return codes.float() * (s.reshape(-1, 1) if s.ndim == 1 else s)
    return None


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().float(), b.detach().float()
    return float((a - b).norm() / b.norm().clamp_min(1e-12))


def faithfulness(model: nn.Module, reference: nn.Module) -> dict[str, Any]:
    """How far ``model``'s weights are from ``reference``'s (MiniLM float32).

    Every linear/embedding module of ``reference`` must exist in ``model`` with an
    :func:`effective_weight` of the same shape; every other float tensor of ``reference``'s
    state dict (LayerNorm, biases, position embeddings' norms...) found under the same name in
    ``model`` is compared too. Returns ``{"faithful", "max_weight_error", "max_other_error",
    "worst", "problem"}`` (relative Frobenius errors).
    """
    ours = dict(model.named_modules())
    worst, max_w, problem = "", 0.0, None
    for name, ref_mod in reference.named_modules():
        if not isinstance(ref_mod, nn.Linear | nn.Embedding):
            continue
        mod = ours.get(name)
        w = effective_weight(mod) if mod is not None else None
        if w is None or w.shape != ref_mod.weight.shape:
            problem = f"{name} has no weight matching MiniLM's"
            max_w, worst = float("inf"), name
            break
        err = _rel(w, ref_mod.weight)
        if err > max_w:
            max_w, worst = err, name
    max_o = 0.0
    state = model.state_dict()
    skip = {f"{n}.weight" for n, m in reference.named_modules()
            if isinstance(m, nn.Linear | nn.Embedding)}
    for key, ref in reference.state_dict().items():
        if key in skip or key not in state or not ref.is_floating_point():
            continue
        got = state[key]
        if got.shape == ref.shape and got.is_floating_point() and bool(ref.detach().any()):
            max_o = max(max_o, _rel(got, ref))
    faithful = problem is None and max_w <= MAX_WEIGHT_ERROR and max_o <= MAX_OTHER_ERROR
    return {"faithful": faithful, "max_weight_error": max_w, "max_other_error": max_o,
            "worst": worst, "problem": problem}


# --- measurement --------------------------------------------------------------------------------
def speed_inputs(model: nn.Module) -> dict[str, torch.Tensor]:
    """One batch of ``SPEED_SHAPE`` (1 x 128) tokens: course sentences repeated, truncated."""
    batch, tokens = SPEED_SHAPE
    texts = [" ".join([t] * 12) for t in data.sentences()[:batch]]
    return model.tokenize(texts, max_length=tokens, pad_to=tokens)


def speed_ratio(reference: nn.Module, model: nn.Module, *, runs: int = SPEED_RUNS,
                threads: int = BUDGETS.speed_threads, budget_s: float = 1.5,
                clock: Any = time.thread_time) -> dict[str, Any]:
    """float32 time / ``model`` time at 1 x 128: ``runs`` alternated runs, median of ratios.

    Each run (``qtlib.eval.compare_latency``) times the two models call by call in rotating
    order for at least 10 rounds and ``budget_s`` seconds; the ratio of each run is the ratio of
    the two models' 10th-percentile times (the fast calls: on a machine shared with other jobs
    the slow calls measure the other jobs, not the model). ``clock`` defaults to the CPU time
    of this thread, which with ``threads=1`` is the whole forward's work and leaves out the
    time other processes held the core. Returns ``{"speedup", "runs":
    [ratios], "fp32_ms", "model_ms"}`` (times in ms, of the median run).
    """
    inputs = speed_inputs(reference)
    ratios, fp_ms, q_ms = [], [], []
    for _ in range(runs):
        cmp = compare_latency({"fp32": reference, "model": model}, inputs, threads=threads,
                              warmup=2, budget_s=budget_s, clock=clock)
        fp_ms.append(cmp.records["fp32"].p10_ms)
        q_ms.append(cmp.records["model"].p10_ms)
        ratios.append(fp_ms[-1] / q_ms[-1])
    mid = sorted(range(runs), key=lambda i: ratios[i])[runs // 2]
    return {"speedup": ratios[mid], "runs": ratios, "fp32_ms": fp_ms[mid], "model_ms": q_ms[mid]}


_EMBEDDINGS: dict[int, tuple[nn.Module, torch.Tensor]] = {}


def reference_embeddings(reference: nn.Module) -> torch.Tensor:
    """float32 [N, 384] embeddings of the course sentences by ``reference``, once per model."""
    held = _EMBEDDINGS.get(id(reference))
    if held is None or held[0] is not reference:
        held = (reference, reference.encode(data.sentences(), progress=False))
        _EMBEDDINGS[id(reference)] = held
    return held[1]


def quality(reference: nn.Module, model: nn.Module) -> dict[str, float]:
    """Mean/min cosine to ``reference`` over the course sentences and paraphrase retrieval
    (fraction, ``model`` and ``reference``) over their pairs."""
    texts, pairs = data.sentences(), data.paraphrase_pairs()
    ref = reference_embeddings(reference)
    emb = model.encode(texts, progress=False)
    fid = fidelity(ref, emb)
    return {"cosine_mean": fid["cosine_mean"], "cosine_min": fid["cosine_min"],
            "retrieval": paraphrase_retrieval(emb, pairs),
            "retrieval_fp32": paraphrase_retrieval(ref, pairs)}


def verdicts(measured: Mapping[str, Any], budgets: Budgets = BUDGETS) -> dict[str, bool]:
    """Budget name -> met, from :func:`measure_artifact`'s numbers; nothing is met by an
    artifact that is not faithful."""
    ok = bool(measured.get("faithful"))
    drop = 100.0 * (measured["retrieval_fp32"] - measured["retrieval"]) if ok else float("inf")
    return {
        "faithful": ok,
        "size": ok and measured["size_mb"] <= budgets.max_size_mb,
        "fidelity": ok and measured["cosine_mean"] >= budgets.min_cosine,
        "retrieval": ok and drop <= budgets.max_retrieval_drop,
        "speed": ok and measured["speedup"] >= budgets.min_speedup,
    }


_MEASURED: dict[str, dict[str, Any]] = {}
_REFERENCE: list[nn.Module] = []


def reference_model() -> nn.Module:
    """This process's float32 MiniLM (loaded once; never handed to learner code)."""
    if not _REFERENCE:
        _REFERENCE.append(models.load("minilm").eval())
    return _REFERENCE[0]


def measure_artifact(artifact: Mapping[str, Any], *, speed: bool = True,
                     budgets: Budgets = BUDGETS) -> dict[str, Any]:
    """Rebuild and measure an artifact with this process's own models and clock.

    Returns ``{"faithful", "problem", "max_weight_error", "size_mb", "cosine_mean",
    "cosine_min", "retrieval", "retrieval_fp32", "speedup", "speed_runs", "met": {budget:
    bool}}``; an artifact that does not rebuild is reported (``problem``), not raised, and one
    that is not faithful keeps the default quality and speed (it meets no budget). Results
    are memoized per :func:`artifact_key` in this process, so several test cells measuring the
    same artifact measure it once.
    """
    key = artifact_key(artifact) + ("|speed" if speed else "")
    if key in _MEASURED:
        return _MEASURED[key]
    reference = reference_model()
    out: dict[str, Any] = {"faithful": False, "problem": None, "size_mb": float("inf"),
                           "cosine_mean": 0.0, "cosine_min": 0.0, "retrieval": 0.0,
                           "retrieval_fp32": 1.0, "speedup": 0.0, "speed_runs": []}
    try:
        model = rebuild(artifact, models.load("minilm"))
    except (ValueError, TypeError, RuntimeError) as err:
        out["problem"] = " ".join(str(err).split())[:300]
    else:
        faith = faithfulness(model, reference)
        out.update(faithful=faith["faithful"], problem=faith["problem"],
                   max_weight_error=faith["max_weight_error"],
                   max_other_error=faith["max_other_error"])
        if not faith["faithful"] and out["problem"] is None:
            out["problem"] = (f"{faith['worst']}: weights {faith['max_weight_error']:.2f} "
                              "(relative error) away from MiniLM's")
        out["size_mb"] = serialized_size(model) / 1e6
        if faith["faithful"]:  # an unfaithful artifact meets nothing: do not spend time on it
            out.update(quality(reference, model))
        if speed and faith["faithful"]:
            s = speed_ratio(reference, model, threads=budgets.speed_threads)
            out.update(speedup=s["speedup"], speed_runs=s["runs"])
    out["met"] = verdicts(out, budgets)
    _MEASURED[key] = out
    return out


def miss_message(measured: Mapping[str, Any], budget: str) -> str:
    """What a grader says when ``measured`` (from :func:`measure_artifact`) misses ``budget``
    (``"size"``, ``"fidelity"``, ``"retrieval"`` or ``"speed"``): the figure measured, or, for an
    artifact that is not faithful, that nothing was measured and why."""
    if budget == "size":
        return f"measures {measured['size_mb']:.1f} MB rebuilt"
    if not measured["faithful"]:
        return (f"was not measured: it is not a faithful quantization of MiniLM "
                f"({measured['problem']})")
    if budget == "fidelity":
        return f"has a mean cosine of {measured['cosine_mean']:.4f} to float32"
    if budget == "retrieval":
        return (f"answers {measured['retrieval']:.1%} of the paraphrase queries (float32: "
                f"{measured['retrieval_fp32']:.1%})")
    if budget == "speed":
        return f"is {measured['speedup']:.2f}x float32 at 1 x 128 on one thread"
    raise ValueError(f"budget must be 'size', 'fidelity', 'retrieval' or 'speed', got {budget!r}")


def budgets_table(budgets: Budgets = BUDGETS) -> list[dict[str, Any]]:
    """The budgets as rows (``budget``, ``limit``, ``unit``) for the notebook and the figure."""
    b = asdict(budgets)
    return [
        {"budget": "size", "limit": b["max_size_mb"], "unit": "MB, at most"},
        {"budget": "fidelity", "limit": b["min_cosine"], "unit": "mean cosine, at least"},
        {"budget": "retrieval", "limit": b["max_retrieval_drop"],
         "unit": "points below float32, at most"},
        {"budget": "speed", "limit": b["min_speedup"],
         "unit": f"x float32 at 1x128 on {b['speed_threads']} threads, at least"},
    ]


# --- the explorer of the learner's candidates ---------------------------------------------------
#: Explorer axis -> (column of :func:`candidate_row`, budget (limit, kind, label) from BUDGETS).
AXES: dict[str, tuple[str, tuple[float, str, str]]] = {
    "size": ("minilm_size_mb", (BUDGETS.max_size_mb, "max", "size")),
    "fidelity": ("minilm_cos_mean", (BUDGETS.min_cosine, "min", "mean cosine")),
    "retrieval": ("retrieval_drop", (BUDGETS.max_retrieval_drop, "max", "retrieval drop")),
    "speed": ("minilm_speedup", (BUDGETS.min_speedup, "min", "speedup")),
}


def candidate_row(label: str, measured: Mapping[str, Any]) -> dict[str, Any]:
    """One explorer row from :func:`measure_artifact`'s numbers (plain floats)."""
    return {"label": label, "minilm_size_mb": float(measured["size_mb"]),
            "minilm_cos_mean": float(measured["cosine_mean"]),
            "retrieval_drop": 100.0 * float(measured["retrieval_fp32"] - measured["retrieval"]),
            "minilm_speedup": float(measured["speedup"]),
            "meets_all": all(verdicts(measured).values())}


def candidates_view(rows: list[Mapping[str, Any]], x: str = "size", y: str = "fidelity",
                    highlight: str | None = None) -> tuple[bytes, str]:
    """The explorer's callback: PNG bytes and text of the candidates, ``y`` against ``x``
    (names of :data:`AXES`), Pareto front dashed, both budgets dotted. Plain and fast: it plots
    numbers already measured (no model runs)."""
    import pandas as pd

    from qtlib.plots import tradeoff_scatter
    from qtlib.plots._common import figure_png
    from qtlib.plots.budgets import with_budgets

    for name in (x, y):
        if name not in AXES:
            raise ValueError(f"axis must be one of {sorted(AXES)}, got {name!r}")
    if not rows:
        raise ValueError("no candidates yet: measure one with measure_artifact first")
    table = pd.DataFrame(list(rows))
    (xc, xb), (yc, yb) = AXES[x], AXES[y]
    plot = tradeoff_scatter(table, x=xc, y=yc, x_sense="min" if xb[1] == "max" else "max",
                            y_sense="min" if yb[1] == "max" else "max", highlight=highlight,
                            title=f"Your candidates: {y} vs {x}")
    plot = with_budgets(plot, x=xb, y=yb)
    ok = [r["label"] for r in rows if r.get("meets_all")]
    text = plot.description + (f" Meeting every budget: {', '.join(ok)}." if ok
                               else " No candidate meets every budget yet.")
    return figure_png(plot.figure), text


def candidates_explorer(rows: list[Mapping[str, Any]], x: str = "size", y: str = "fidelity",
                        highlight: str | None = None):
    """The ipywidgets explorer of ``rows`` (:func:`candidate_row`s): both axes and the ringed
    candidate are dropdowns, each change calls :func:`candidates_view` (ch07)."""
    from qtlib.widgets.candidates import candidates_widget

    rows = [dict(r) for r in rows]
    return candidates_widget(lambda a, b, h: candidates_view(rows, a, b, h), list(AXES),
                             [r["label"] for r in rows], x=x, y=y, highlight=highlight)


# --- the course's candidates, recorded ----------------------------------------------------------
#: Where :func:`record` writes the course's measured candidates (shipped with qtlib).
RECORD_PATH = RECORDED_DIR / "ch07_candidates.json"


def course_candidates() -> dict[str, Recipe]:
    """The recipes of the course the capstone compares (label -> recipe), in table order."""
    from qtlib.methods import DynamicInt8, Float32, StaticInt8, WeightOnly, WeightSharing

    ffn_out = ("bert.encoder.layer.?.output.dense",)
    return {
        "float32": Float32(),
        "dynamic int8": DynamicInt8(),
        "dynamic int8, float embeddings": DynamicInt8(embeddings=False),
        "dynamic int8, FFN outputs float": DynamicInt8(exclude=ffn_out),
        "static int8 minmax": StaticInt8(embeddings=True),
        "static int8 percentile": StaticInt8(observer="percentile", embeddings=True),
        "weight-only int8": WeightOnly(num_bits=8, group_size=None),
        "weight-only int4 g32": WeightOnly(num_bits=4, group_size=32),
        "k-means k16": WeightSharing(num_clusters=16),
        "k-means k4": WeightSharing(num_clusters=4),
    }


def build_artifact(recipe: Recipe, fresh: nn.Module | None = None) -> dict[str, Any]:
    """``recipe`` applied to a fresh MiniLM (calibrated on the course sentences when it needs
    it), as an artifact (:func:`make_artifact`)."""
    fresh = models.load("minilm").eval() if fresh is None else fresh
    calibration = calibration_batches(fresh) if recipe.needs_calibration else None
    model, _ = apply(fresh, recipe, calibration)
    return make_artifact(recipe, model)


def record(path: str | Path = RECORD_PATH, labels: list[str] | None = None) -> dict[str, Any]:
    """Measure every course candidate with :func:`measure_artifact` and write the JSON record:
    ``{"torch", "threads", "budgets", "speed", "candidates": [{"label", "recipe", measured...}]}``.
    Slow (about a minute per candidate on a busy 2-core machine): run it once, ship the file."""
    import platform

    torch.manual_seed(0)
    rows = []
    for label, recipe in course_candidates().items():
        if labels is not None and label not in labels:
            continue
        start = time.perf_counter()
        m = measure_artifact(build_artifact(recipe))
        row = {"label": label, "recipe": recipe.to_dict(),
               **{k: v for k, v in m.items() if k not in ("met", "problem")},
               "met": m["met"], "seconds": round(time.perf_counter() - start, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = {"torch": torch.__version__, "machine": platform.machine(),
           "load_average": [round(x, 1) for x in os.getloadavg()],
           "budgets": asdict(BUDGETS), "speed": {"shape": list(SPEED_SHAPE), "runs": SPEED_RUNS,
                                                  "clock": "time.thread_time", "statistic": "p10"},
           "candidates": rows}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    return out


def recorded(path: str | Path = RECORD_PATH) -> dict[str, Any]:
    """The record :func:`record` wrote (what the chapter's table and explorer start from)."""
    return json.loads(Path(path).read_text())


if __name__ == "__main__":  # python -m qtlib.experiments.ch07_capstone record
    import sys

    if sys.argv[1:2] != ["record"]:
        raise SystemExit("usage: python -m qtlib.experiments.ch07_capstone record")
    record()
