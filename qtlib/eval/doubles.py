"""Test doubles for the evaluation exercises (ch05): a model whose outputs are fixed, a clock
that moves only when told, a workload with scripted durations, and a layer that keeps its
weights in buffers. Exercise test cells import them so the cells show the checks, not the
scaffolding; ``LookupModel??`` in a notebook shows how each one works.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn


class LookupModel(nn.Module):
    """A 'model' whose output for example ``i`` is ``table[i]``.

    ``forward(index)`` takes an int64 tensor of example indices, shape [B], and returns
    ``table[index]``: [B, C] logits for a [N, C] table, [B, T, C] for a [N, T, C] one, passed
    through ``nn.Dropout(dropout)`` (so train mode changes the output when ``dropout > 0``).
    Every call appends ``torch.is_grad_enabled()`` to ``grad_was_enabled``.
    """

    def __init__(self, table: torch.Tensor, dropout: float = 0.0) -> None:
        super().__init__()
        if not isinstance(table, torch.Tensor) or table.dim() < 2:
            raise ValueError("table must be a tensor [N, C] or [N, T, C] of logits, one row per "
                             f"example; got {type(table).__name__} "
                             f"{tuple(getattr(table, 'shape', ()))}")
        self.table = table
        self.dropout = nn.Dropout(dropout)
        self.grad_was_enabled: list[bool] = []

    def forward(self, index: torch.Tensor) -> torch.Tensor:
        self.grad_was_enabled.append(torch.is_grad_enabled())
        return self.dropout(self.table[index])


class FakeClock:
    """A clock (seconds, float) that stands still until a workload advances ``now``."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = float(start)
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


def scripted_workload(clock: FakeClock, durations_s: Sequence[float]
                      ) -> tuple[Callable[[], None], list[int]]:
    """A callable whose k-th call advances ``clock`` by ``durations_s[k]`` seconds (the last
    duration repeats once the script runs out), and the list that records its calls.

    Returns ``(fn, calls)``: ``len(calls)`` is how many times ``fn`` ran.
    """
    if not durations_s:
        raise ValueError("durations_s must list at least one duration in seconds, e.g. [0.01]")
    steps = [float(d) for d in durations_s]
    calls: list[int] = []

    def fn() -> None:
        clock.now += steps[min(len(calls), len(steps) - 1)]
        calls.append(1)

    return fn, calls


class BufferOnlyLinear(nn.Module):
    """A toy int8 linear layer that keeps everything in buffers and has no parameters:
    ``qweight`` int8 [out_features, in_features] (random, from the global generator) and
    ``scale`` float32 [out_features] (ones). It is only ever measured, never called.
    """

    def __init__(self, out_features: int, in_features: int) -> None:
        super().__init__()
        self.register_buffer("qweight", torch.randint(-128, 128, (out_features, in_features),
                                                      dtype=torch.int8))
        self.register_buffer("scale", torch.ones(out_features))
