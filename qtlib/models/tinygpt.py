"""TinyGPT: a byte-level causal language model in the style of nanoGPT (ch01).

Tokens are bytes (vocabulary 256), so there is no tokenizer: ``list(text.encode())`` is the
input. Four pre-norm transformer blocks with causal self-attention predict the next byte.

    bytes [N, T] (int64, T <= block_size) -> embeddings [N, T, dim] -> blocks -> logits [N, T, 256]

Every weight lives in a plain ``nn.Embedding``, ``nn.Linear`` or ``nn.LayerNorm`` (the output
layer is a separate Linear, not tied to the embedding), so ``qtlib.methods`` can swap layers.
``is_causal = True`` marks the model for ``qtlib.eval.perplexity`` (which also checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class TinyGPTConfig:
    vocab_size: int = 256    # bytes
    block_size: int = 64     # longest context, in bytes
    dim: int = 128
    depth: int = 4
    num_heads: int = 4
    dropout: float = 0.0


class CausalSelfAttention(nn.Module):
    """Masked multi-head self-attention: position t attends to positions <= t only."""

    def __init__(self, cfg: TinyGPTConfig) -> None:
        super().__init__()
        self.num_heads = cfg.num_heads
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.proj = nn.Linear(cfg.dim, cfg.dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.view(n, t, self.num_heads, d // self.num_heads).transpose(1, 2)
                   for z in (q, k, v))                                  # [N, heads, T, d_head]
        # softmax(q k^T / sqrt(d_head) + causal mask) v, fused into one call
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(n, t, d))


class MLP(nn.Module):
    def __init__(self, cfg: TinyGPTConfig) -> None:
        super().__init__()
        self.fc1 = nn.Linear(cfg.dim, 4 * cfg.dim)
        self.fc2 = nn.Linear(4 * cfg.dim, cfg.dim)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(F.gelu(self.fc1(x))))


class Block(nn.Module):
    def __init__(self, cfg: TinyGPTConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.dim)
        self.attn = CausalSelfAttention(cfg)
        self.norm2 = nn.LayerNorm(cfg.dim)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyGPT(nn.Module):
    """int64 byte ids [N, T] -> next-byte logits float32 [N, T, 256]."""

    is_causal = True

    def __init__(self, cfg: TinyGPTConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg = cfg or TinyGPTConfig()
        self.tok_embed = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.pos_embed = nn.Embedding(cfg.block_size, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(cfg.dim)
        self.lm_head = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        if idx.dim() != 2 or idx.dtype != torch.int64:
            raise ValueError(f"idx must be int64 [N, T], got {idx.dtype} {tuple(idx.shape)}")
        if idx.size(1) > self.cfg.block_size:
            raise ValueError(f"sequence length {idx.size(1)} exceeds block_size "
                             f"{self.cfg.block_size}; pass at most that many bytes")
        pos = torch.arange(idx.size(1), device=idx.device)
        x = self.tok_embed(idx) + self.pos_embed(pos)                    # [N, T, dim]
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.norm(x))                                # [N, T, vocab]

    @torch.inference_mode()
    def generate(self, prompt: bytes | str, max_new_bytes: int = 100, temperature: float = 1.0,
                 seed: int = 0) -> str:
        """Continue ``prompt`` by sampling ``max_new_bytes`` bytes; returns the decoded text."""
        data = prompt.encode() if isinstance(prompt, str) else prompt
        if not data:
            raise ValueError("prompt must hold at least one byte")
        gen = torch.Generator().manual_seed(seed)
        idx = torch.tensor([list(data)], dtype=torch.int64)
        for _ in range(max_new_bytes):
            logits = self(idx[:, -self.cfg.block_size:])[:, -1] / max(temperature, 1e-6)
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=gen)
            idx = torch.cat([idx, nxt], dim=1)
        return bytes(idx[0].tolist()).decode("utf-8", errors="replace")
