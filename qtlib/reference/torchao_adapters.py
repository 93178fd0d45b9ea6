"""torchao reference recipes: ``quantize_`` with the int8 configs (eager, no torch.compile).

Checked with torch 2.13.0 / torchao 0.18.0.
"""

from __future__ import annotations

import copy

from torch import nn


def torchao_int8_dynamic(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with torchao's ``Int8DynamicActivationInt8WeightConfig`` applied.

    torchao: per-token symmetric int8 activations, per-channel symmetric int8 weights, every
    ``nn.Linear`` (embeddings stay float). In eager mode on CPU it is not faster than float:
    its speed needs ``torch.compile``. Checked with torch 2.13.0 / torchao 0.18.0.
    """
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

    m = copy.deepcopy(model)
    quantize_(m, Int8DynamicActivationInt8WeightConfig())
    return m


def torchao_int8_weight_only(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with torchao's ``Int8WeightOnlyConfig`` (per-channel int8 weights,
    float activations) applied to every ``nn.Linear``. Checked with torch 2.13.0 / torchao 0.18.0.
    """
    from torchao.quantization import Int8WeightOnlyConfig, quantize_

    m = copy.deepcopy(model)
    quantize_(m, Int8WeightOnlyConfig())
    return m


def torchao_int4_weight_only(model: nn.Module, group_size: int = 32) -> nn.Module:
    """A copy of ``model`` with torchao's ``Int4WeightOnlyConfig(group_size=...)`` applied (ch04).

    On a CPU-only torchao 0.18 this raises ``ImportError`` (the int4 packing kernels come from
    the optional ``mslk`` package); chapter 4 shows the message and uses qtlib's int4 instead.
    Checked with torch 2.13.0 / torchao 0.18.0.
    """
    from torchao.quantization import Int4WeightOnlyConfig, quantize_

    m = copy.deepcopy(model)
    quantize_(m, Int4WeightOnlyConfig(group_size=group_size))
    return m
