"""Small modules for the eval tests (importable by peak_forward_memory's subprocess)."""

import torch
from torch import nn


class Allocates(nn.Module):
    """forward allocates and touches ``megabytes`` MB of float32, returns a scalar."""

    def __init__(self, megabytes: int) -> None:
        super().__init__()
        self.megabytes = megabytes
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        big = torch.ones(self.megabytes * 2**20 // 4)
        return (big * self.scale).sum() + x.sum()


class PackedInt4Linear(nn.Module):
    """A weight-only int4 linear as issue 3 stores it: packed uint8 weights + float32 scales."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.register_buffer("packed_weight", torch.zeros(out_features, in_features // 2,
                                                          dtype=torch.uint8))
        self.register_buffer("scales", torch.ones(out_features))
        self.register_buffer("scratch", torch.zeros(3), persistent=False)
        self.bias = nn.Parameter(torch.zeros(out_features))


class PositionLogits(nn.Module):
    """Causal by construction: logits at window position p are [p, 0] whatever the tokens."""

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        n, t = idx.shape
        logits = torch.zeros(n, t, 2)
        logits[:, :, 0] = torch.arange(t, dtype=torch.float32)
        return logits


class Bigram(nn.Module):
    """Causal: logits[t] = log_probs[idx[t]] (a fixed bigram table)."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.table = nn.Embedding.from_pretrained(table.log())

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.table(idx)


class SeesTheFuture(nn.Module):
    """Not causal: every position's logits depend on the mean of all tokens in the window."""

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        mean = idx.float().mean(dim=1, keepdim=True)                       # [N, 1]
        return torch.stack([mean.expand_as(idx.float()), -mean.expand_as(idx.float())], dim=2)


class DeclaredNonCausal(PositionLogits):
    is_causal = False
