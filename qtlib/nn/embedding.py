"""Int8Embedding: one symmetric int8 scale per embedding row (ch05)."""

from __future__ import annotations

import torch
from torch import nn

from qtlib.nn._int8 import quantize_per_channel_symmetric
from qtlib.quant import QuantSpec
from qtlib.quant.checks import check_float_tensor


class Int8Embedding(nn.Module):
    """Embedding table stored as int8 rows with a float32 scale per row.

    ``weight_int8 [num_embeddings, dim]``, ``weight_scale [num_embeddings]``; lookup returns
    ``weight_int8[ids] * weight_scale[ids, None]`` as float32, shape ``ids.shape + (dim,)``.
    Per-row scales keep rare tokens with small embeddings as precise as frequent large ones.
    """

    weight_spec = QuantSpec(granularity="per_channel", axis=0)

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 padding_idx: int | None = None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        self.register_buffer("weight_int8", torch.zeros(num_embeddings, embedding_dim,
                                                        dtype=torch.int8))
        self.register_buffer("weight_scale", torch.ones(num_embeddings))

    @classmethod
    def from_float(cls, module: nn.Embedding) -> Int8Embedding:
        """Quantize an ``nn.Embedding`` (no max_norm, not sparse); the module is unchanged."""
        if not isinstance(module, nn.Embedding):
            raise TypeError(f"module must be a torch.nn.Embedding, got {type(module).__name__}")
        if module.max_norm is not None:
            raise ValueError("module.max_norm is set: it renormalises rows at lookup, which an "
                             "int8 table cannot do; leave this embedding in float")
        check_float_tensor(module.weight.detach(), "module.weight")
        new = cls(module.num_embeddings, module.embedding_dim, module.padding_idx)
        q, s = quantize_per_channel_symmetric(module.weight)
        new.weight_int8.copy_(q)
        new.weight_scale.copy_(s)
        return new

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if not isinstance(ids, torch.Tensor) or ids.is_floating_point():
            raise TypeError("ids must be an integer tensor of token indices")
        rows = self.weight_int8[ids].float()
        return rows.mul_(self.weight_scale[ids].unsqueeze(-1))

    def extra_repr(self) -> str:
        return (f"{self.num_embeddings}, {self.embedding_dim}, "
                f"weight=int8 sym per_row, padding_idx={self.padding_idx}")
