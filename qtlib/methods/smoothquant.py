"""SmoothQuant (Xiao et al., 2023): migrate activation outliers into the weights, then W8A8 (ch03).

A linear layer computes ``X @ W.T``. For any positive per-input-channel vector ``s``,
``(X / s) @ (W * s).T`` is the same product, so dividing activation channel ``j`` by ``s_j`` and
multiplying weight column ``j`` by ``s_j`` leaves the float model unchanged while it moves range
from the activation (hard to quantize per tensor: a few channels are 10-100x the rest) to the
weight (easy: quantized per output channel). The migration strength ``alpha`` picks

    s_j = max|X_j| ** alpha / max|W_j| ** (1 - alpha)

from calibration maxima ``max|X_j|`` (over tokens) and ``max|W_j|`` (over the output rows of every
linear that reads ``X``), guarded against zeros as the reference implementation
(mit-han-lab/smoothquant, ``smooth.py``) does: both maxima and ``s`` are clamped to >= 1e-5.

Where the division goes (:func:`smoothing_groups` finds it by structure):

* **folded into a LayerNorm** whose output only feeds the smoothed linears (pre-norm blocks:
  TinyViT's and TinyGPT's ``norm1 -> attn.qkv``, ``norm2 -> mlp.fc1``, final ``norm -> head``):
  ``ln.weight /= s``, ``ln.bias /= s``; free at run time.
* **folded into a previous linear** whose output is the input up to a per-channel linear map:
  attention's value projection before the output projection (softmax(QK^T) V mixes tokens, not
  channels): MiniLM's ``attention.self.value -> attention.output.dense``, the V third of
  TinyViT's/TinyGPT's ``attn.qkv -> attn.proj``.
* **not foldable, scaled explicitly** with :class:`qtlib.nn.InputScaledLinear` (one float multiply
  per element before the int8 quantizer): MiniLM is a post-norm BERT, so every LayerNorm output
  also feeds the residual connection, and dividing it would change the residual; its
  ``query/key/value`` and ``intermediate.dense`` cannot be folded. Every FFN output layer
  (``output.dense``, ``mlp.fc2``) reads a GELU output, which no per-channel factor passes through.
  The first layer of a model (TinyViT's ``patch_embed``) reads the model input. ``explicit=False``
  leaves these layers unsmoothed (plain static W8A8) instead.

Then every selected linear is converted to :class:`qtlib.nn.StaticInt8Linear` (per-channel int8
weights, per-tensor static int8 activations from a min-max calibration of the smoothed model), as
:func:`qtlib.methods.quantize_static` does for the plain recipe.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from qtlib.methods._transform import Patterns, check_model, patterns_of, selection_reason
from qtlib.methods.ptq import quantize_static
from qtlib.methods.recipes import Recipe, register
from qtlib.methods.report import Report
from qtlib.nn import InputScaledLinear, state_bytes
from qtlib.quant import OBSERVERS
from qtlib.utils.calling import call_with
from qtlib.utils.validation import check_choice

EPS = 1e-5


@dataclass(frozen=True)
class SmoothGroup:
    """Linears that read one activation, and where its per-channel division goes.

    ``linears``: module names; ``kind``: ``"layernorm"`` (fold into ``source``, a LayerNorm),
    ``"linear"`` (fold into rows ``rows`` of ``source``'s weight and bias) or ``"explicit"``
    (wrap the single linear in :class:`~qtlib.nn.InputScaledLinear`); ``reason``: why, in words.
    """

    linears: tuple[str, ...]
    kind: str
    source: str | None = None
    rows: tuple[int, int] | None = None
    reason: str = ""


def smoothing_scales(act_absmax: torch.Tensor, weight_absmax: torch.Tensor,
                     alpha: float = 0.5) -> torch.Tensor:
    """Per-channel scales ``s = max|X|^alpha / max|W|^(1-alpha)`` (ch03).

    ``act_absmax``, ``weight_absmax``: float [C] (calibration max of |activation| per input
    channel; max of |weight| over output rows per input channel). Both, and ``s``, are clamped to
    at least 1e-5, so a channel that never fired or a zero weight column gives a finite scale.
    Returns float32 [C].
    """
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    if act_absmax.shape != weight_absmax.shape or act_absmax.dim() != 1:
        raise ValueError(f"act_absmax {tuple(act_absmax.shape)} and weight_absmax "
                         f"{tuple(weight_absmax.shape)} must both be [C]")
    a = act_absmax.detach().float().clamp(min=EPS)
    w = weight_absmax.detach().float().clamp(min=EPS)
    return (a.pow(alpha) / w.pow(1.0 - alpha)).clamp(min=EPS)


def outlier_channels(x: torch.Tensor, ratio: float = 6.0) -> torch.Tensor:
    """Channels of ``x [..., C]`` whose max |value| exceeds ``ratio`` times the median channel's
    (ch03). Returns int64 channel indices, ascending."""
    amax = x.detach().abs().reshape(-1, x.shape[-1]).amax(dim=0)
    return torch.nonzero(amax > ratio * amax.median()).flatten()


def smoothing_groups(model: nn.Module) -> list[SmoothGroup]:
    """Every ``nn.Linear`` of ``model`` in one group, by structure (see the module docstring).

    Recognised: pre-norm blocks with ``norm1``/``attn.qkv``/``attn.proj``/``norm2``/``mlp.fc1``
    (TinyViT, TinyGPT), a final ``norm`` followed by ``head`` or ``lm_head``, and BERT layers'
    ``attention.self.value -> attention.output.dense``. Any other linear is ``"explicit"``.
    """
    check_model(model)
    mods = dict(model.named_modules())
    groups: list[SmoothGroup] = []

    def join(prefix: str, name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    def is_(name: str, kind: type) -> bool:
        return isinstance(mods.get(name), kind)

    for name in mods:
        for norm, lin in (("norm1", "attn.qkv"), ("norm2", "mlp.fc1"), ("norm", "head"),
                          ("norm", "lm_head")):
            n, li = join(name, norm), join(name, lin)
            if is_(n, nn.LayerNorm) and is_(li, nn.Linear):
                groups.append(SmoothGroup((li,), "layernorm", n, reason="pre-norm LayerNorm "
                                          "that feeds only this linear"))
        qkv, proj = join(name, "attn.qkv"), join(name, "attn.proj")
        if is_(qkv, nn.Linear) and is_(proj, nn.Linear) and \
                mods[qkv].out_features == 3 * mods[proj].in_features:
            d = mods[proj].in_features
            groups.append(SmoothGroup((proj,), "linear", qkv, (2 * d, 3 * d),
                                      "attention output = softmax(QK^T) V, per channel of V"))
        value, dense = join(name, "attention.self.value"), join(name, "attention.output.dense")
        if is_(value, nn.Linear) and is_(dense, nn.Linear):
            groups.append(SmoothGroup((dense,), "linear", value,
                                      (0, mods[value].out_features),
                                      "attention output = softmax(QK^T) V, per channel of V"))
    done = {li for g in groups for li in g.linears}
    for name, mod in mods.items():
        if type(mod) is nn.Linear and name not in done:
            groups.append(SmoothGroup((name,), "explicit", reason=_unfoldable_reason(name)))
    return groups


def _unfoldable_reason(name: str) -> str:
    last = name.rsplit(".", 2)
    if name.endswith(("attention.self.query", "attention.self.key", "attention.self.value",
                      "intermediate.dense")):
        return "post-norm: its LayerNorm's output also feeds the residual"
    if name.endswith(("output.dense", "fc2")):
        return "reads a GELU output"
    return f"no LayerNorm or linear of its own before it ({last[-1]})"


@torch.no_grad()
def input_channel_absmax(model: nn.Module, batches: Iterable[Any],
                         names: Sequence[str]) -> dict[str, torch.Tensor]:
    """max |input| per input channel of each linear in ``names`` over ``batches`` (ch03).

    Returns ``{name: float32 [in_features]}``; a layer that never ran gets zeros. ``batches``
    yield inputs the course's way (Tensor, tuple or dict); the model is run as it is.
    """
    mods = dict(model.named_modules())
    out = {n: torch.zeros(mods[n].in_features) for n in names}

    def hook(name: str):
        def keep(_m: nn.Module, args: tuple) -> None:
            x = args[0].detach().float()
            out[name] = torch.maximum(out[name], x.abs().reshape(-1, x.shape[-1]).amax(dim=0))
        return keep

    handles = [mods[n].register_forward_pre_hook(hook(n)) for n in names]
    try:
        for batch in batches:
            call_with(model, batch)
    finally:
        for h in handles:
            h.remove()
    return out


@torch.no_grad()
def smooth(model: nn.Module, calibration: Iterable[Any], *, alpha: float = 0.5,
           explicit: bool = True, include: Patterns = None, exclude: Patterns = None
           ) -> tuple[nn.Module, dict[str, str], dict[str, torch.Tensor]]:
    """A float copy of ``model`` with SmoothQuant's scales migrated (its output is unchanged).

    Returns ``(smoothed_model, names, scales)``: ``names`` maps each smoothed linear's original
    name to its name in the copy (``"x.linear"`` when wrapped in
    :class:`~qtlib.nn.InputScaledLinear`), ``scales`` maps it to its ``s`` (float32 [in]).
    A group is smoothed if one of its linears is selected by include/exclude.
    """
    check_model(model)
    batches = list(calibration)
    if not batches:
        raise ValueError("calibration is empty; SmoothQuant needs representative batches")
    inc, exc = patterns_of(include, "include"), patterns_of(exclude, "exclude")
    groups = [g for g in smoothing_groups(model)
              if any(selection_reason(n, inc, exc) is None for n in g.linears)
              and (explicit or g.kind != "explicit")]
    act = input_channel_absmax(model, batches, [n for g in groups for n in g.linears])
    work = copy.deepcopy(model)
    mods = dict(work.named_modules())
    names: dict[str, str] = {}
    scales: dict[str, torch.Tensor] = {}
    for g in groups:
        lins = [mods[n] for n in g.linears]
        w_absmax = torch.stack([m.weight.detach().abs().amax(dim=0) for m in lins]).amax(dim=0)
        s = smoothing_scales(act[g.linears[0]], w_absmax, alpha)
        for n, m in zip(g.linears, lins, strict=True):
            m.weight.mul_(s.to(m.weight.dtype))
            scales[n] = s
            names[n] = n
        if g.kind == "layernorm":
            ln = mods[g.source]
            ln.weight.div_(s)
            if ln.bias is not None:
                ln.bias.div_(s)
        elif g.kind == "linear":
            prev = mods[g.source]
            lo, hi = g.rows
            prev.weight[lo:hi].div_(s.unsqueeze(1))
            if prev.bias is not None:
                prev.bias[lo:hi].div_(s)
        else:
            (n,) = g.linears
            parent, _, child = n.rpartition(".")
            setattr(work.get_submodule(parent), child, InputScaledLinear(mods[n], 1.0 / s))
            names[n] = f"{n}.linear"
    return work, names, scales


def quantize_smoothquant(model: nn.Module, calibration: Iterable[Any], *, alpha: float = 0.5,
                         explicit: bool = True, observer: str = "minmax",
                         include: Patterns = None, exclude: Patterns = None
                         ) -> tuple[nn.Module, Report]:
    """SmoothQuant W8A8: :func:`smooth`, then static int8 of every selected linear (ch03).

    Activations get per-tensor static qparams from ``observer`` on the smoothed model's inputs;
    weights are int8 per output channel. Linears not selected stay float (and unsmoothed).
    """
    batches = list(calibration)
    smoothed, names, scales = smooth(model, batches, alpha=alpha, explicit=explicit,
                                     include=include, exclude=exclude)
    inc, exc = patterns_of(include, "include"), patterns_of(exclude, "exclude")
    selected = [names.get(n, n) for n, m in model.named_modules()
                if type(m) is nn.Linear and selection_reason(n, inc, exc) is None]
    if not selected:
        raise ValueError("include/exclude select no nn.Linear to quantize")
    new, report = quantize_static(smoothed, batches, observer=observer, include=selected)
    report.method = "smoothquant"
    report.settings = {"alpha": alpha, "explicit": explicit, **report.settings}
    report.model_bytes_before = state_bytes(model)
    folded = sum(1 for n in scales if names[n] == n)
    report.notes.append(f"smoothed {len(scales)} linears (alpha={alpha}): {folded} folded into a "
                        f"LayerNorm or previous linear, {len(scales) - folded} scaled explicitly")
    return new, report


@register
@dataclass(frozen=True)
class SmoothQuant(Recipe):
    """:func:`quantize_smoothquant`: SmoothQuant scales with migration strength ``alpha``, then
    static W8A8 (per-channel int8 weights, per-tensor static int8 activations, ``observer``).
    ``explicit=False`` smooths only the linears whose scale folds into a LayerNorm or a linear."""

    name: ClassVar[str] = "smoothquant"
    description: ClassVar[str] = ("SmoothQuant: activation outliers migrated into the weights, "
                                  "then static W8A8")
    needs_calibration: ClassVar[bool] = True
    sweep_variants: ClassVar[tuple[dict[str, Any], ...]] = ({"alpha": 0.5},)
    alpha: float = 0.5
    explicit: bool = True
    observer: str = "minmax"

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, int | float) or \
                not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be a number in [0, 1], got {self.alpha!r}")
        if not isinstance(self.explicit, bool):
            raise TypeError(f"explicit must be a bool, got {self.explicit!r}")
        check_choice(self.observer, "observer", OBSERVERS)

    @property
    def setting(self) -> str:
        extra = "" if self.explicit else ", folded only"
        extra += "" if self.observer == "minmax" else f", {self.observer}"
        return f"alpha={self.alpha:g}{extra}"

    def quantize(self, model: nn.Module, calibration: Iterable[Any] | None = None
                 ) -> tuple[nn.Module, Report]:
        return quantize_smoothquant(model, calibration or [], alpha=self.alpha,
                                    explicit=self.explicit, observer=self.observer,
                                    include=self.include, exclude=self.exclude)
