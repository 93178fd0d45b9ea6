"""Where the time goes: an operator profile grouped by kind, and Amdahl's law (defined in ch01).

:func:`profile_groups` runs a model under ``torch.profiler`` and sums the time of the top-level
operators (those a module's ``forward`` calls directly, with everything they call inside) into
:data:`GROUPS`: linear layers, attention, norms, elementwise work, embedding lookups and the
rest. :func:`linear_shapes` lists the matrix products of a model's linear layers and
:func:`gemm_speedup` times them in float32 and as int8 x int8 -> int32 products
(``torch._int_mm``), alternated in one run. :func:`amdahl` turns a time share and a speedup of
that share into the speedup of the whole.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from qtlib.eval.latency import compare_latency
from qtlib.utils.calling import call_with, require_eval_mode

#: Group -> top-level ``aten`` operator names (without ``aten::``). Anything else is "other".
GROUPS: dict[str, tuple[str, ...]] = {
    "linear layers": ("linear", "addmm", "mm", "_int_mm"),
    "attention": ("scaled_dot_product_attention", "_scaled_dot_product_flash_attention_for_cpu",
                  "_scaled_dot_product_attention_math", "matmul", "bmm", "baddbmm", "softmax",
                  "_softmax"),
    "norms": ("layer_norm", "native_layer_norm", "rms_norm", "group_norm"),
    "elementwise": ("add", "add_", "mul", "mul_", "div", "div_", "sub", "rsub", "gelu", "relu",
                    "silu", "tanh", "erf", "exp", "pow", "sqrt", "rsqrt", "neg", "dropout",
                    "where", "masked_fill", "masked_fill_", "clamp", "clamp_min", "sum", "mean",
                    "linalg_vector_norm", "norm", "copy_", "to", "_to_copy", "contiguous",
                    "clone", "bitwise_and", "bitwise_or", "eq", "ne", "lt", "gt", "le", "ge",
                    "cat", "fill_", "zero_", "expand_as", "type_as"),
    "embedding lookups": ("embedding", "index_select"),
}
OTHER = "other"


def group_of(op_name: str) -> str:
    """The group of a profiler event name such as ``aten::linear`` (``"other"`` if none)."""
    name = op_name.removeprefix("aten::")
    for group, names in GROUPS.items():
        if name in names:
            return group
    return OTHER


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence file descriptor 2 while the profiler starts or stops.

    torch 2.13's profiler (Kineto) writes ``USDT: ... profiler_start`` lines to the process's
    native stderr whatever its log level; in a notebook they would show as an error stream.
    Only the profiler's start and stop run inside this block, never the model.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (some embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


@dataclass
class OperatorProfile:
    """What :func:`profile_groups` measured: per-group and per-operator time per call (ms)."""

    groups: Any      # DataFrame: group -> ms_per_call, share
    operators: Any   # DataFrame: operator -> group, calls_per_call, ms_per_call, share
    repeats: int
    threads: int

    def share(self, group: str) -> float:
        """Fraction of the profiled time spent in ``group`` (0.0 if it never ran)."""
        if group not in self.groups.index:
            if group not in (*GROUPS, OTHER):
                raise ValueError(f"group must be one of {[*GROUPS, OTHER]}, got {group!r}")
            return 0.0
        return float(self.groups.loc[group, "share"])

    @property
    def total_ms(self) -> float:
        """Profiled operator time of one call (ms); the profiler adds a little overhead."""
        return float(self.groups["ms_per_call"].sum())


def profile_groups(model: Any, inputs: Any, *, threads: int | None = None, warmup: int = 3,
                   repeats: int = 10) -> OperatorProfile:
    """Profile ``repeats`` calls of ``model`` on ready ``inputs`` and group the time.

    ``model`` is an nn.Module in eval mode (or any callable), called the course's way (Tensor ->
    model(x), tuple -> model(*x), dict -> model(**x)) under ``torch.inference_mode()`` after
    ``warmup`` unprofiled calls, with ``threads`` threads (default: torch's current count, which
    is restored). Time is the profiler's CPU time of each top-level operator (an ``aten::linear``
    includes the ``addmm`` it calls), so nothing is counted twice; groups are :data:`GROUPS`.
    """
    import pandas as pd
    from torch.profiler import ProfilerActivity, profile

    require_eval_mode(model)
    if not callable(model):
        raise TypeError(f"model must be an nn.Module or a callable, got {type(model).__name__}")
    if not isinstance(repeats, int) or repeats < 1 or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"repeats must be an int >= 1 and warmup an int >= 0, got "
                         f"repeats={repeats!r}, warmup={warmup!r}")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
    saved = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        used = torch.get_num_threads()
        with torch.inference_mode():
            for _ in range(warmup):
                call_with(model, inputs)
            prof = profile(activities=[ProfilerActivity.CPU])
            with _quiet_native_stderr():
                prof.__enter__()
            try:
                for _ in range(repeats):
                    call_with(model, inputs)
            finally:
                with _quiet_native_stderr():
                    prof.__exit__(None, None, None)
    finally:
        torch.set_num_threads(saved)
    rows: dict[str, dict[str, float]] = {}
    for event in prof.events():
        if event.cpu_parent is not None or not event.name.startswith("aten::"):
            continue
        row = rows.setdefault(event.name, {"calls": 0, "us": 0.0})
        row["calls"] += 1
        row["us"] += event.cpu_time_total
    ops = pd.DataFrame.from_dict(rows, orient="index")
    if ops.empty:
        raise RuntimeError("the profiler recorded no aten operator: did the model run any?")
    ops["group"] = [group_of(name) for name in ops.index]
    ops["calls_per_call"] = ops["calls"] / repeats
    ops["ms_per_call"] = ops["us"] / 1e3 / repeats
    total = ops["ms_per_call"].sum()
    ops["share"] = ops["ms_per_call"] / total
    ops = ops.sort_values("ms_per_call", ascending=False)[["group", "calls_per_call",
                                                           "ms_per_call", "share"]]
    ops.index.name = "operator"
    groups = ops.groupby("group")[["ms_per_call", "share"]].sum().sort_values(
        "ms_per_call", ascending=False)
    return OperatorProfile(groups=groups, operators=ops, repeats=repeats, threads=used)


def amdahl(fraction: float, speedup: float) -> float:
    """Speedup of the whole when a ``fraction`` of its time gets ``speedup`` times faster.

    ``1 / ((1 - fraction) + fraction / speedup)``; with an infinite ``speedup`` the limit is
    ``1 / (1 - fraction)``. E.g. ``amdahl(0.8, 4.0)`` is 2.5.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    if not speedup > 0:
        raise ValueError(f"speedup must be > 0, got {speedup}")
    return 1.0 / ((1.0 - fraction) + fraction / speedup)


