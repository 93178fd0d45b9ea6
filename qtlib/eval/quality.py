"""Quality metrics: accuracy, perplexity and fidelity to a reference (defined in ch05).

All functions run the model under ``torch.inference_mode()`` and refuse a model left in
training mode (dropout would make the figure random).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, IterableDataset

from qtlib.utils.calling import call_with, output_tensor, require_eval_mode
from qtlib.utils.progress import progress_bar


def _as_loader(data: Any, batch_size: int = 256) -> Iterable:
    if isinstance(data, Dataset) and not isinstance(data, IterableDataset):
        return DataLoader(data, batch_size=batch_size, shuffle=False)
    return data


@torch.inference_mode()
def accuracy(model: nn.Module, loader: Iterable, *, top_k: int = 1,
             progress: bool | None = None) -> float:
    """Fraction in [0, 1] of examples whose label is among the ``top_k`` highest logits.

    ``loader`` yields ``(inputs, labels)`` batches: inputs as the model takes them (a Tensor, a
    tuple for ``model(*x)`` or a dict for ``model(**x)``), labels int64 [B]; the model must return
    logits [B, num_classes]. A map-style Dataset (e.g. ``qtlib.data.digits("test")``) is batched
    for you. Ties in the logits count in favour of the lower class index (``torch.topk``).
    """
    require_eval_mode(model)
    if not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be a positive int, got {top_k!r}")
    correct = total = 0
    for batch in progress_bar(_as_loader(loader), desc="accuracy", progress=progress):
        if not isinstance(batch, tuple | list) or len(batch) != 2:
            raise TypeError("loader must yield (inputs, labels) pairs")
        inputs, labels = batch
        logits = output_tensor(call_with(model, inputs))
        if logits.dim() != 2 or labels.dim() != 1 or logits.size(0) != labels.size(0):
            raise ValueError(f"shape mismatch: logits {tuple(logits.shape)} and labels "
                             f"{tuple(labels.shape)}; expected logits [B, classes], labels [B]")
        if top_k > logits.size(1):
            raise ValueError(f"top_k={top_k} exceeds the number of classes {logits.size(1)}")
        top = logits.topk(top_k, dim=1).indices                          # [B, k]
        correct += int((top == labels.unsqueeze(1)).any(dim=1).sum())
        total += labels.numel()
    if total == 0:
        raise ValueError("loader is empty: nothing to measure accuracy on")
    return correct / total


def _check_causal(model: nn.Module, window: torch.Tensor) -> None:
    """Refuse a model that is not a causal LM.

    A model that declares ``is_causal`` (TinyGPT and its quantized copies) is taken at its word:
    True passes, False fails. Otherwise the check is behavioural: change the last token of a
    window; the logits at earlier positions must not move (beyond 1% of their scale). The
    declaration wins because per-tensor dynamic activation quantization (torch.ao's
    ``quantize_dynamic``) legitimately lets the last token nudge earlier positions' rounding.
    """
    first = output_tensor(model(window))
    if first.dim() != 3 or first.shape[:2] != window.shape:
        raise ValueError(f"model must map [B, T] token ids to [B, T, vocab] logits; got "
                         f"{tuple(first.shape)} for input {tuple(window.shape)}")
    declared = getattr(model, "is_causal", None)
    if declared is False:
        raise ValueError("model.is_causal is False: perplexity needs a causal language model")
    if declared is True or window.numel() < 2:
        return
    changed = window.clone()
    vocab = first.size(-1)
    changed[0, -1] = (changed[0, -1] + 1) % vocab
    second = output_tensor(model(changed))
    earlier = (first[:, :-1] - second[:, :-1]).abs().max().item()
    scale = first[:, :-1].abs().max().item()
    if earlier > 1e-2 * max(scale, 1e-6):
        raise ValueError("model is not causal: changing the last token changed the predictions at "
                         f"earlier positions (by up to {earlier:.3g}); perplexity needs a causal "
                         "language model such as qtlib.models.load('tinygpt')")


@torch.inference_mode()
def language_model_loss(model: nn.Module, tokens: torch.Tensor, *,
                        context_length: int | None = None, stride: int | None = None,
                        batch_size: int = 16, check_causal: bool = True,
                        progress: bool | None = None) -> dict[str, float]:
    """Token-level next-token loss of a causal LM over one long token stream.

    Definition (the one used by ``perplexity``): ``tokens`` is a 1-D int64 stream of L tokens.
    Every token from position 1 to L-1 is predicted exactly once. Windows of at most
    ``context_length`` tokens (default ``model.cfg.block_size``) start every ``stride`` tokens
    (default ``context_length``, i.e. non-overlapping). The first window scores all its
    predictions; each later window scores only the predictions no earlier window scored (its
    last ``stride`` ones), so with ``stride < context_length`` every scored token sees at least
    ``context_length - stride`` tokens of context. The model maps int64 [B, T] to logits
    [B, T, vocab]. Returns ``nll`` (mean negative log-likelihood, nats per token),
    ``bits_per_token`` (= nll / ln 2; bits per byte for a byte-level model), ``perplexity``
    (= exp(nll)) and ``num_tokens`` (tokens scored, L - 1).
    """
    require_eval_mode(model)
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 1 or tokens.dtype != torch.int64:
        raise ValueError("tokens must be a 1-D int64 tensor (e.g. qtlib.data.corpus_bytes('test'))")
    if tokens.numel() < 2:
        raise ValueError("tokens must hold at least 2 tokens (one to condition on, one to score)")
    if context_length is None:
        context_length = getattr(getattr(model, "cfg", None), "block_size", None)
        if context_length is None:
            raise ValueError("pass context_length= (the model has no cfg.block_size)")
    stride = context_length if stride is None else stride
    if not 1 <= stride <= context_length:
        raise ValueError(f"stride must be in 1..context_length={context_length}, got {stride}")
    if check_causal:
        _check_causal(model, tokens[: min(context_length, tokens.numel())].unsqueeze(0))

    # (begin, end, number of scored targets at the end of the window)
    windows = []
    prev_end, last = 0, tokens.numel() - 1
    for begin in range(0, last, stride):
        end = min(begin + context_length, last)
        windows.append((begin, end, end - prev_end))
        prev_end = end
        if end == last:
            break
    total_nll, count = 0.0, 0
    groups: dict[int, list[tuple[int, int, int]]] = {}
    for w in windows:
        groups.setdefault((w[1] - w[0], w[2]), []).append(w)
    batches = [ws[i:i + batch_size] for ws in groups.values()
               for i in range(0, len(ws), batch_size)]
    for batch in progress_bar(batches, desc="perplexity", progress=progress):
        inputs = torch.stack([tokens[b:e] for b, e, _ in batch])
        targets = torch.stack([tokens[b + 1:e + 1] for b, e, _ in batch])
        logits = output_tensor(model(inputs))
        if logits.dim() != 3 or logits.shape[:2] != inputs.shape:
            raise ValueError(f"model must map [B, T] token ids to [B, T, vocab] logits; got "
                             f"{tuple(logits.shape)} for input {tuple(inputs.shape)}")
        n = batch[0][2]
        nll = F.cross_entropy(logits[:, -n:].reshape(-1, logits.size(-1)).float(),
                              targets[:, -n:].reshape(-1), reduction="sum")
        total_nll += nll.item()
        count += n * len(batch)
    mean = total_nll / count
    return {"nll": mean, "bits_per_token": mean / math.log(2), "perplexity": math.exp(mean),
            "num_tokens": count}


def perplexity(model: nn.Module, tokens: torch.Tensor, **kwargs: Any) -> float:
    """exp(mean next-token NLL) over ``tokens``; windowing as in :func:`language_model_loss`."""
    return language_model_loss(model, tokens, **kwargs)["perplexity"]


def unigram_loss(train_tokens: torch.Tensor, test_tokens: torch.Tensor,
                 vocab_size: int = 256) -> dict[str, float]:
    """The baseline an LM must beat: predict every token from train-set token frequencies.

    Frequencies use add-one smoothing over ``vocab_size`` tokens. Returns ``nll`` (nats per
    token), ``bits_per_token`` and ``perplexity`` on ``test_tokens``.
    """
    counts = torch.bincount(train_tokens, minlength=vocab_size).double() + 1.0
    log_p = (counts / counts.sum()).log()
    mean = -log_p[test_tokens].mean().item()
    return {"nll": mean, "bits_per_token": mean / math.log(2), "perplexity": math.exp(mean)}


def fidelity(reference: torch.Tensor, candidate: torch.Tensor, *,
             logits: bool = False) -> dict[str, float]:
    """How closely ``candidate`` reproduces ``reference`` (outputs of the same inputs).

    Both are float tensors of the same shape [..., D]; leading dimensions are flattened into rows.
    Returns ``cosine_mean`` and ``cosine_min`` (cosine similarity of each row pair), ``sqnr_db``
    (10 log10(sum ref^2 / sum (ref - cand)^2), ``inf`` when identical) and, when ``logits`` is
    True (rows are class logits), ``top1_agreement`` (fraction of rows with the same argmax) and
    ``kl_divergence`` (mean over rows of KL(softmax(ref) || softmax(cand)), nats).
    """
    if not isinstance(reference, torch.Tensor) or not isinstance(candidate, torch.Tensor):
        raise TypeError("reference and candidate must be tensors")
    if reference.shape != candidate.shape:
        raise ValueError(f"reference {tuple(reference.shape)} and candidate "
                         f"{tuple(candidate.shape)} must have the same shape")
    if reference.numel() == 0:
        raise ValueError("reference and candidate are empty")
    ref = reference.detach().double().reshape(-1, reference.shape[-1])
    cand = candidate.detach().double().reshape(-1, candidate.shape[-1])
    cos = F.cosine_similarity(ref, cand, dim=1, eps=1e-12)
    noise = (ref - cand).pow(2).sum().item()
    signal = ref.pow(2).sum().item()
    sqnr = math.inf if noise == 0 else 10 * math.log10(signal / noise)
    out = {"cosine_mean": cos.mean().item(), "cosine_min": cos.min().item(), "sqnr_db": sqnr}
    if logits:
        log_p, log_q = F.log_softmax(ref, dim=1), F.log_softmax(cand, dim=1)
        out["top1_agreement"] = (ref.argmax(1) == cand.argmax(1)).double().mean().item()
        out["kl_divergence"] = (log_p.exp() * (log_p - log_q)).sum(1).mean().item()
    return out


@torch.inference_mode()
def model_fidelity(reference_model: nn.Module, model: nn.Module, batches: Iterable, *,
                   logits: bool = False, progress: bool | None = None) -> dict[str, float]:
    """:func:`fidelity` of ``model``'s outputs against ``reference_model``'s on the same batches.

    ``batches`` yields inputs the course's way (Tensor -> model(x), tuple -> model(*x),
    dict -> model(**x)). Outputs of all batches are concatenated along the first dimension.
    """
    batches = list(batches)
    reference = model_outputs(reference_model, batches, name="reference_model",
                              progress=progress)
    return fidelity(reference, model_outputs(model, batches, progress=progress), logits=logits)


@torch.inference_mode()
def model_outputs(model: nn.Module, batches: Iterable, *, name: str = "model",
                  progress: bool | None = None) -> torch.Tensor:
    """``model``'s outputs on every batch, concatenated along the first dimension.

    ``batches`` yields inputs the course's way (Tensor -> model(x), tuple -> model(*x), dict ->
    model(**x)); an output is a tensor, an output's ``.logits`` or a tuple's first tensor. The
    model must be in eval mode. Used for embeddings (MiniLM [N, 384]) and logits alike.
    """
    require_eval_mode(model, name)
    outputs = [output_tensor(call_with(model, batch), name)
               for batch in progress_bar(batches, desc=f"{name} outputs", progress=progress)]
    if not outputs:
        raise ValueError("batches is empty: nothing to run")
    return torch.cat(outputs)


def nearest_neighbours(embeddings: torch.Tensor) -> torch.Tensor:
    """For each row of ``embeddings`` [N, D], the index of its most cosine-similar other row [N]."""
    if embeddings.dim() != 2 or embeddings.size(0) < 2:
        raise ValueError(f"embeddings must be [N >= 2, D], got {tuple(embeddings.shape)}")
    unit = F.normalize(embeddings.double(), dim=1)
    sim = unit @ unit.T
    sim.fill_diagonal_(-math.inf)
    return sim.argmax(dim=1)


def neighbour_agreement(reference: torch.Tensor, candidate: torch.Tensor) -> float:
    """Fraction of rows whose nearest other row is the same under both embeddings [N, D]."""
    if reference.shape != candidate.shape:
        raise ValueError(f"reference {tuple(reference.shape)} and candidate "
                         f"{tuple(candidate.shape)} must have the same shape")
    return (nearest_neighbours(reference) == nearest_neighbours(candidate)).double().mean().item()


def paraphrase_retrieval(embeddings: torch.Tensor, pairs: list[tuple[int, int]]) -> float:
    """Fraction of paraphrase-pair members whose nearest other sentence is their partner.

    ``pairs`` are index pairs into the rows of ``embeddings`` (``qtlib.data.paraphrase_pairs()``);
    both directions count, so the figure is over ``2 * len(pairs)`` queries.
    """
    if not pairs:
        raise ValueError("pairs is empty")
    nn_idx = nearest_neighbours(embeddings)
    hits = sum(int(nn_idx[i] == j) + int(nn_idx[j] == i) for i, j in pairs)
    return hits / (2 * len(pairs))
