"""Quantization-aware training: prepare (float -> fake-quant) and convert (fake-quant -> integer).

:func:`prepare_qat` swaps each selected ``nn.Linear`` for a :class:`~qtlib.nn.FakeQuantLinear`
that rounds its weight (and, for ``activations="per_token"``, its input) in the forward pass and
lets gradients through with the straight-through estimator; train it with
:func:`qtlib.methods.finetune`. :func:`convert_qat` then swaps each fake-quant linear for the
integer module that computes the same numbers: :class:`~qtlib.nn.DynamicInt8Linear` (int8
weights, per-token int8 activations) or :class:`~qtlib.nn.WeightOnlyLinear` (weights only).
The specs are the integer modules' own, so conversion changes nothing but the storage: one
layer agrees to float rounding (float vs int32 accumulation, about 1e-5). In a deep model a value
that float rounding moves across a rounding boundary of the next layer's quantization differs by
one step there, and such flips compound: measured, TinyViT's predictions agree on at least 99.5%
of test images and MiniLM's embeddings to a cosine above 0.995 (tests/methods/test_qat.py).
ch05 teaches the integer modules it converts to.
"""

from __future__ import annotations

from torch import nn

from qtlib.methods._transform import Patterns, Skip, transform
from qtlib.methods.report import Report
from qtlib.nn import DynamicInt8Linear, FakeQuantLinear, LSQLinear, WeightOnlyLinear
from qtlib.quant import QuantSpec
from qtlib.utils.validation import check_choice, check_int

ACTIVATIONS = ("per_token", "none")
SCALES = ("minmax", "lsq")
#: The activation spec of DynamicInt8Linear: symmetric int8 per token, narrow range [-127, 127].
PER_TOKEN_INT8 = QuantSpec(granularity="per_token", narrow_range=True)


def per_token_spec(act_bits: int = 8) -> QuantSpec:
    """Symmetric per-token activations with ``act_bits`` bits, narrow range (int8: [-127, 127])."""
    return QuantSpec(num_bits=act_bits, granularity="per_token", narrow_range=True)


def qat_weight_spec(num_bits: int, group_size: int | None) -> QuantSpec:
    """The weight spec of the integer module a fake-quant linear converts to (symmetric, per
    output channel, or per ``group_size`` inputs)."""
    check_int(num_bits, "num_bits", low=2, high=8)
    if group_size is None:
        return QuantSpec(num_bits=num_bits, granularity="per_channel", axis=0)
    check_int(group_size, "group_size", low=1)
    return QuantSpec(num_bits=num_bits, granularity="per_group", group_size=group_size)


def prepare_qat(model: nn.Module, *, num_bits: int = 8, group_size: int | None = None,
                activations: str = "per_token", act_bits: int = 8, scales: str = "minmax",
                include: Patterns = None, exclude: Patterns = None) -> tuple[nn.Module, Report]:
    """A copy of ``model`` whose selected ``nn.Linear`` layers fake-quantize in the forward pass.

    ``num_bits`` / ``group_size``: the weights' integer format (per channel when ``group_size``
    is None); ``activations="per_token"`` also fake-quantizes each layer's input per token with
    ``act_bits`` (symmetric, narrow range) as :class:`~qtlib.nn.DynamicInt8Linear` will
    (per-channel weights only: ``group_size=None``); ``"none"`` keeps inputs float (weight-only,
    any bits). ``scales="minmax"``: :class:`~qtlib.nn.FakeQuantLinear`, weight scales recomputed
    by min-max at each call; ``"lsq"``: :class:`~qtlib.nn.LSQLinear`, per-channel weight scales
    learned with LSQ's gradient (ch06; per channel only).
    """
    check_choice(activations, "activations", ACTIVATIONS)
    check_choice(scales, "scales", SCALES)
    check_int(act_bits, "act_bits", low=2, high=8)
    weight_spec = qat_weight_spec(num_bits, group_size)
    if activations == "per_token" and group_size is not None:
        raise ValueError("activations='per_token' converts to DynamicInt8Linear, which stores "
                         "weights per channel: use group_size=None, or activations='none' for "
                         "weight-only QAT")
    if scales == "lsq" and group_size is not None:
        raise ValueError("scales='lsq' learns one scale per output channel: use group_size=None")
    act_spec = per_token_spec(act_bits) if activations == "per_token" else None

    def convert(name: str, mod: nn.Module) -> nn.Module:
        if group_size is not None and mod.in_features % group_size:
            raise Skip(f"group_size={group_size} does not divide in_features={mod.in_features}")
        if scales == "lsq":
            return LSQLinear.from_float(mod, num_bits=num_bits, act_spec=act_spec)
        return FakeQuantLinear.from_float(mod, weight_spec=weight_spec, act_spec=act_spec)

    return transform(model, method="prepare_qat",
                     settings={"num_bits": num_bits, "group_size": group_size,
                               "activations": activations, "act_bits": act_bits,
                               "scales": scales},
                     types=(nn.Linear,), convert=convert, include=include, exclude=exclude)


def convert_qat(model: nn.Module, *, include: Patterns = None, exclude: Patterns = None
                ) -> tuple[nn.Module, Report]:
    """A copy of a :func:`prepare_qat` model with every fake-quant linear made integer.

    Per-token activations -> :class:`~qtlib.nn.DynamicInt8Linear` (low-bit and learned-scale
    weights keep their trained codes and scales in its int8 storage); float activations ->
    :class:`~qtlib.nn.WeightOnlyLinear` with the layer's bits and group size. A fake-quant layer
    with another activation spec is skipped with the reason.
    """

    def convert(name: str, mod: nn.Module) -> nn.Module:
        spec, act = mod.weight_spec, mod.act_spec
        if isinstance(mod, LSQLinear) or (act is not None and spec.num_bits < 8
                                          and spec == qat_weight_spec(spec.num_bits, None)):
            if act is None or act.granularity != "per_token":
                raise Skip("a learned-scale layer converts with per-token activations only")
            codes, scale = mod.weight_codes()
            return DynamicInt8Linear.from_codes(codes, scale, mod.bias, num_bits=spec.num_bits,
                                                act_spec=act)
        symmetric_weights = spec.symmetric and spec.signed and not spec.narrow_range
        if act is None and symmetric_weights and spec.granularity in ("per_channel",
                                                                    "per_group"):
            return WeightOnlyLinear.from_float(mod, num_bits=spec.num_bits,
                                               group_size=spec.group_size)
        if act is not None and act.granularity == "per_token" and spec == qat_weight_spec(8, None):
            return DynamicInt8Linear.from_float(mod, act_spec=act)
        raise Skip(f"no integer module computes weight={spec.short()}, act="
                   f"{act.short() if act else 'float'}; prepare with prepare_qat()")

    return transform(model, method="convert_qat", settings={}, types=(FakeQuantLinear, LSQLinear),
                     convert=convert, include=include, exclude=exclude)
