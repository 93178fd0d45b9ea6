"""Input checks shared by qtlib.eval: each raises a ValueError/TypeError that names the fix."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def _mode_matters(module: nn.Module) -> bool:
    """Modules whose output depends on train/eval mode: dropout (p > 0) and batch norm."""
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return module.p > 0
    return isinstance(module, nn.modules.batchnorm._BatchNorm)


def require_eval_mode(model: Any, name: str = "model") -> None:
    """Raise if ``model`` is in training mode, or holds a dropout/batch-norm layer that is.

    Other submodules' flags are ignored: e.g. torch.ao's ``quantize_dynamic`` returns an
    eval-mode model whose new quantized layers say ``training=True`` but behave the same.
    """
    if isinstance(model, nn.Module) and (model.training or any(
            m.training and _mode_matters(m) for m in model.modules())):
        raise ValueError(f"{name} is in training mode (dropout active, statistics updating), so "
                         f"its outputs are random; call {name}.eval() first")


def output_tensor(out: Any, name: str = "model") -> torch.Tensor:
    """The tensor in a model output: a Tensor, an output's ``.logits``, or a tuple's first item."""
    if isinstance(out, torch.Tensor):
        return out
    if hasattr(out, "logits") and isinstance(out.logits, torch.Tensor):
        return out.logits
    if isinstance(out, tuple | list) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    raise TypeError(f"{name} returned {type(out).__name__}; expected a Tensor, an output with "
                    "a .logits tensor, or a tuple whose first item is a tensor")


def call_with(fn: Any, inputs: Any) -> Any:
    """Call ``fn`` the course's way: Tensor -> fn(x), tuple/list -> fn(*x), dict -> fn(**x)."""
    if isinstance(inputs, torch.Tensor):
        return fn(inputs)
    if isinstance(inputs, tuple | list):
        return fn(*inputs)
    if isinstance(inputs, dict):
        return fn(**inputs)
    raise TypeError(f"inputs must be a Tensor, a tuple (called as model(*x)) or a dict "
                    f"(model(**x)), got {type(inputs).__name__}")


def shapes_of(inputs: Any) -> Any:
    """Shapes of the tensors in ``inputs`` (same nesting), for records."""
    if isinstance(inputs, torch.Tensor):
        return list(inputs.shape)
    if isinstance(inputs, tuple | list):
        return [shapes_of(x) for x in inputs]
    if isinstance(inputs, dict):
        return {k: shapes_of(v) for k, v in inputs.items()}
    return None
