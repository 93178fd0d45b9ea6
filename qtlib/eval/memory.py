"""Memory, three separate figures (defined in ch01, used in ch05), and a per-module breakdown.

1. ``param_bytes_by_dtype``: bytes of every stored tensor (parameters, buffers, packed integer
   buffers, and tensors only the state dict exposes), grouped by dtype. Counting
   ``model.parameters()`` alone misses packed int4/int8 buffers and scales.
2. ``serialized_size``: bytes of ``torch.save(model.state_dict())``, what a file would take.
3. ``peak_forward_memory``: peak resident memory of one forward pass, measured in a fresh
   subprocess so allocations made earlier in this process cannot hide or inflate it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from qtlib.utils.calling import require_eval_mode

KINDS = ("embeddings", "linear", "attention", "norms", "other")


def _flatten_tensors(value: Any) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _flatten_tensors(v)


def tensor_bytes(t: torch.Tensor) -> int:
    """Bytes of ``t``'s elements: ``numel * element_size`` (1 for a packed uint8 int4 buffer)."""
    return t.numel() * t.element_size()


def _stored_tensors(module: nn.Module, recurse: bool = True) -> Iterator[tuple[str, torch.Tensor]]:
    """(name, tensor) for parameters, buffers and state-dict-only tensors, each storage once."""
    seen: set[tuple[int, int, torch.dtype]] = set()
    named: list[tuple[str, Any]] = list(module.named_parameters(recurse=recurse))
    named += list(module.named_buffers(recurse=recurse))
    if recurse:  # e.g. torch.ao's packed weights live only in the state dict
        named += list(module.state_dict().items())
    for name, value in named:
        for t in _flatten_tensors(value):
            if t.numel() == 0:
                continue
            try:
                key = (t.data_ptr(), t.numel(), t.dtype)
            except RuntimeError:  # tensors without storage
                key = (id(t), t.numel(), t.dtype)
            if key in seen:
                continue
            seen.add(key)
            yield name, t


