"""The PT2E path: ``torch.export`` + ``X86InductorQuantizer`` (prepare, calibrate, convert) (ch04).

PT2E replaces torch.ao's eager module swaps: the model is exported to one graph, a *quantizer*
annotates which ops get int8 inputs/outputs (``X86InductorQuantizer``: the x86 recipe, static
per-tensor uint8 activations, per-channel int8 weights), ``prepare_pt2e`` inserts observers,
calibration fills them, and ``convert_pt2e`` writes quantize/dequantize ops into the graph. The
converted graph runs in eager mode with float kernels between the q/dq pairs (a *simulation*:
right numbers, no speed); the speed needs ``torch.compile`` (Inductor with freezing), which
pattern-matches dq -> linear -> q into oneDNN int8 kernels. In torch 2.13 PT2E lives in torchao
(``torchao.quantization.pt2e``). Checked with torch 2.13.0 / torchao 0.18.0.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import torch
from torch import nn


def pt2e_quantize_x86(model: nn.Module, calibration_batches: Iterable[torch.Tensor]
                      ) -> torch.fx.GraphModule:
    """Export a copy of ``model`` (one float input ``[N, ...]``, batch size dynamic), annotate it
    with ``X86InductorQuantizer``'s default static config, calibrate on the batches, convert.

    Returns the converted ``GraphModule`` (quantize/dequantize ops around each int8 op), which
    maps the same inputs to the same output shapes as ``model``. Raises ``ValueError`` when the
    calibration is empty. Checked with torch 2.13.0 / torchao 0.18.0.
    """
    import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as xiq
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    batches = list(calibration_batches)
    if not batches:
        raise ValueError("calibration_batches is empty")
    example = batches[0]
    dims = {0: torch.export.Dim("batch", min=1, max=1 << 16)}
    exported = torch.export.export(copy.deepcopy(model).eval(), (example,),
                                   dynamic_shapes=(dims,)).module()
    quantizer = xiq.X86InductorQuantizer()
    quantizer.set_global(xiq.get_default_x86_inductor_quantization_config())
    prepared = prepare_pt2e(exported, quantizer)
    with torch.no_grad():
        for x in batches:
            prepared(x)
    return convert_pt2e(prepared)


def pt2e_compile(converted: torch.fx.GraphModule, example: torch.Tensor) -> nn.Module:
    """``torch.compile`` of a :func:`pt2e_quantize_x86` graph with Inductor freezing (what lowers
    the q/dq patterns to int8 kernels); the first call, made here on ``example``, compiles
    (tens of seconds on 2 cores, needs a C++ compiler). Restores the freezing setting after.
    Checked with torch 2.13.0 / torchao 0.18.0.
    """
    from torch._inductor import config as inductor_config

    old = inductor_config.freezing
    inductor_config.freezing = True
    try:
        compiled = torch.compile(converted)
        with torch.no_grad():
            compiled(example)
    finally:
        inductor_config.freezing = old
    return compiled
