"""Saving and loading a quantized model: packed integers, scales and the layout (ch04).

``torch.save(model)`` pickles classes, and ``torch.load(weights_only=True)`` (the safe default)
refuses pickled classes; a plain ``state_dict`` loaded into the *float* model fails because the
keys (``weight_packed``, ``weight_scale``) and dtypes do not match. The fix is to save two plain
things and rebuild the structure before loading:

* ``layout``: for each quantized module, its class name and constructor arguments (plain ints,
  bools, None);
* ``state_dict``: the quantized model's tensors (packed codes, scales, float biases).

:func:`build_quantized` swaps empty quantized modules into a copy of the float model following
the layout; ``load_state_dict`` then fills them. Everything in the file is tensors and plain
data, so ``torch.load(path, weights_only=True)`` reads it.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from qtlib.methods._transform import check_model, keep_encoder_layers_on_slow_path
from qtlib.nn import DynamicInt8Linear, Int8Embedding, WeightOnlyLinear

FORMAT = "qtlib-quantized-v1"


def _args(mod: nn.Module) -> dict[str, Any] | None:
    if isinstance(mod, WeightOnlyLinear):
        return {"in_features": mod.in_features, "out_features": mod.out_features,
                "bias": mod.bias is not None, "num_bits": mod.num_bits,
                "group_size": mod.group_size}
    if isinstance(mod, DynamicInt8Linear):
        if mod.act_spec != DynamicInt8Linear.default_act_spec:
            raise ValueError("a DynamicInt8Linear with a custom act_spec cannot be saved yet")
        return {"in_features": mod.in_features, "out_features": mod.out_features,
                "bias": mod.bias is not None}
    if isinstance(mod, Int8Embedding):
        return {"num_embeddings": mod.num_embeddings, "embedding_dim": mod.embedding_dim,
                "padding_idx": mod.padding_idx}
    return None


_CLASSES: dict[str, type[nn.Module]] = {c.__name__: c for c in (
    WeightOnlyLinear, DynamicInt8Linear, Int8Embedding)}


def quantized_layout(model: nn.Module) -> dict[str, dict[str, Any]]:
    """``{module name: {"kind": class name, "args": constructor kwargs}}`` for every quantized
    module qtlib can rebuild (WeightOnlyLinear, DynamicInt8Linear, Int8Embedding)."""
    check_model(model)
    layout = {}
    for name, mod in model.named_modules():
        args = _args(mod)
        if args is not None:
            layout[name] = {"kind": type(mod).__name__, "args": args}
    return layout


def save_quantized(model: nn.Module, path: str | os.PathLike) -> int:
    """Write ``{"format", "layout", "state_dict"}`` to ``path`` with ``torch.save``; returns
    the file's size in bytes."""
    layout = quantized_layout(model)
    if not layout:
        raise ValueError("model holds no quantized module qtlib can rebuild; save its "
                         "state_dict instead")
    torch.save({"format": FORMAT, "layout": layout, "state_dict": model.state_dict()}, path)
    return Path(path).stat().st_size


def build_quantized(float_model: nn.Module, layout: dict[str, dict[str, Any]]) -> nn.Module:
    """A copy of ``float_model`` with an *empty* quantized module at every name of ``layout``
    (ready for ``load_state_dict``); ``float_model`` is not changed."""
    check_model(float_model)
    model = copy.deepcopy(float_model)
    for name, entry in layout.items():
        cls = _CLASSES.get(entry.get("kind"))
        if cls is None:
            raise ValueError(f"{name}: unknown quantized module kind {entry.get('kind')!r}; "
                             f"known: {sorted(_CLASSES)}")
        try:
            model.get_submodule(name)
        except AttributeError as err:
            raise ValueError(f"the model has no module named {name!r}; was it saved from a "
                             "different architecture?") from err
        parent, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent), child, cls(**entry["args"]))
    keep_encoder_layers_on_slow_path(model)
    return model.train(float_model.training)


def load_quantized(path: str | os.PathLike, float_model: nn.Module) -> nn.Module:
    """Read a file written by :func:`save_quantized` with ``torch.load(weights_only=True)`` and
    return the quantized model built on ``float_model``'s architecture (eval mode)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path} is not a qtlib quantized checkpoint ({FORMAT})")
    model = build_quantized(float_model, ckpt["layout"])
    model.load_state_dict(ckpt["state_dict"], strict=True)
    return model.eval()
