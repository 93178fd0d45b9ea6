"""Chapter 5's maintained path: torchao's ``quantize_`` beside torch.ao's deprecated call (ch05).

``torch.ao.quantization.quantize_dynamic`` still runs on torch 2.13 but is deprecated; the
maintained way is ``torchao.quantization.quantize_(model, config)``, which swaps each
``nn.Linear`` weight for a quantized tensor subclass in place. In eager mode every call of such a
weight dispatches through Python (quantize the activation, call the int8 kernel, dequantize), so
it is *slower* than float32 on a CPU; ``torch.compile`` traces through the subclass and fuses
that work into the graph, which is where torchao's speed comes from.

:func:`run_torchao_comparison` measures MiniLM (batch ``1 x 128`` tokens, 2 threads) in one
alternated run: float32, torch.ao dynamic int8, torchao int8 dynamic-activation/int8-weight
eager, and the same compiled; plus the mean cosine of each to float32 on 64 course sentences and
the seconds each preparation took (``torch.compile``'s first call included). The record is
cached as JSON under :func:`qtlib.utils.cache.cache_dir` (``ch05_torchao``): compiling takes
from tens of seconds to minutes on 2 cores, so only the first run pays it.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import torch

from qtlib import data, models
from qtlib.eval import compare_latency, fidelity, model_outputs
from qtlib.experiments.sweep import versions
from qtlib.reference import torch_ao_quantize_dynamic
from qtlib.utils.cache import json_cache_path, read_cached, write_json_atomic

NAMESPACE = "ch05_torchao"
SETTINGS = {"batch": 1, "seq_len": 128, "threads": 2, "budget_s": 2.0, "sentences": 64,
            "compile": True}


def _torchao_int8(model: torch.nn.Module) -> torch.nn.Module:
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

    new = copy.deepcopy(model).eval()
    quantize_(new, Int8DynamicActivationInt8WeightConfig())
    return new


def measure(settings: dict[str, Any] = SETTINGS) -> dict[str, Any]:
    """The comparison described in the module docstring, measured now (no cache). Returns plain
    data: ``rows`` (one dict per variant: ``variant``, ``median_ms``, ``speedup``,
    ``cos_mean``, ``prepare_s``) and ``errors`` (variant -> message, for a variant that failed)."""
    torch.manual_seed(0)
    torch.set_num_threads(settings["threads"])
    minilm = models.load("minilm")
    sentences = data.sentences()[:settings["sentences"]]
    batches = [minilm.tokenize(sentences[i:i + 32]) for i in range(0, len(sentences), 32)]
    inputs = minilm.tokenize(sentences[:settings["batch"]], pad_to=settings["seq_len"])
    reference = model_outputs(minilm, batches)
    variants: dict[str, torch.nn.Module] = {"float32": minilm}
    prepare_s: dict[str, float] = {"float32": 0.0}
    errors: dict[str, str] = {}
    builders = {"torch.ao quantize_dynamic (deprecated)": lambda: torch_ao_quantize_dynamic(minilm),
                "torchao quantize_ int8, eager": lambda: _torchao_int8(minilm)}
    if settings["compile"]:
        builders["torchao quantize_ int8 + torch.compile"] = lambda: torch.compile(
            _torchao_int8(minilm))
    for name, build in builders.items():
        start = time.perf_counter()
        try:
            model = build()
            with torch.inference_mode():
                model(**inputs)                           # compiles, for the compiled variant
        except Exception as error:  # a variant that fails is reported, not fatal
            errors[name] = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
            continue
        prepare_s[name] = time.perf_counter() - start
        variants[name] = model
    timing = compare_latency(variants, inputs, threads=settings["threads"],
                             budget_s=settings["budget_s"] * len(variants) / 2)
    rows = []
    for name, model in variants.items():
        with torch.inference_mode():
            out = torch.cat([model(**b) for b in batches])
        rows.append({"variant": name, "median_ms": timing.records[name].median_ms,
                     "speedup": timing.speedups[name],
                     "cos_mean": fidelity(reference, out)["cosine_mean"],
                     "prepare_s": prepare_s[name]})
    return {"rows": rows, "errors": errors}


def run_torchao_comparison(*, use_cache: bool = True,
                           settings: dict[str, Any] = SETTINGS) -> dict[str, Any]:
    """:func:`measure`, cached by settings and library versions (``cached`` and ``recorded``
    say where the figures came from: :func:`qtlib.utils.cache.read_cached`)."""
    key = {"settings": settings, "versions": versions()}
    path = json_cache_path(NAMESPACE, key)
    hit, source = read_cached(path) if use_cache else (None, None)
    if hit is not None:
        return {**hit["result"], "cached": True, "recorded": source == "recorded"}
    result = measure(settings)
    write_json_atomic(path, {**key, "result": result})
    return {**result, "cached": False, "recorded": False}
