"""GPTQ: weight-only quantization with Hessian-based error compensation (ch04).

Frantar, Ashkboos, Hoefler, Alistarh, "GPTQ: Accurate Post-Training Quantization for Generative
Pre-trained Transformers" (ICLR 2023). Round-to-nearest (RTN) rounds every weight on its own;
GPTQ quantizes the columns of a linear layer's weight ``W [out, in]`` one at a time and moves
each column's rounding error onto the columns not yet quantized, weighted by how the layer's
calibration inputs correlate, so the layer's *output* on those inputs changes as little as
possible. The objective, for calibration inputs ``X [n, in]``::

    minimize ||X W^T - X Q^T||^2   with H = 2/n X^T X   [in, in] its Hessian in W's rows

One column step (the optimal brain surgeon update, with ``U`` = upper Cholesky factor of
``H^-1``, so row ``U[i, i:]`` is what ``H^-1`` of the remaining columns says about column i)::

    q_i   = quantize(w_i)                                  # round one column [out]
    err_i = (w_i - q_i) / U[i, i]                          # [out]
    W[:, i+1:] -= err_i[:, None] * U[i, i+1:][None, :]     # spread the error to the rest

:func:`gptq_column_update` is that step; :func:`gptq_quantize_weight` runs it over all columns
(in blocks of ``block_size`` with the "lazy batch" update of the rest, as the paper does) with
symmetric signed scales per output channel or per group of ``group_size`` input features (a
group's scale is chosen from the already-updated weights when the sweep reaches the group).
:func:`quantize_gptq` applies it to a whole model layer by layer: each linear's Hessian is
collected with a forward pre-hook while the calibration batches run through the model whose
earlier layers are already quantized (the paper's sequential order), and the result is the
same :class:`qtlib.nn.WeightOnlyLinear` round-to-nearest produces (int4 packed two per byte),
so size, speed and saving are identical; only the codes and scales differ.

Written after reading the authors' reference (github.com/IST-DASLab/gptq, ``gptq.py``); the
choices are the same (dampening = ``damp`` x mean diagonal, dead inputs zeroed, Cholesky of
``H^-1`` in upper form), the code is ours.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from qtlib.methods._transform import Patterns, Skip, check_model, transform
from qtlib.methods.recipes import Recipe, register
from qtlib.methods.report import Report
from qtlib.nn import WeightOnlyLinear
from qtlib.nn._common import bias_copy
from qtlib.quant import QuantSpec
from qtlib.utils.calling import call_with
from qtlib.utils.validation import check_int


def hessian_from_inputs(x: torch.Tensor) -> torch.Tensor:
    """``H = 2/n X^T X`` (float32 ``[in, in]``) from inputs ``x [..., in]`` (n = rows) (ch04)."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim < 1:
        raise TypeError("x must be a floating-point tensor [..., in_features]")
    x2 = x.detach().reshape(-1, x.shape[-1]).double()
    if x2.shape[0] == 0:
        raise ValueError("x holds no rows; the Hessian needs at least one input")
    return (2.0 / x2.shape[0] * x2.T @ x2).float()


class HessianAccumulator:
    """Running ``H = 2/n sum_k x_k x_k^T`` over batches of inputs ``[..., in]`` (float64) (ch04)."""

    def __init__(self, in_features: int) -> None:
        self.sum = torch.zeros(in_features, in_features, dtype=torch.float64)
        self.rows = 0

    def update(self, x: torch.Tensor) -> None:
        x2 = x.detach().reshape(-1, self.sum.shape[0]).double()
        self.sum += x2.T @ x2
        self.rows += x2.shape[0]

    def hessian(self) -> torch.Tensor:
        """float32 ``[in, in]``; ValueError if no rows were seen."""
        if self.rows == 0:
            raise ValueError("no calibration inputs reached this layer")
        return (2.0 / self.rows * self.sum).float()


def _symmetric_scale(w: torch.Tensor, num_bits: int) -> torch.Tensor:
    """One symmetric scale per row of ``w [out, k]`` (float32 [out]), qtlib's min-max rule."""
    spec = QuantSpec(num_bits=num_bits)
    amax = torch.maximum(-w.amin(dim=1).clamp(max=0), w.amax(dim=1).clamp(min=0))
    scale = amax / ((spec.qmax - spec.qmin) / 2)
    return torch.clamp(scale, min=torch.finfo(torch.float32).eps)


