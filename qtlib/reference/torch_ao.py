"""torch.ao reference recipes (deprecated in torch 2.13; used only to cross-check qtlib).

Checked with torch 2.13.0 / torchao 0.18.0. torch.ao's quantized tensors and eager-mode API are
deprecated and will be removed; these adapters keep the course's calls in one place.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterable, Iterator

import torch
from torch import nn


@contextlib.contextmanager
def mha_fastpath_disabled() -> Iterator[None]:
    """Turn off torch's transformer fast path inside the block, then restore the old setting.

    ``nn.TransformerEncoderLayer`` / ``nn.TransformerEncoder`` / ``nn.MultiheadAttention`` take a
    fused "fast path" in eval mode that reads ``linear1.weight`` and friends as float tensors.
    After torch.ao's ``quantize_dynamic`` those attributes are methods of packed modules, and the
    forward fails with ``AttributeError: 'function' object has no attribute 'device'``. Wrapping
    the call in this context manager (``torch.backends.mha.set_fastpath_enabled(False)``) is the
    fix. Checked with torch 2.13.0 / torchao 0.18.0.
    """
    old = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(old)


class _Wrap(nn.Module):
    """Holds a bare module as a child, so torch.ao can swap it (it never swaps the root)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)


def torch_ao_quantize_dynamic(model: nn.Module, *, dtype: torch.dtype = torch.qint8,
                              per_channel: bool = False) -> nn.Module:
    """torch.ao's ``quantize_dynamic`` on a copy of ``model`` (every ``nn.Linear``).

    Trap handled: torch.ao only swaps children, so a bare ``nn.Linear`` passed as the model comes
    back unchanged and still float; it is wrapped first. Defaults are torch.ao's:
    per-tensor int8 weights (``per_channel=True`` uses ``per_channel_dynamic_qconfig``) and
    per-tensor uint8 activations with ``reduce_range`` (7 bits) chosen at run time; embeddings
    stay float. Run transformer-layer models inside :func:`mha_fastpath_disabled`.
    Second trap handled: the modules torch.ao swaps in are created in training mode whatever the
    model's mode; the result is put back in the input model's mode.
    Checked with torch 2.13.0 / torchao 0.18.0.
    """
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    m = copy.deepcopy(model)
    if type(m) is nn.Linear:
        m = _Wrap(m)
    spec = {nn.Linear: per_channel_dynamic_qconfig} if per_channel else {nn.Linear}
    return quantize_dynamic(m, spec, dtype=dtype).train(model.training)


class _EagerStatic(nn.Module):
    """QuantStub -> model -> DeQuantStub, the wrapper eager static quantization needs."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        from torch.ao.quantization import DeQuantStub, QuantStub

        self.quant, self.model, self.dequant = QuantStub(), model, DeQuantStub()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dequant(self.model(self.quant(x)))


def torch_ao_quantize_static(model: nn.Module, calibration_batches: Iterable[torch.Tensor], *,
                             backend: str = "fbgemm") -> nn.Module:
    """torch.ao eager-mode static quantization of a copy of ``model``.

    Wraps the model in QuantStub/DeQuantStub, sets ``get_default_qconfig(backend)`` (fbgemm:
    HistogramObserver uint8 activations with reduce_range, per-channel symmetric int8 weights),
    calibrates on the batches (each a single input tensor), converts. The whole model then runs
    on quantized tensors, so this only works for models whose every op has a quantized kernel
    (Linear, Conv, ReLU, ...). What does not work for transformers: embeddings take integer ids
    (the QuantStub would quantize them), attention's matmul/softmax, residual ``+``, LayerNorm
    on the quantized tensors and GELU need ``FloatFunctional``s, extra stubs or module rewrites;
    use qtlib's ``quantize_static`` (per-layer, float in between) there.
    Checked with torch 2.13.0 / torchao 0.18.0.
    """
    from torch.ao import quantization as tq

    wrapped = _EagerStatic(copy.deepcopy(model)).eval()
    wrapped.qconfig = tq.get_default_qconfig(backend)
    return _prepare_calibrate_convert(wrapped, calibration_batches)


def _prepare_calibrate_convert(model: nn.Module,
                               calibration_batches: Iterable[torch.Tensor]) -> nn.Module:
    """torch.ao's eager static steps on a model whose qconfigs are set: ``prepare`` (observers),
    the batches through it under ``no_grad``, ``convert``. ValueError if there is no batch.
    torch.ao's deprecation notices are filtered by qtlib's one warnings policy."""
    from torch.ao import quantization as tq

    prepared = tq.prepare(model)
    n = 0
    with torch.no_grad():
        for x in calibration_batches:
            prepared(x)
            n += 1
    if n == 0:
        raise ValueError("calibration_batches is empty")
    return tq.convert(prepared)


def torch_ao_quantize_static_per_layer(model: nn.Module,
                                       calibration_batches: Iterable[torch.Tensor], *,
                                       backend: str = "x86") -> nn.Module:
    """torch.ao eager static int8 done right for a transformer: a copy of ``model`` where every
    ``nn.Linear`` runs torch.ao's quantized kernel and everything else stays float (ch03, ch04).

    What the one-line whole-model call misses, and this does: (1) the quantized engine is set to
    ``backend`` (``torch.backends.quantized.engine``; ``"x86"`` on this CPU, the qconfig and the
    engine must agree); (2) each ``nn.Linear`` is wrapped in its own ``QuantWrapper``
    (QuantStub -> quantized Linear -> DeQuantStub) with ``get_default_qconfig(backend)``
    (HistogramObserver uint8 activations with reduce_range, per-channel symmetric int8 weights),
    so LayerNorm, GELU, softmax, the attention matmuls and the residual ``+`` keep running in
    float, with no ``FloatFunctional`` needed (a transformer's functional ops have no eager
    quantized module: ``+`` would need a ``FloatFunctional``, the rest a rewrite; LayerNorm has
    ``nnq.LayerNorm``; ch03 calls these wrapped linears "islands"); (3) ``prepare`` inserts the
    observers, real ``calibration_batches`` (each one input tensor) fill them in eval mode under
    ``no_grad``, and only then ``convert`` swaps the modules. Raises ``ValueError`` on an unknown
    engine or empty calibration. Checked with torch 2.13.0 / torchao 0.18.0.
    """
    from torch.ao import quantization as tq

    if backend not in torch.backends.quantized.supported_engines:
        raise ValueError(f"backend {backend!r} is not one of this build's quantized engines "
                         f"{torch.backends.quantized.supported_engines}")
    torch.backends.quantized.engine = backend
    qconfig = tq.get_default_qconfig(backend)
    m = copy.deepcopy(model).eval()

    def wrap(parent: nn.Module) -> None:
        for name, child in parent.named_children():
            if type(child) is nn.Linear:
                wrapper = tq.QuantWrapper(child)
                wrapper.qconfig = qconfig
                setattr(parent, name, wrapper)
            else:
                wrap(child)

    wrap(m)
    return _prepare_calibrate_convert(m, calibration_batches).eval()
