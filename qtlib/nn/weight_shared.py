"""WeightSharedLinear: k-means codebook + packed cluster indices per weight (ch05)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from qtlib.nn._common import bias_copy, check_input, check_linear
from qtlib.quant import (
    kmeans_1d,
    pack_bits,
    pack_int2,
    pack_int4,
    unpack_bits,
    unpack_int2,
    unpack_int4,
)
from qtlib.utils.validation import check_num_clusters


def index_bits(num_clusters: int) -> int:
    """Bits per index: ``ceil(log2 k)`` (at least 1)."""
    return max(1, math.ceil(math.log2(num_clusters)))


class WeightSharedLinear(nn.Module):
    """Linear whose weights take one of ``k`` shared values (Han et al., Deep Compression).

    ``codebook [k]`` float32 and ``indices_packed``: one ``ceil(log2 k)``-bit index per weight,
    packed into uint8 (two per byte for 4 bits, four for 2 bits, a bit stream for 3/5/6/7
    bits, one per byte for 8). Forward: ``F.linear(x, codebook[indices].reshape(out, in), bias)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 num_clusters: int = 16) -> None:
        super().__init__()
        check_num_clusters(num_clusters)
        self.in_features, self.out_features = in_features, out_features
        self.num_clusters, self.bits = num_clusters, index_bits(num_clusters)
        n = in_features * out_features
        if self.bits in (2, 4, 8):
            shape = (out_features, -(-in_features * self.bits // 8))
        else:
            shape = (-(-n * self.bits // 8),)
        self.register_buffer("codebook", torch.zeros(num_clusters))
        self.register_buffer("indices_packed", torch.zeros(shape, dtype=torch.uint8))
        self.register_buffer("bias", torch.zeros(out_features) if bias else None)

    @classmethod
    def from_float(cls, module: nn.Linear, *, num_clusters: int = 16,
                   seed: int = 0) -> WeightSharedLinear:
        """Cluster ``module.weight`` with :func:`qtlib.quant.kmeans_1d` (deterministic)."""
        check_linear(module)
        new = cls(module.in_features, module.out_features, module.bias is not None, num_clusters)
        codebook, idx = kmeans_1d(module.weight.detach().float(), num_clusters, seed=seed)
        new.codebook.copy_(codebook)
        new.indices_packed.copy_(new._pack(idx))
        if module.bias is not None:
            new.bias.copy_(bias_copy(module))
        return new

    def _pack(self, idx: torch.Tensor) -> torch.Tensor:
        if self.bits == 4:
            return pack_int4(idx.to(torch.uint8))
        if self.bits == 2:
            return pack_int2(idx.to(torch.uint8))
        if self.bits == 8:
            return idx.to(torch.uint8)
        return pack_bits(idx, self.bits)

    def indices(self) -> torch.Tensor:
        """Cluster index of every weight, int64 ``[out, in]``."""
        if self.bits == 4:
            idx = unpack_int4(self.indices_packed, signed=False, length=self.in_features)
        elif self.bits == 2:
            idx = unpack_int2(self.indices_packed, signed=False, length=self.in_features)
        elif self.bits == 8:
            idx = self.indices_packed
        else:
            idx = unpack_bits(self.indices_packed, self.bits, self.in_features * self.out_features)
        return idx.long().reshape(self.out_features, self.in_features)

    def shared_weight(self) -> torch.Tensor:
        """The float32 weight ``[out, in]`` the forward uses."""
        return self.codebook[self.indices()]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features)
        return F.linear(x.float(), self.shared_weight(), self.bias).to(x.dtype)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, clusters={self.num_clusters} "
                f"(float32 codebook), indices={self.bits}-bit packed")