def _round_column(w: torch.Tensor, scale: torch.Tensor, num_bits: int) -> torch.Tensor:
    """Integer codes (float32 holding integers) of column ``w [out]`` with ``scale [out]``."""
    spec = QuantSpec(num_bits=num_bits)
    return torch.clamp(torch.round(w * (1.0 / scale)), spec.qmin, spec.qmax)


def gptq_column_update(weight: torch.Tensor, hinv_row: torch.Tensor, column: int,
                       scale: torch.Tensor, num_bits: int = 4
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """One GPTQ step: quantize ``weight[:, column]`` and spread its error to the later columns.

    Args:
        weight: float32 ``[out, in]``, the current (partly updated) weight; not changed.
        hinv_row: float32 ``[in]``, row ``column`` of the upper Cholesky factor ``U`` of
            ``H^-1`` (only entries ``column..in-1`` are used; ``U[column, column] > 0``).
        column: index of the column to quantize.
        scale: float32 ``[out]``, the column's symmetric scale per output row.
        num_bits: signed code width (codes in ``[-2**(b-1), 2**(b-1) - 1]``).
    Returns:
        ``(new_weight, codes)``: ``new_weight [out, in]`` float32 with column ``column`` set to
        its dequantized value and columns ``> column`` compensated; ``codes`` int8 ``[out]``.
    """
    w = weight.float().clone()
    d = float(hinv_row[column])
    if not d > 0:
        raise ValueError(f"hinv_row[{column}] must be positive (a Cholesky diagonal), got {d}")
    codes = _round_column(w[:, column], scale, num_bits)
    deq = codes * scale
    err = (w[:, column] - deq) / d
    w[:, column + 1:] -= err[:, None] * hinv_row[None, column + 1:].float()
    w[:, column] = deq
    return w, codes.to(torch.int8)


def inverse_hessian_factor(hessian: torch.Tensor, damp: float = 0.01) -> torch.Tensor:
    """Upper Cholesky factor of ``(H + damp * mean(diag H) * I)^-1`` (float32 ``[in, in]``).

    Inputs that never fired (zero diagonal) get ``H[j, j] = 1`` so the factor exists.
    """
    h = hessian.double().clone()
    dead = torch.diag(h) == 0
    h[dead, dead] = 1.0
    h.diagonal().add_(damp * torch.mean(torch.diag(h)))
    try:
        low = torch.linalg.cholesky(h)
    except RuntimeError as err:  # torch.linalg.LinAlgError is a RuntimeError
        raise ValueError(f"the Hessian is not positive definite even with damp={damp}; use "
                         "more calibration data or a larger damp") from err
    hinv = torch.cholesky_inverse(low)
    return torch.linalg.cholesky(hinv, upper=True).float()


def _check_weight_and_hessian(weight: object, hessian: object) -> None:
    if not isinstance(weight, torch.Tensor) or weight.ndim != 2 or not weight.is_floating_point():
        raise TypeError("weight must be a floating-point tensor [out_features, in_features]")
    n = weight.shape[1]
    if (not isinstance(hessian, torch.Tensor) or not hessian.is_floating_point()
            or tuple(hessian.shape) != (n, n)):
        got = tuple(hessian.shape) if isinstance(hessian, torch.Tensor) else type(hessian).__name__
        raise ValueError(f"hessian must be a float tensor [{n}, {n}] (in_features squared) for a "
                         f"weight of shape {tuple(weight.shape)}, got {got}")
    if not torch.isfinite(weight).all() or not torch.isfinite(hessian).all():
        raise ValueError("weight and hessian must be finite")


def gptq_quantize_weight(weight: torch.Tensor, hessian: torch.Tensor, *, num_bits: int = 4,
                         group_size: int | None = 128, damp: float = 0.01,
                         block_size: int = 128, act_order: bool = False
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """GPTQ codes and scales for one linear weight (ch04).

    Args:
        weight: float ``[out, in]``; not changed.
        hessian: float ``[in, in]``, ``2/n X^T X`` of the layer's calibration inputs.
        num_bits: 2..8, symmetric signed codes.
        group_size: input features per scale (must divide ``in``); None: one scale per row.
        damp: dampening, a fraction of the mean Hessian diagonal added to the diagonal.
        block_size: columns per lazy batch (the result does not depend on it, up to rounding).
        act_order: quantize columns in order of decreasing ``H[j, j]`` (scales then come from the
            original weights, "static groups", so groups stay contiguous for storage).
    Returns:
        ``codes`` int8 ``[out, in]`` and ``scale`` float32 ``[out, in/group_size]`` (or
        ``[out]`` per channel): ``codes * scale`` (per group) is the quantized weight, the same
        layout as :class:`qtlib.nn.WeightOnlyLinear`.
    """
    _check_weight_and_hessian(weight, hessian)
    check_int(num_bits, "num_bits", low=2, high=8)
    check_int(block_size, "block_size", low=1)
    if not (isinstance(damp, int | float) and 0 <= damp and math.isfinite(damp)):
        raise ValueError(f"damp must be a finite number >= 0, got {damp!r}")
    out_f, in_f = weight.shape
    if group_size is not None:
        check_int(group_size, "group_size", low=1)
        if in_f % group_size:
            raise ValueError(f"group_size={group_size} does not divide in_features={in_f}")
    w = weight.detach().float().clone()
    dead = torch.diag(hessian) == 0
    w[:, dead] = 0
    g = group_size or in_f
    n_groups = in_f // g
    scales = torch.empty(out_f, n_groups)
    static = act_order or group_size is None
    if static:
        for k in range(n_groups):
            scales[:, k] = _symmetric_scale(w[:, k * g:(k + 1) * g], num_bits)
    perm = torch.argsort(torch.diag(hessian), descending=True) if act_order else torch.arange(in_f)
    w = w[:, perm]
    u = inverse_hessian_factor(hessian[perm][:, perm], damp)
    codes = torch.empty(out_f, in_f)
    if not static:  # blocks hold whole groups, so a group's scale sees its updated weights
        block_size = g * max(1, block_size // g)
    for b1 in range(0, in_f, block_size):
        b2 = min(b1 + block_size, in_f)
        w1 = w[:, b1:b2].clone()
        err1 = torch.empty_like(w1)
        u1 = u[b1:b2, b1:b2]
        for i in range(b2 - b1):
            col = int(perm[b1 + i])
            if not static and col % g == 0:  # the group lies inside this block (see above)
                scales[:, col // g] = _symmetric_scale(w1[:, i:i + g], num_bits)
            s = scales[:, col // g]
            q = _round_column(w1[:, i], s, num_bits)
            codes[:, b1 + i] = q
            err = (w1[:, i] - q * s) / u1[i, i]
            w1[:, i + 1:] -= err[:, None] * u1[i, i + 1:][None, :]
            err1[:, i] = err
        w[:, b2:] -= err1 @ u[b1:b2, b2:]
    codes = codes[:, torch.argsort(perm)].to(torch.int8)
    return codes, (scales if group_size is not None else scales[:, 0])


def layer_output_error(weight: torch.Tensor, quantized_weight: torch.Tensor,
                       x: torch.Tensor) -> float:
    """Mean squared output error ``mean((x W^T - x Q^T)^2)`` over inputs ``x [..., in]`` (ch04)."""
    x2 = x.reshape(-1, weight.shape[1]).float()
    return float(((x2 @ (weight.float() - quantized_weight.float()).T) ** 2).mean())


def weight_only_linear_from_codes(linear: nn.Linear, codes: torch.Tensor, scale: torch.Tensor,
                                  num_bits: int, group_size: int | None) -> WeightOnlyLinear:
    """A :class:`qtlib.nn.WeightOnlyLinear` holding given ``codes``/``scale`` and ``linear``'s
    bias (the storage round-to-nearest uses; codes int8 ``[out, in]``)."""
    new = WeightOnlyLinear(linear.in_features, linear.out_features, linear.bias is not None,
                           num_bits, group_size)
    new.weight_packed.copy_(new._pack(codes))
    new.weight_scale.copy_(scale)
    if linear.bias is not None:
        new.bias.copy_(bias_copy(linear))
    return new


class _Stop(Exception):
    """Raised by the Hessian hook to end a calibration forward pass early."""


def quantize_gptq(model: nn.Module, calibration_batches: Iterable[Any], *, num_bits: int = 4,
                  group_size: int | None = 128, damp: float = 0.01, block_size: int = 128,
                  act_order: bool = False, include: Patterns = None, exclude: Patterns = None
                  ) -> tuple[nn.Module, Report]:
    """GPTQ on every selected ``nn.Linear`` -> :class:`qtlib.nn.WeightOnlyLinear` (ch04).

    Layers are processed in ``named_modules`` order; each layer's Hessian comes from the
    calibration batches run through the model whose earlier selected layers are already
    quantized (one pass of the batches per layer). A layer the batches never reach, or whose
    ``in_features`` ``group_size`` does not divide, is skipped with its reason. ``model`` is not
    changed (it should be in eval mode).
    """
    check_model(model)
    QuantSpec(num_bits=num_bits)
    if group_size is not None:
        check_int(group_size, "group_size", low=1)
    batches = list(calibration_batches) if calibration_batches is not None else []
    if not batches:
        raise ValueError("calibration_batches is empty; GPTQ needs representative batches")
    work = copy.deepcopy(model).eval()

    def convert(name: str, mod: nn.Module) -> nn.Module:
        if group_size is not None and mod.in_features % group_size:
            raise Skip(f"group_size={group_size} does not divide in_features={mod.in_features}")
        acc = HessianAccumulator(mod.in_features)

        def take(_m: nn.Module, args: tuple) -> None:
            acc.update(args[0])
            raise _Stop  # the rest of the forward pass is not needed for this layer

        hook = mod.register_forward_pre_hook(take)
        try:
            with torch.no_grad():
                for batch in batches:
                    try:
                        call_with(work, batch)
                    except _Stop:
                        pass
        finally:
            hook.remove()
        if acc.rows == 0:
            raise Skip("never ran during calibration, so it has no Hessian")
        codes, scale = gptq_quantize_weight(mod.weight, acc.hessian(), num_bits=num_bits,
                                            group_size=group_size, damp=damp,
                                            block_size=block_size, act_order=act_order)
        return weight_only_linear_from_codes(mod, codes, scale, num_bits, group_size)

    return transform(model, method="quantize_gptq",
                     settings={"num_bits": num_bits, "group_size": group_size, "damp": damp,
                               "act_order": act_order, "calibration_batches": len(batches)},
                     types=(nn.Linear,), convert=convert, include=include, exclude=exclude,
                     prepared=work)


@register
@dataclass(frozen=True)
class GPTQ(Recipe):
    """:func:`quantize_gptq`: ``num_bits`` weights per group of ``group_size`` (None: per
    channel) with GPTQ's error compensation from calibration; activations stay float (ch04)."""

    name: ClassVar[str] = "gptq"
    description: ClassVar[str] = ("GPTQ int4 weights in groups of 64: rounding errors compensated "
                                  "from calibration activations, float activations")
    needs_calibration: ClassVar[bool] = True
    sweep_variants: ClassVar[tuple[dict[str, Any], ...]] = ({"num_bits": 4, "group_size": 64},)
    num_bits: int = 4
    group_size: int | None = 128
    damp: float = 0.01
    act_order: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int(self.num_bits, "num_bits", low=2, high=8)
        if self.group_size is not None:
            check_int(self.group_size, "group_size", low=1)
        if not (isinstance(self.damp, int | float) and 0 <= self.damp < math.inf):
            raise ValueError(f"damp must be a finite number >= 0, got {self.damp!r}")

    @property
    def method(self) -> str:
        return f"gptq_int{self.num_bits}"

    @property
    def setting(self) -> str:
        base = "per-channel" if self.group_size is None else f"g{self.group_size}"
        return base + (", act-order" if self.act_order else "")

    def quantize(self, model: nn.Module, calibration: Iterable[Any] | None = None
                 ) -> tuple[nn.Module, Report]:
        return quantize_gptq(model, calibration or [], num_bits=self.num_bits,
                             group_size=self.group_size, damp=self.damp,
                             act_order=self.act_order,
                             include=list(self.include) if self.include is not None else None,
                             exclude=list(self.exclude) or None)
