"""qtlib.nn: quantized modules built on qtlib.quant, each made by ``Cls.from_float(module)``.

Every module keeps its integers in buffers, so ``state_dict()`` and ``torch.save`` sizes count
what is really stored (packed codes, scales, codebooks, float biases).
"""

from qtlib.nn._common import state_bytes
from qtlib.nn._int8 import int8_matmul, quantize_per_token_int8
from qtlib.nn.dynamic import DynamicInt8Linear
from qtlib.nn.embedding import Int8Embedding
from qtlib.nn.fake_quant import FakeQuantLinear
from qtlib.nn.lsq import LSQLinear
from qtlib.nn.smoothed import InputScaledLinear
from qtlib.nn.static import StaticInt8Linear
from qtlib.nn.weight_only import WeightOnlyLinear
from qtlib.nn.weight_shared import WeightSharedLinear, index_bits

__all__ = [
    "DynamicInt8Linear", "FakeQuantLinear", "InputScaledLinear", "Int8Embedding", "LSQLinear",
    "StaticInt8Linear", "WeightOnlyLinear", "WeightSharedLinear", "index_bits", "int8_matmul",
    "quantize_per_token_int8", "state_bytes",
]