def linear_shapes(model: nn.Module, tokens: int) -> list[tuple[int, int, int]]:
    """``(M, K, N)`` of every ``nn.Linear`` of ``model`` applied to ``tokens`` rows, in order.

    M = tokens (batch x sequence length), K = in_features, N = out_features: the matrix product
    ``[M, K] @ [K, N]`` each layer computes in one forward pass (a layer applied to fewer tokens,
    such as a ViT's classifier on the [CLS] token, is listed with ``tokens`` all the same).
    """
    if not isinstance(tokens, int) or tokens < 1:
        raise ValueError(f"tokens must be a positive int, got {tokens!r}")
    return [(tokens, m.in_features, m.out_features) for m in model.modules()
            if isinstance(m, nn.Linear)]


def gemm_speedup(shapes: Sequence[tuple[int, int, int]], *, threads: int | None = None,
                 budget_s: float = 1.0, seed: int = 0) -> dict[str, float]:
    """Time the matrix products ``shapes`` in float32 and in int8 (``torch._int_mm``), alternated.

    For each ``(M, K, N)``: float32 ``x [M, K] @ w.T`` (``w [N, K]``, as ``F.linear`` computes)
    against ``torch._int_mm(xq, wq.T)`` (int8 x int8 -> int32, the weight stored ``[N, K]`` as
    qtlib's int8 layers keep it). One call runs every shape once, so the ratio weights each shape
    by its time. Quantizing the activations and rescaling the int32 result are NOT included: this
    is the ceiling the integer products allow. Returns ``float32_ms``, ``int8_ms`` (medians of
    :func:`qtlib.eval.compare_latency`) and ``speedup`` = float32_ms / int8_ms.
    """
    if not shapes:
        raise ValueError("shapes is empty: pass [(M, K, N), ...], e.g. linear_shapes(model, 128)")
    gen = torch.Generator().manual_seed(seed)
    floats, ints = [], []
    for shape in shapes:
        if len(shape) != 3 or any(not isinstance(s, int) or s < 1 for s in shape):
            raise ValueError(f"each shape must be (M, K, N) of positive ints, got {shape!r}")
        m, k, n = shape
        if k < 2:
            raise ValueError(f"K must be >= 2 for torch._int_mm, got {shape!r}")
        floats.append((torch.randn(m, k, generator=gen), torch.randn(n, k, generator=gen)))
        ints.append((torch.randint(-127, 128, (m, k), dtype=torch.int8, generator=gen),
                     torch.randint(-127, 128, (n, k), dtype=torch.int8, generator=gen)))

    def run_float() -> None:
        for x, w in floats:
            torch.mm(x, w.t())

    def run_int8() -> None:
        for x, w in ints:
            torch._int_mm(x, w.t())

    cmp = compare_latency({"float32": run_float, "int8": run_int8}, threads=threads,
                          budget_s=budget_s)
    f32, i8 = cmp.records["float32"].median_ms, cmp.records["int8"].median_ms
    return {"float32_ms": f32, "int8_ms": i8, "speedup": f32 / i8, "threads": cmp.records[
        "int8"].threads, "rounds": cmp.rounds}


__all__ = ["GROUPS", "OTHER", "OperatorProfile", "amdahl", "gemm_speedup", "group_of",
           "linear_shapes", "profile_groups"]
