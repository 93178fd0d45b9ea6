"""qtlib.quant: the math of quantization on plain integer tensors (taught in ch02).

Specs (:class:`QuantSpec`), min-max qparams (:func:`choose_qparams`), :func:`quantize`,
:func:`dequantize`, :func:`fake_quantize` (straight-through gradient), sub-byte packing and
observers. The rounding and range rules are in :mod:`qtlib.quant.affine`.
"""

from qtlib.quant.affine import (
    EPS,
    choose_qparams,
    dequantize,
    fake_quantize,
    min_max,
    qparams_from_min_max,
    quantize,
)
from qtlib.quant.checks import qparams_shape
from qtlib.quant.kmeans import kmeans_1d
from qtlib.quant.lsq import lsq_fake_quantize, lsq_grad_scale, lsq_init_scale
from qtlib.quant.observers import (
    OBSERVERS,
    HistogramObserver,
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    MSEObserver,
    Observer,
    PercentileObserver,
    make_observer,
)
from qtlib.quant.packing import (
    pack_bits,
    pack_int2,
    pack_int4,
    unpack_bits,
    unpack_int2,
    unpack_int4,
)
from qtlib.quant.spec import GRANULARITIES, QuantSpec
from qtlib.quant.storage import bytes_per_weight

__all__ = [
    "EPS", "GRANULARITIES", "OBSERVERS", "HistogramObserver", "MSEObserver", "MinMaxObserver",
    "MovingAverageMinMaxObserver", "Observer", "PercentileObserver", "QuantSpec",
    "bytes_per_weight", "choose_qparams", "dequantize", "fake_quantize", "kmeans_1d",
    "lsq_fake_quantize", "lsq_grad_scale", "lsq_init_scale", "make_observer", "min_max",
    "pack_bits", "pack_int2", "pack_int4", "qparams_from_min_max", "qparams_shape", "quantize",
    "unpack_bits", "unpack_int2", "unpack_int4",
]
