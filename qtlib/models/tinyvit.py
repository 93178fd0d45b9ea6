"""TinyViT: a vision transformer small enough to read in one sitting (ch01, ch05).

An 8x8 digit is cut into 16 patches of 2x2 pixels; each patch becomes a token through one Linear
layer; a learned [CLS] token and learned position embeddings are added; two pre-norm transformer
blocks mix the tokens; the [CLS] token's final state is classified into 10 digits.

    image [N, 1, 8, 8] -> patches [N, 16, 4] -> tokens [N, 17, dim] -> blocks -> logits [N, 10]

Every weight lives in a plain ``nn.Linear`` or ``nn.LayerNorm`` (plus the two embedding
parameters), so ``qtlib.methods`` can swap the layers. Attention is written out (softmax of
scaled dot products) rather than fused, so chapters can look inside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class TinyViTConfig:
    image_size: int = 8      # pixels per side
    patch_size: int = 2      # pixels per patch side
    in_channels: int = 1
    num_classes: int = 10
    dim: int = 64            # token width
    depth: int = 2           # transformer blocks
    num_heads: int = 4
    mlp_ratio: int = 2       # hidden width of the MLP = mlp_ratio * dim
    dropout: float = 0.1


class Attention(nn.Module):
    """Multi-head self-attention: [N, T, dim] -> [N, T, dim]."""

    def __init__(self, cfg: TinyViTConfig) -> None:
        super().__init__()
        self.num_heads = cfg.num_heads
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.proj = nn.Linear(cfg.dim, cfg.dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.view(n, t, self.num_heads, d // self.num_heads).transpose(1, 2)
                   for z in (q, k, v))                                  # [N, heads, T, d_head]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))          # [N, heads, T, T]
        y = F.softmax(att, dim=-1) @ v                                   # [N, heads, T, d_head]
        return self.proj(y.transpose(1, 2).reshape(n, t, d))


class MLP(nn.Module):
    def __init__(self, cfg: TinyViTConfig) -> None:
        super().__init__()
        self.fc1 = nn.Linear(cfg.dim, cfg.mlp_ratio * cfg.dim)
        self.fc2 = nn.Linear(cfg.mlp_ratio * cfg.dim, cfg.dim)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(F.gelu(self.fc1(x))))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, cfg: TinyViTConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.dim)
        self.attn = Attention(cfg)
        self.norm2 = nn.LayerNorm(cfg.dim)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    """float32 images [N, C, H, W] in [0, 1] -> logits [N, num_classes]."""

    def __init__(self, cfg: TinyViTConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg = cfg or TinyViTConfig()
        num_patches = (cfg.image_size // cfg.patch_size) ** 2
        self.patch_embed = nn.Linear(cfg.in_channels * cfg.patch_size ** 2, cfg.dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.dim))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, num_patches + 1, cfg.dim))
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, cfg.num_classes)

    def patchify(self, images: torch.Tensor) -> torch.Tensor:
        """[N, C, H, W] -> [N, num_patches, C * patch_size**2], patches in row-major order."""
        p = self.cfg.patch_size
        patches = F.unfold(images, kernel_size=p, stride=p)              # [N, C*p*p, patches]
        return patches.transpose(1, 2)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        expected = (cfg.in_channels, cfg.image_size, cfg.image_size)
        if images.dim() != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must be float [N, {', '.join(map(str, expected))}], "
                             f"got {tuple(images.shape)}")
        x = self.patch_embed(self.patchify(images))                      # [N, patches, dim]
        cls = self.cls_token.expand(x.size(0), -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed                  # [N, patches+1, dim]
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, 0]))                             # [N, num_classes]
