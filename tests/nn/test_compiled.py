"""qtlib's int8 modules under ``torch.compile``: one graph, the eager outputs, a persistent cache.

The compiled path (``DynamicInt8Linear._forward_compiled``, the C++ op's fake in
``qtlib.nn._kernels``) must trace without graph breaks, give the eager path's integers (outputs
within one output step per linear) and say nothing on stderr.
"""

import importlib
import os
import shutil
import warnings

import pytest
import torch
import torch._dynamo as dynamo
from torch import nn

from qtlib.nn import DynamicInt8Linear, _kernels
from qtlib.nn._int8 import quantize_per_token_int8
from qtlib.nn.compiled import compile_quantized, inductor_cache_dir

HAVE_COMPILER = shutil.which(os.environ.get("CXX") or "c++") is not None
needs_kernel = pytest.mark.skipif(not HAVE_COMPILER, reason="no C++ compiler: pure-torch only")


class TwoLinears(nn.Module):
    """int8 linear -> GELU -> LayerNorm -> int8 linear; returns both linears' inputs and outputs."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.a = DynamicInt8Linear.from_float(nn.Linear(64, 96))
        self.norm = nn.LayerNorm(96)
        self.b = DynamicInt8Linear.from_float(nn.Linear(96, 40, bias=False))

    def forward(self, x):
        h = self.a(x)
        z = self.norm(nn.functional.gelu(h))
        return h, z, self.b(z)


def _step(x, mod):
    """One integer step of ``mod``'s int32 accumulator in output units, ``[..., out]``."""
    _, s = quantize_per_token_int8(x.reshape(-1, mod.in_features))
    return (s * mod.weight_scale).reshape(*x.shape[:-1], mod.out_features)


@pytest.mark.parametrize("fast", [True, False], ids=["kernel", "readable"])
def test_quantized_model_is_one_graph(fast):
    if fast and not _kernels.available():
        pytest.skip("the C++ kernel is not built (no compiler): only the readable path exists")
    model = TwoLinears().eval()
    x = torch.randn(3, 5, 64)
    dynamo.reset()
    with torch.inference_mode():
        if fast:
            explained = dynamo.explain(model)(x)
        else:
            with _kernels.disabled():
                explained = dynamo.explain(model)(x)
    assert explained.graph_count == 1 and explained.graph_break_count == 0, \
        [b.reason for b in explained.break_reasons]


@needs_kernel
def test_fake_implementations_match_the_kernels():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(6, 24, generator=g)
    w = torch.randint(-127, 128, (10, 24), generator=g, dtype=torch.int8)
    ws = torch.rand(10, generator=g) + 0.01
    assert _kernels.available()
    tests = ("test_schema", "test_faketensor")
    for bias in (torch.randn(10, generator=g), None):
        torch.library.opcheck(torch.ops.qtlib.dynamic_int8_linear.default, (x, w, ws, bias),
                              test_utils=tests)
    torch.library.opcheck(torch.ops.qtlib.quantize_per_token_int8.default, (x,), test_utils=tests)


def test_compiled_model_gives_the_eager_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path))
    model = TwoLinears().eval()
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 9, 64, generator=g) * torch.logspace(-2, 2, 9)[:, None]
    # inductor's first import runs torch.utils.mkldnn, which warns DeprecationWarning (ignored by
    # Python's default filters outside __main__, so never shown in a notebook): import it first
    importlib.import_module("torch._inductor.compile_fx")

    dynamo.reset()
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning noise from compiling or running
        h, z, y = model(x)
        compiled = compile_quantized(model)
        hc, zc, yc = compiled(x)
    assert bool(((hc - h).abs() <= _step(x, model.a)).all())        # same integers, one step
    # the second linear sees (almost) the same input; allow one step of its own rounding plus
    # what a one-step difference upstream can move through LayerNorm
    torch.testing.assert_close(zc, z, rtol=0, atol=1e-3)
    step_b = _step(z, model.b)
    assert bool(((yc - y).abs() <= 2 * step_b + 1e-3 * y.abs().amax()).all())
    assert (yc - y).abs().max() < 0.01 * y.abs().max()


def test_inductor_cache_lives_under_qtlib_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    assert inductor_cache_dir() == str(tmp_path / "inductor")
    assert (tmp_path / "inductor").is_dir()
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", default_cache_dir())  # set by torch itself
    assert inductor_cache_dir() == str(tmp_path / "inductor")
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "mine"))
    assert inductor_cache_dir() == str(tmp_path / "mine")  # an explicit setting wins
