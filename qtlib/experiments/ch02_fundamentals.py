"""Chapter 2's experiments: real MiniLM weights and activations to quantize (defined in ch02).

* :func:`capture_linear_inputs`: run a model once with forward pre-hooks on its ``nn.Linear``
  layers and keep each layer's input (the activations a quantized layer would see).
* :func:`minilm_linear_inputs`: those inputs for MiniLM on a few sentences of
  ``qtlib.data.sentences()``, padding tokens dropped: ``{layer name: float32 [tokens, in]}``.
* :func:`minilm_ffn_activation`: the input of one FFN output layer (after the GELU), the
  heavy-tailed activation of the chapter; cached on disk (``qtlib.utils.cache.cache_dir()``) so
  the explorer never runs MiniLM.
* :func:`calibration_batches`: the same activation for several disjoint batches of sentences
  (calibration batches for the observers, plus held-out ones).
* :func:`probe_activations`, :func:`calibration_set`, :func:`weight_sqnr_table`: the chapter's
  three measurements, cached so that a second run of the notebook reads them from disk.

Every cached entry is keyed by its settings, ``CACHE_VERSION`` and the torch version; pass
``use_cache=False`` to recompute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

from qtlib.quant import QuantSpec, choose_qparams, fake_quantize
from qtlib.quant.error import sqnr_db
from qtlib.utils.cache import cache_dir

#: The FFN output layer whose input the chapter studies (its input follows the GELU).
FFN_LAYER = "bert.encoder.layer.3.output.dense"
CACHE_VERSION = 1


def capture_linear_inputs(model: nn.Module, batch: dict[str, torch.Tensor],
                          names: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
    """Inputs of the model's ``nn.Linear`` layers for one forward pass of ``batch`` (kwargs).

    ``names``: only these layers (default: all). Returns ``{name: tensor}`` with each input as
    the layer received it (e.g. float32 [N, T, in_features]). The hooks are removed afterwards.
    """
    captured: dict[str, torch.Tensor] = {}
    wanted = None if names is None else set(names)

    def keep(name: str):
        def hook(module: nn.Module, args: tuple) -> None:
            captured[name] = args[0].detach().clone()
        return hook

    hooks = [m.register_forward_pre_hook(keep(n)) for n, m in model.named_modules()
             if isinstance(m, nn.Linear) and (wanted is None or n in wanted)]
    if wanted is not None and len(hooks) != len(wanted):
        present = {n for n, m in model.named_modules() if isinstance(m, nn.Linear)}
        raise ValueError(f"names not found among the Linear layers: {sorted(wanted - present)}")
    try:
        with torch.inference_mode():
            model(**batch)
    finally:
        for h in hooks:
            h.remove()
    return captured


def minilm_linear_inputs(model: nn.Module, texts: Sequence[str],
                         names: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
    """MiniLM's Linear-layer inputs for ``texts``, real tokens only: ``{name: [tokens, in]}``."""
    batch = model.tokenize(list(texts))
    keep = batch["attention_mask"].reshape(-1).bool()
    inputs = capture_linear_inputs(model, batch, names)
    return {n: x.reshape(-1, x.shape[-1])[keep].float() for n, x in inputs.items()}


def calibration_batches(model: nn.Module, texts: Sequence[str], batch_size: int = 8,
                        layer: str = FFN_LAYER) -> list[torch.Tensor]:
    """``layer``'s input for consecutive batches of ``batch_size`` sentences: [tokens, in] each."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return [minilm_linear_inputs(model, texts[i:i + batch_size], [layer])[layer]
            for i in range(0, len(texts) - batch_size + 1, batch_size)]


def _cache_path(*parts: object) -> Path:
    key = "_".join(str(p) for p in ("ch02", f"v{CACHE_VERSION}", *parts, torch.__version__))
    return cache_dir() / (key.replace("/", "_").replace(" ", "") + ".pt")


def _cached(path: Path, compute: Callable[[], Any], use_cache: bool) -> Any:
    """torch.load(path) if present (and use_cache), else compute, save atomically, return."""
    if use_cache and path.is_file():
        return torch.load(path, weights_only=True)
    value = compute()
    tmp = path.with_suffix(".tmp")
    torch.save(value, tmp)
    tmp.replace(path)
    return value


def _minilm(model: nn.Module | None) -> nn.Module:
    if model is not None:
        return model
    from qtlib import models

    return models.load("minilm")


def _sentences() -> list[str]:
    from qtlib import data

    return data.sentences()


def minilm_ffn_activation(num_sentences: int = 16, layer: str = FFN_LAYER, *,
                          model: nn.Module | None = None, use_cache: bool = True) -> torch.Tensor:
    """float32 [tokens, 1536]: ``layer``'s input for the first ``num_sentences`` sentences.

    Cached; the first call runs MiniLM (``model``, or loads it), later calls read a small file.
    """
    return _cached(_cache_path("activation", layer, num_sentences),
                   lambda: minilm_linear_inputs(_minilm(model), _sentences()[:num_sentences],
                                                [layer])[layer], use_cache)


def probe_activations(num_sentences: int = 16, step: int = 14, *,
                      model: nn.Module | None = None,
                      use_cache: bool = True) -> dict[str, torch.Tensor]:
    """Inputs of every MiniLM Linear layer for ``sentences()[::step][:num_sentences]`` (several
    topics), real tokens only: ``{layer name: float32 [tokens, in_features]}``; cached."""
    return _cached(_cache_path("probe", num_sentences, step),
                   lambda: minilm_linear_inputs(_minilm(model),
                                                _sentences()[::step][:num_sentences]),
                   use_cache)


def calibration_set(num_batches: int = 8, batch_size: int = 6, seed: int = 0,
                    layer: str = FFN_LAYER, *, model: nn.Module | None = None,
                    use_cache: bool = True) -> list[torch.Tensor]:
    """``num_batches`` batches of ``layer``'s input, ``batch_size`` sentences each, drawn
    without replacement from a ``seed``-shuffled ``sentences()``: a list of [tokens, in]."""
    def compute() -> list[torch.Tensor]:
        texts = _sentences()
        order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(seed))
        chosen = [texts[i] for i in order[:num_batches * batch_size].tolist()]
        return calibration_batches(_minilm(model), chosen, batch_size, layer)

    return _cached(_cache_path("calibration", num_batches, batch_size, seed, layer), compute,
                   use_cache)


def weight_sqnr_table(specs: dict[str, QuantSpec], *, model: nn.Module | None = None,
                      use_cache: bool = True) -> pd.DataFrame:
    """SQNR in dB of min-max fake quantization of every MiniLM Linear weight under each spec.

    Returns a DataFrame: one row per layer (``L<i>.<path>``), one column per key of ``specs``.
    ``model`` is the already loaded MiniLM (saves loading it twice); the cache is keyed by the
    specs only, so do not pass another model with the default cache folder.
    """
    def compute() -> dict[str, dict[str, float]]:
        weights = {n.replace("bert.encoder.layer.", "L"): m.weight.detach()
                   for n, m in _minilm(model).named_modules() if isinstance(m, nn.Linear)}
        return {label: {n: sqnr_db(w, fake_quantize(w, *choose_qparams(w, spec), spec))
                        for n, w in weights.items()} for label, spec in specs.items()}

    key = "-".join(f"{k}={v.short()}" for k, v in specs.items())
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return pd.DataFrame(_cached(_cache_path("weights", digest), compute, use_cache))
