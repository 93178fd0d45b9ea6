"""Tasks bundle a model family's data and metrics: ``evaluate(model, task="digits")`` -> Result.

- ``"digits"`` (TinyViT): top-1 accuracy on ``qtlib.data.digits("test")``; latency of one image.
- ``"tinygpt"`` (TinyGPT): perplexity and bits per byte on the corpus test split
  (``qtlib.data.corpus_bytes("test")``, non-overlapping 64-byte windows); latency of 1 x 64 bytes.
- ``"minilm"`` (MiniLM): fidelity of the sentence embeddings of ``qtlib.data.sentences()``
  against the float model (cosine mean/min, SQNR dB, nearest-neighbour agreement), paraphrase
  retrieval; latency of 1 sentence x 128 tokens.
Every task also records ``size_bytes`` (serialized state dict), ``param_bytes`` (stored tensors)
and the latency distribution (``median_ms``, ``p10_ms``, ``p90_ms``) measured with
``measure_latency``. This module is the one place where ``qtlib.eval`` reaches into the zoo
(``qtlib.data``/``qtlib.models``), and only inside the task functions, when called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from qtlib.eval.latency import measure_latency
from qtlib.eval.memory import serialized_size, total_bytes
from qtlib.eval.quality import (
    accuracy,
    fidelity,
    language_model_loss,
    model_outputs,
    neighbour_agreement,
    paraphrase_retrieval,
)
from qtlib.eval.results import Result
from qtlib.utils.calling import require_eval_mode
from qtlib.utils.system import environment


def _size_and_latency(model: nn.Module, inputs: Any, latency: bool, budget_s: float,
                      threads: int | None) -> dict[str, float]:
    out = {"size_bytes": serialized_size(model), "param_bytes": total_bytes(model)}
    if latency:
        rec = measure_latency(model, inputs, threads=threads, budget_s=budget_s)
        out.update(median_ms=rec.median_ms, p10_ms=rec.p10_ms, p90_ms=rec.p90_ms,
                   latency_threads=rec.threads)
    return out


def _digits(model: nn.Module, *, latency: bool, budget_s: float, threads: int | None,
            progress: bool | None, reference: nn.Module | None) -> dict[str, float]:
    from qtlib.data import digits

    test = digits("test")
    metrics = {"accuracy": accuracy(model, test, progress=progress)}
    metrics.update(_size_and_latency(model, test.tensors[0][:1], latency, budget_s, threads))
    return metrics


def _tinygpt(model: nn.Module, *, latency: bool, budget_s: float, threads: int | None,
             progress: bool | None, reference: nn.Module | None) -> dict[str, float]:
    from qtlib.data import corpus_bytes

    tokens = corpus_bytes("test")
    lm = language_model_loss(model, tokens, context_length=64, progress=progress)
    metrics = {"perplexity": lm["perplexity"], "bits_per_byte": lm["bits_per_token"]}
    metrics.update(_size_and_latency(model, tokens[:64].unsqueeze(0), latency, budget_s, threads))
    return metrics


def _minilm(model: nn.Module, *, latency: bool, budget_s: float, threads: int | None,
            progress: bool | None, reference: nn.Module | None) -> dict[str, float]:
    from qtlib.data import paraphrase_pairs, sentences
    from qtlib.models import load

    reference = load("minilm") if reference is None else reference
    require_eval_mode(reference, "reference")
    texts = sentences()
    batches = [reference.tokenize(texts[i:i + 32]) for i in range(0, len(texts), 32)]
    ref = model_outputs(reference, batches, name="reference", progress=progress)
    cand = model_outputs(model, batches, progress=progress)
    fid = fidelity(ref, cand)
    metrics = {"cosine_mean": fid["cosine_mean"], "cosine_min": fid["cosine_min"],
               "sqnr_db": fid["sqnr_db"], "neighbour_agreement": neighbour_agreement(ref, cand),
               "paraphrase_retrieval": paraphrase_retrieval(cand, paraphrase_pairs())}
    one = reference.tokenize(texts[:1], pad_to=128)
    metrics.update(_size_and_latency(model, one, latency, budget_s, threads))
    return metrics


TASKS: dict[str, Callable[..., dict[str, float]]] = {
    "digits": _digits, "tinygpt": _tinygpt, "minilm": _minilm}


def evaluate(model: nn.Module, task: str = "digits", *, method: str = "float",
             settings: dict[str, Any] | None = None, reference: nn.Module | None = None,
             latency: bool = True, latency_budget_s: float = 1.0, threads: int | None = None,
             progress: bool | None = None) -> Result:
    """Measure ``model`` on ``task`` (see the module docstring) and return a :class:`Result`.

    ``method`` and ``settings`` describe how the model was made (they label the record).
    ``reference`` is the float model for fidelity (``"minilm"`` only; loaded when None).
    ``latency=False`` skips timing (quality and size only); ``threads`` sets the thread count
    for timing (default: torch's current one).
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    require_eval_mode(model)
    metrics = TASKS[task](model, latency=latency, budget_s=latency_budget_s, threads=threads,
                          progress=progress, reference=reference)
    return Result(method=method, settings=dict(settings or {}), metrics=metrics,
                  env=environment(), task=task)