def param_bytes_by_dtype(model: nn.Module) -> dict[str, int]:
    """Bytes of every stored tensor of ``model``, by dtype name (e.g. ``{"float32": 4096}``).

    Counts parameters, buffers (persistent or not, e.g. a packed int4 weight as uint8, its
    scales and zero-points) and tensors that only appear in the state dict; a tensor shared by
    two modules (tied weights) is counted once. Sorted by bytes, largest first.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    totals: dict[str, int] = {}
    for _, t in _stored_tensors(model):
        key = str(t.dtype).removeprefix("torch.")
        totals[key] = totals.get(key, 0) + tensor_bytes(t)
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def total_bytes(model: nn.Module) -> int:
    """Sum of :func:`param_bytes_by_dtype`."""
    return sum(param_bytes_by_dtype(model).values())


def serialized_size(model: nn.Module | dict) -> int:
    """Bytes of ``torch.save(state_dict)`` written to memory (a model or a state dict)."""
    state = model.state_dict() if isinstance(model, nn.Module) else model
    if not isinstance(state, dict):
        raise TypeError(f"model must be an nn.Module or a state dict, got {type(model).__name__}")
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getbuffer().nbytes


def module_kind(path: str, module: nn.Module) -> str:
    """The kind of a module whose own tensors we count: one of ``KINDS``.

    Rules, in order: a norm class (LayerNorm, RMSNorm, BatchNorm, GroupNorm, or a class name
    containing "Norm") -> ``norms``; an Embedding class or a path with "embed" in a component ->
    ``embeddings``; a path with a component containing "attn" or "attention" -> ``attention``
    (query/key/value and output projections); a Linear class (or a class name containing
    "Linear", e.g. qtlib's quantized linears) -> ``linear``; anything else -> ``other``.
    """
    cls = type(module).__name__
    parts = path.lower().split(".")
    if isinstance(module, nn.LayerNorm | nn.GroupNorm | nn.modules.batchnorm._BatchNorm) \
            or "Norm" in cls or isinstance(module, getattr(nn, "RMSNorm", ())):
        return "norms"
    if isinstance(module, nn.Embedding | nn.EmbeddingBag) or "Embedding" in cls \
            or any("embed" in p for p in parts):
        return "embeddings"
    if any("attn" in p or "attention" in p for p in parts):
        return "attention"
    if isinstance(module, nn.Linear) or "Linear" in cls:
        return "linear"
    return "other"


def _param_kind(module_path: str, module: nn.Module, tensor_name: str) -> str:
    """Kind of a tensor owned directly by a container (e.g. TinyViT's ``pos_embed``)."""
    if any(s in tensor_name.lower() for s in ("embed", "token")):
        return "embeddings"
    return module_kind(module_path, module) if module_path else "other"


def module_breakdown(model: nn.Module, by: str = "kind"):
    """Where the stored bytes of ``model`` live, as a pandas DataFrame.

    ``by="kind"``: one row per kind in ``KINDS`` (see :func:`module_kind`) with ``params``
    (number of stored elements), ``bytes`` and ``share`` (fraction of all bytes).
    ``by="module"``: one row per module owning tensors, with its ``module`` path, ``type``,
    ``kind``, ``params``, ``bytes``, ``dtypes``. Totals match :func:`param_bytes_by_dtype`
    except for tensors found only in the state dict.
    """
    import pandas as pd

    if by not in ("kind", "module"):
        raise ValueError(f"by must be 'kind' or 'module', got {by!r}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    rows = []
    seen: set[tuple[int, int, torch.dtype]] = set()
    for path, module in model.named_modules():
        own = [(n, t) for n, t in _stored_tensors(module, recurse=False)
               if (t.data_ptr(), t.numel(), t.dtype) not in seen]
        if not own:
            continue
        seen.update((t.data_ptr(), t.numel(), t.dtype) for _, t in own)
        is_leaf = not any(True for _ in module.children())
        for name, t in own:
            kind = module_kind(path, module) if is_leaf else _param_kind(path, module, name)
            rows.append({"module": path or "(root)", "type": type(module).__name__, "kind": kind,
                         "params": t.numel(), "bytes": tensor_bytes(t),
                         "dtypes": str(t.dtype).removeprefix("torch.")})
    frame = pd.DataFrame(rows, columns=["module", "type", "kind", "params", "bytes", "dtypes"])
    if by == "module":
        return (frame.groupby(["module", "type", "kind"], sort=False)
                .agg(params=("params", "sum"), bytes=("bytes", "sum"),
                     dtypes=("dtypes", lambda s: ",".join(sorted(set(s)))))
                .reset_index())
    per_kind = frame.groupby("kind")[["params", "bytes"]].sum().reindex(KINDS, fill_value=0)
    total = per_kind["bytes"].sum()
    per_kind["share"] = per_kind["bytes"] / total if total else 0.0
    return per_kind.reset_index()


_CHILD = textwrap.dedent("""
    import gc, json, resource, sys
    import torch
    import qtlib  # the warnings policy, and so qtlib classes unpickle
    from qtlib.utils.calling import call_with

    def rss(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        return None

    path, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    before_load = rss("VmRSS")
    blob = torch.load(path, weights_only=False)
    model, inputs = blob["model"], blob["inputs"]
    del blob
    gc.collect()
    baseline = rss("VmRSS")
    method = "VmHWM after /proc/self/clear_refs reset"
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak RSS (VmHWM) to the current RSS
    except OSError:
        method = "ru_maxrss"
        start_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with torch.inference_mode():
        for _ in range(repeats):
            out = call_with(model, inputs)
            del out
    if method == "ru_maxrss":
        peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, start_max)
        if sys.platform == "darwin":
            peak //= 1024
    else:
        peak = rss("VmHWM")
    print(json.dumps({"rss_before_load_bytes": before_load, "baseline_rss_bytes": baseline,
                      "peak_rss_bytes": peak, "forward_peak_bytes": peak - baseline,
                      "method": method}))
""")


def peak_forward_memory(model: nn.Module, inputs: Any, *, threads: int = 1, repeats: int = 1,
                        timeout_s: float = 300.0) -> dict[str, Any]:
    """Peak resident memory (bytes) of ``model`` called on ``inputs``, in a fresh subprocess.

    The model and inputs are saved to a temporary file and loaded by a new Python process, which
    records its RSS after loading (``baseline_rss_bytes``), resets the kernel's peak counter
    (Linux: ``/proc/self/clear_refs``; elsewhere it falls back to ``ru_maxrss``), runs the forward
    ``repeats`` times under ``torch.inference_mode()`` with ``threads`` threads, and records the
    peak (``peak_rss_bytes``). ``forward_peak_bytes`` = peak - baseline is the extra memory the
    forward pass needed (activations, temporary dequantized weights). ``rss_before_load_bytes``
    is the interpreter with torch imported, so ``baseline - before_load`` is roughly the model.
    The model's classes must be importable (defined in a .py module, not in a notebook cell).
    """
    require_eval_mode(model)
    for m in model.modules():
        if type(m).__module__ == "__main__":
            raise ValueError(f"{type(m).__name__} is defined in __main__ (a notebook or script); "
                             "the subprocess cannot import it. Move the class into a .py module.")
    if repeats < 1 or threads < 1:
        raise ValueError("repeats and threads must be >= 1")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.pt"
        torch.save({"model": model, "inputs": inputs}, path)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(threads),
                               str(repeats)], capture_output=True, text=True, env=env,
                              timeout=timeout_s)
    if proc.returncode != 0:
        raise RuntimeError("the forward pass failed in the measuring subprocess:\n"
                           + proc.stderr.strip()[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])
