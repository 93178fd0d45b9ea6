"""``compile_quantized``: ``torch.compile`` a model of qtlib.nn modules, with a persistent cache.

Why: in eager mode every float op between the linears (attention, LayerNorm, GELU, residual adds)
is a separate dispatch; at short inputs that overhead, not the int8 GEMM, sets the speed.
Compiled, the model is one graph (the C++ int8 op has a shape-only fake, ``qtlib.nn._kernels``;
``DynamicInt8Linear`` takes a stateless path under compile), inductor fuses the float parts, and
each linear stays qtlib's fused C++ op. Compiling costs seconds to tens of seconds per input
shape on 2 cores; inductor's FX graph cache, kept under ``qtlib.utils.cache.cache_dir()/inductor``
(unless ``TORCHINDUCTOR_CACHE_DIR`` is already set), makes a second start (a restarted notebook)
pay most of it once.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from qtlib.nn import _kernels
from qtlib.utils.cache import cache_dir


def inductor_cache_dir() -> str:
    """Point inductor's cache at ``cache_dir()/inductor`` and return the folder in use.

    An explicit ``TORCHINDUCTOR_CACHE_DIR`` wins; torch's default (``/tmp/torchinductor_<user>``,
    which torch writes into the environment the first time anything asks for it, e.g. when
    transformers is imported) is replaced.
    """
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    current = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    if current is None or os.path.abspath(current) == os.path.abspath(default_cache_dir()):
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(cache_dir() / "inductor")
    path = os.environ["TORCHINDUCTOR_CACHE_DIR"]
    os.makedirs(path, exist_ok=True)
    return path


def compile_quantized(model: nn.Module, **kwargs) -> nn.Module:
    """``torch.compile(model.eval(), **kwargs)`` with qtlib's inductor cache (ch05).

    The first call per input shape compiles; later calls run the compiled code. Outputs equal
    the eager model's within one output step of each linear (same integer codes; inductor may
    fuse the float epilogue differently). Inference only. Returns the compiled module
    (an ``OptimizedModule`` wrapping ``model``, which is not copied).
    """
    inductor_cache_dir()
    _kernels.available()  # load the C++ ops (and their fakes) now, not inside dynamo's trace
    import torch._inductor.config as inductor_config

    inductor_config.fx_graph_cache = True
    return torch.compile(model.eval(), **kwargs)
