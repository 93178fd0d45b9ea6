"""qtlib.reference: the same jobs through torch.ao and torchao, to cross-check qtlib (ch05, ch04).

Small adapters that state the versions they were checked with (torch 2.13.0 / torchao 0.18.0),
so the chapters do not depend on APIs that move.
"""

from qtlib.reference.pt2e import pt2e_compile, pt2e_quantize_x86
from qtlib.reference.recipes import TorchAODynamic
from qtlib.reference.torch_ao import (
    mha_fastpath_disabled,
    torch_ao_quantize_dynamic,
    torch_ao_quantize_static,
    torch_ao_quantize_static_per_layer,
)
from qtlib.reference.torchao_adapters import (
    torchao_int4_weight_only,
    torchao_int8_dynamic,
    torchao_int8_weight_only,
)

__all__ = ["TorchAODynamic", "mha_fastpath_disabled", "pt2e_compile", "pt2e_quantize_x86",
           "torch_ao_quantize_dynamic", "torch_ao_quantize_static",
           "torch_ao_quantize_static_per_layer", "torchao_int4_weight_only",
           "torchao_int8_dynamic", "torchao_int8_weight_only"]
