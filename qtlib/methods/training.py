"""A small fine-tuning loop for a given model and data (QAT, and any trainer).

:func:`finetune` trains ``model`` in place with AdamW on ``(inputs, targets)`` batches and returns
the loss of every step, so a notebook can plot the training curve. Seeds are fixed, the model is
left in eval mode, and a progress bar shows the steps in Jupyter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from qtlib.methods._transform import check_model
from qtlib.utils.calling import call_with, output_tensor
from qtlib.utils.progress import progress_bar
from qtlib.utils.validation import check_choice, check_int


def finetune(model: nn.Module, batches: Iterable[tuple[Any, torch.Tensor]],
             loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], *,
             epochs: int = 1, max_steps: int | None = None, lr: float = 1e-3,
             weight_decay: float = 0.0, grad_clip: float | None = 1.0, seed: int = 0,
             schedule: str = "constant", lr_multipliers: dict[str, float] | None = None,
             progress: bool | None = None) -> list[float]:
    """Train ``model`` in place on ``batches`` and return the loss of every step.

    Args:
        model: trained in place (its parameters with ``requires_grad``); put in train mode for
            the loop and in eval mode after it.
        batches: a re-iterable of ``(inputs, targets)``; inputs the course's way (Tensor ->
            ``model(x)``, tuple -> ``model(*x)``, dict -> ``model(**x)``). A DataLoader works.
        loss_fn: ``loss_fn(outputs, targets) -> scalar tensor`` (e.g. ``F.cross_entropy``).
        epochs: passes over ``batches``; ``max_steps`` stops earlier.
        lr, weight_decay: AdamW settings; grad_clip: max gradient norm (None: no clipping).
        schedule: ``"constant"`` lr, or ``"cosine"`` from ``lr`` down to 0 over the steps
            (needs ``max_steps`` or a ``batches`` with a length; ch06's QAT uses it).
        lr_multipliers: ``{name suffix: factor}``: parameters whose name ends with the suffix
            train at ``factor * lr`` (ch06: LSQ's ``weight_scale`` is a hundred times smaller
            than the weights it scales, and Adam's step does not shrink with the gradient).
    Returns:
        ``[loss of step 1, loss of step 2, ...]`` as floats.
    """
    check_model(model)
    check_int(epochs, "epochs", low=1)
    if max_steps is not None:
        check_int(max_steps, "max_steps", low=1)
    if not (isinstance(lr, int | float) and lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable(outputs, targets), got "
                        f"{type(loss_fn).__name__}")
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    params = [p for _, p in named]
    if not params:
        raise ValueError("model has no trainable parameters (requires_grad is False everywhere)")
    check_choice(schedule, "schedule", ("constant", "cosine"))
    total = _total_steps(batches, epochs, max_steps) if schedule == "cosine" else None
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(_groups(named, lr, lr_multipliers or {}), lr=lr,
                                  weight_decay=weight_decay)
    losses: list[float] = []
    model.train()
    try:
        for _ in range(epochs):
            for inputs, targets in progress_bar(batches, desc="fine-tuning", progress=progress):
                loss = loss_fn(output_tensor(call_with(model, inputs)), targets)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"the loss became {loss.item()} at step "
                                             f"{len(losses) + 1}; lower lr")
                if total is not None:
                    for group in optimizer.param_groups:
                        group["lr"] = group["base_lr"] * 0.5 * (
                            1 + math.cos(math.pi * len(losses) / total))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(params, grad_clip)
                optimizer.step()
                losses.append(float(loss.detach()))
                if max_steps is not None and len(losses) >= max_steps:
                    return losses
    finally:
        model.eval()
    if not losses:
        raise ValueError("batches is empty: nothing to train on")
    return losses


def _total_steps(batches: Iterable[Any], epochs: int, max_steps: int | None) -> int:
    try:
        total = epochs * len(batches)  # type: ignore[arg-type]
    except TypeError:
        if max_steps is None:
            raise ValueError("schedule='cosine' needs max_steps or batches with a length") from None
        return max_steps
    return min(total, max_steps) if max_steps is not None else total


def _groups(named: list[tuple[str, nn.Parameter]], lr: float,
            multipliers: dict[str, float]) -> list[dict[str, Any]]:
    """AdamW parameter groups: one per multiplier that matches, plus the rest at ``lr``."""
    groups: dict[float, list[nn.Parameter]] = {}
    for name, p in named:
        factor = next((f for suffix, f in multipliers.items() if name.endswith(suffix)), 1.0)
        groups.setdefault(float(factor), []).append(p)
    return [{"params": ps, "lr": lr * f, "base_lr": lr * f} for f, ps in groups.items()]
