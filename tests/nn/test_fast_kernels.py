"""The fast paths of qtlib.nn against the readable paths the chapters teach.

int8: ``torch.ops.qtlib.dynamic_int8_linear`` (qtlib/nn/csrc, built by ``make setup``) must give
the same integer codes and scales as ``quantize_per_token_int8`` and the same outputs within one
output step; without the library (no compiler, not built, or switched off) the modules fall back
to the readable path cleanly and silently. int4: the bfloat16 ``_weight_int4pack_mm_for_cpu``
path must equal the unpack-and-matmul path within bfloat16 rounding.
"""

import os
import shutil
import subprocess
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from qtlib.nn import DynamicInt8Linear, WeightOnlyLinear, _kernels
from qtlib.nn._int8 import int8_linear, quantize_per_token_int8

HAVE_COMPILER = shutil.which(os.environ.get("CXX") or "c++") is not None
needs_kernel = pytest.mark.skipif(not HAVE_COMPILER, reason="no C++ compiler: pure-torch only")


@pytest.fixture(scope="module")
def kernel():
    """``torch.ops.qtlib``; with a compiler, ``make setup`` must have built the kernel."""
    assert _kernels.available(), ("a C++ compiler exists but the qtlib kernel is not built: run "
                                  "`make setup`")
    return torch.ops.qtlib


def _rows(m, k, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(m, k, generator=g) * torch.logspace(-3, 3, m)[:, None]
    return x


@needs_kernel
def test_kernel_quantization_gives_the_same_integers(kernel):
    x = _rows(64, 96, 0)
    x[3] = 0.0                       # zero row -> scale eps, codes 0
    x[5, 7] = 1e4                    # outlier only affects its own row
    x[9] = torch.arange(96) - 47.5   # exact .5 ties: half-to-even
    x[10] = -x[9]
    q_ref, s_ref = quantize_per_token_int8(x)
    q, s = kernel.quantize_per_token_int8(x)
    assert q.dtype == torch.int8 and s.dtype == torch.float32 and s.shape == (64, 1)
    assert torch.equal(s, s_ref)
    assert torch.equal(q, q_ref)


@needs_kernel
@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 70), k=st.integers(2, 200), n=st.integers(1, 70),
       seed=st.integers(0, 10_000), bias=st.booleans())
def test_kernel_linear_within_one_output_step(m, k, n, seed, bias):
    assert _kernels.available()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(m, k, generator=g) * 3
    w = torch.randint(-127, 128, (n, k), generator=g, dtype=torch.int8)
    ws = torch.rand(n, generator=g) * 0.02 + 1e-4
    b = torch.randn(n, generator=g) if bias else None
    q, s = quantize_per_token_int8(x)
    ref = int8_linear(q, None, s, w, ws, b)
    exact = (q.double() @ w.double().t()) * s.double() * ws.double()
    exact = exact + (b.double() if bias else 0.0)
    step = s * ws  # one integer step of the int32 accumulator, in output units [m, n]
    for y in (torch.ops.qtlib.dynamic_int8_linear(x, w, ws, b),
              torch.ops.qtlib.dynamic_int8_linear(x, w, ws, b, gemm="int_mm"),
              torch.ops.qtlib.dynamic_int8_linear(x, w, ws, b, gemm="onednn")):
        assert y.shape == (m, n) and y.dtype == torch.float32
        assert bool(((y - ref).abs() <= step).all())
        torch.testing.assert_close(y.double(), exact, rtol=1e-5, atol=1e-5)


@needs_kernel
def test_kernel_rejects_bad_input_with_clear_errors(kernel):
    w = torch.zeros(4, 8, dtype=torch.int8)
    ws = torch.ones(4)
    with pytest.raises(RuntimeError, match="x must be float32"):
        kernel.dynamic_int8_linear(torch.zeros(2, 8, dtype=torch.float64), w, ws, None)
    with pytest.raises(RuntimeError, match="weight is"):
        kernel.dynamic_int8_linear(torch.zeros(2, 7), w, ws, None)
    with pytest.raises(RuntimeError, match="K >= 2"):
        kernel.dynamic_int8_linear(torch.zeros(2, 1), w[:, :1].contiguous(), ws, None)
    with pytest.raises(RuntimeError, match="weight_scale"):
        kernel.dynamic_int8_linear(torch.zeros(2, 8), w, torch.ones(3), None)
    with pytest.raises(RuntimeError, match="gemm must be"):
        kernel.dynamic_int8_linear(torch.zeros(2, 8), w, ws, None, gemm="fbgemm")


@needs_kernel
def test_module_fast_and_readable_paths_agree(kernel):
    torch.manual_seed(0)
    lin = nn.Linear(384, 1536)
    mod = DynamicInt8Linear.from_float(lin)
    x = torch.randn(2, 37, 384)
    with torch.inference_mode():
        fast = mod(x)
        with _kernels.disabled():
            assert not _kernels.active()
            slow = mod(x).clone()
    q, s = quantize_per_token_int8(x.reshape(-1, 384))
    step = (s * mod.weight_scale).reshape(2, 37, 1536)
    assert fast.shape == slow.shape == (2, 37, 1536)
    assert bool(((fast - slow).abs() <= step).all())
    # float64 and bfloat16 inputs keep their dtype; in_features == 1 uses the readable path
    assert mod(x.double()).dtype == torch.float64
    one = DynamicInt8Linear.from_float(nn.Linear(1, 5))
    with _kernels.disabled():
        ref = one(torch.ones(3, 1))
    torch.testing.assert_close(one(torch.ones(3, 1)), ref)


@needs_kernel
@pytest.mark.parametrize("rows", [5, 96])  # both sides of the GEMM choice
def test_prepacked_weight_follows_the_weight_it_was_packed_from(kernel, rows):
    """oneDNN's packed copy lives in the library, keyed by the weight tensor: the state dict is
    unchanged, copies and reloads compute the same, and an in-place change or a new weight is
    never served a stale packed copy."""
    import copy
    import io

    torch.manual_seed(2)
    mod = DynamicInt8Linear.from_float(nn.Linear(64, 24))
    keys = set(mod.state_dict())
    x = torch.randn(rows, 64)
    y = mod(x)
    with _kernels.disabled():
        ref = mod(x)
    assert bool(((y - ref).abs() <= 1e-3).all())
    assert set(mod.state_dict()) == keys
    for clone in (copy.deepcopy(mod), torch.load(_saved(mod, io.BytesIO()), weights_only=False)):
        assert torch.equal(clone(x), y)
    other = DynamicInt8Linear.from_float(nn.Linear(64, 24))
    mod.load_state_dict(other.state_dict())  # in-place copy: the packed copy must follow
    assert torch.equal(mod(x), other(x))
    with torch.no_grad():
        mod.weight_int8.neg_()               # in place, no copy from elsewhere
    with _kernels.disabled():
        expected = mod(x)
    assert torch.allclose(mod(x), expected, atol=1e-3)
    for _ in range(3):                       # weights freed and new ones made: never stale
        fresh = DynamicInt8Linear.from_float(nn.Linear(64, 24))
        with _kernels.disabled():
            expected = fresh(x)
        assert torch.allclose(fresh(x), expected, atol=1e-3)
        del fresh
    with torch.inference_mode():             # inference tensors cannot be keyed: _int_mm
        frozen = DynamicInt8Linear.from_float(nn.Linear(64, 24))
        with _kernels.disabled():
            expected = frozen(x)
        assert torch.allclose(frozen(x), expected, atol=1e-3)
        assert torch.ops.qtlib.dynamic_int8_linear(x, frozen.weight_int8, frozen.weight_scale,
                                                   frozen.bias).shape == (rows, 24)
        with pytest.raises(RuntimeError, match="inference tensor"):
            torch.ops.qtlib.dynamic_int8_linear(x, frozen.weight_int8, frozen.weight_scale,
                                                frozen.bias, gemm="onednn")


def _saved(module, buffer):
    torch.save(module, buffer)
    buffer.seek(0)
    return buffer


def test_building_without_a_compiler_fails_cleanly(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_kernels, "_candidate_dirs", lambda: [tmp_path])
    monkeypatch.setattr(_kernels.shutil, "which", lambda name: None)
    monkeypatch.delenv("CXX", raising=False)
    assert _kernels.build(verbose=True) is None
    assert "pure-torch" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_without_the_kernel_the_module_falls_back_silently():
    code = (
        "import torch, qtlib\n"
        "from torch import nn\n"
        "from qtlib.nn import DynamicInt8Linear, _kernels\n"
        "from qtlib.nn._int8 import int8_linear, quantize_per_token_int8\n"
        "assert not _kernels.available() and not _kernels.active()\n"
        "torch.manual_seed(0)\n"
        "lin = nn.Linear(64, 32)\n"
        "m = DynamicInt8Linear.from_float(lin)\n"
        "x = torch.randn(5, 64)\n"
        "q, s = quantize_per_token_int8(x)\n"
        "ref = int8_linear(q, None, s, m.weight_int8, m.weight_scale, m.bias)\n"
        "assert torch.equal(m(x), ref)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "QTLIB_DISABLE_KERNELS": "1"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    assert proc.stderr == ""


@needs_kernel
def test_fast_path_prints_nothing_to_stderr():
    code = (
        "import torch, qtlib\n"
        "from torch import nn\n"
        "from qtlib.nn import DynamicInt8Linear, WeightOnlyLinear, _kernels\n"
        "assert _kernels.active()\n"
        "x = torch.randn(4, 64)\n"
        "DynamicInt8Linear.from_float(nn.Linear(64, 32))(x)\n"
        "WeightOnlyLinear.from_float(nn.Linear(64, 32), num_bits=4, group_size=32)(x)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


@pytest.mark.parametrize("group_size", [32, 64, 128])
@pytest.mark.parametrize("m", [1, 7, 128])
def test_int4_fast_path_equals_readable_path_within_bfloat16(group_size, m):
    torch.manual_seed(group_size + m)
    lin = nn.Linear(384, 256)
    mod = WeightOnlyLinear.from_float(lin, num_bits=4, group_size=group_size)
    x = torch.randn(m, 384)
    with torch.inference_mode():
        fast = mod(x)
        assert mod.__dict__["_int4_cache"][1] is not None  # the kernel path really ran
        with _kernels.disabled():
            slow = mod(x)
    assert fast.dtype == torch.float32 and fast.shape == (m, 256)
    # bfloat16 keeps 8 significant bits: activations, scales and the output each round once
    err = (fast - slow).abs()
    bound = 3 * 2.0 ** -8 * (x.abs() @ mod.dequantized_weight().abs().t()) + 1e-6
    assert bool((err <= bound).all()), float((err - bound).max())
    assert float(err.max()) > 0  # it really is a different (bfloat16) computation


def test_int4_fast_path_tracks_weight_changes_and_keeps_state_dict():
    torch.manual_seed(1)
    lin = nn.Linear(64, 48)
    mod = WeightOnlyLinear.from_float(lin, num_bits=4, group_size=32)
    keys = set(mod.state_dict())
    x = torch.randn(3, 64)
    y1 = mod(x)
    other = WeightOnlyLinear.from_float(nn.Linear(64, 48), num_bits=4, group_size=32)
    mod.load_state_dict(other.state_dict())
    torch.testing.assert_close(mod(x), other(x))
    assert not torch.allclose(mod(x), y1)
    assert set(mod.state_dict()) == keys


def test_int4_fast_path_not_used_when_a_gradient_is_needed():
    lin = nn.Linear(64, 16)
    mod = WeightOnlyLinear.from_float(lin, num_bits=4, group_size=32)
    x = torch.randn(2, 64, requires_grad=True)
    y = mod(x)
    with _kernels.disabled():
        ref = mod(x)
    assert torch.equal(y, ref)  # float32 readable path, exactly
    y.sum().backward()
    assert x.grad is not None


def test_int4_one_call_kernel_equals_the_python_bfloat16_path(monkeypatch):
    torch.manual_seed(3)
    mod = WeightOnlyLinear.from_float(nn.Linear(128, 96), num_bits=4, group_size=32)
    x = torch.randn(2, 9, 128)
    with torch.inference_mode():
        y = mod(x)
        monkeypatch.setattr(_kernels, "available", lambda: False)  # as without a compiler
        y_python = mod(x)
    assert y.shape == (2, 9, 96)
    assert torch.equal(y, y_python)


@needs_kernel
@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 80), groups=st.integers(1, 6), group_size=st.sampled_from([2, 8, 32, 64]),
       n=st.integers(1, 40), seed=st.integers(0, 10_000), bias=st.booleans())
def test_int4_dequantize_then_bfloat16_gemm_equals_the_readable_path(m, groups, group_size, n,
                                                                     seed, bias):
    """``int4_dequant_linear`` (many rows) reads qtlib's own packed codes: every nibble in the
    right place (vectorized 32 at a time, then one by one), within bfloat16 rounding."""
    assert _kernels.available()
    torch.manual_seed(seed)
    k = groups * group_size
    mod = WeightOnlyLinear.from_float(nn.Linear(k, n, bias=bias), num_bits=4,
                                      group_size=group_size)
    x = torch.randn(m, k)
    fast = torch.ops.qtlib.int4_dequant_linear(x, mod.weight_packed, mod.weight_scale,
                                               group_size, mod.bias)
    with _kernels.disabled():
        slow = mod(x)
    bound = 3 * 2.0 ** -8 * (x.abs() @ mod.dequantized_weight().abs().t()) + 1e-5
    assert bool(((fast - slow).abs() <= bound).all())


@needs_kernel
def test_int4_dequantize_kernel_rejects_bad_input_with_clear_errors(kernel):
    mod = WeightOnlyLinear.from_float(nn.Linear(64, 8), num_bits=4, group_size=32)
    x = torch.randn(3, 64)
    with pytest.raises(RuntimeError, match="weight_packed is"):
        kernel.int4_dequant_linear(torch.randn(3, 62), mod.weight_packed, mod.weight_scale, 32,
                                   None)
    with pytest.raises(RuntimeError, match="group_size must divide"):
        kernel.int4_dequant_linear(x, mod.weight_packed, mod.weight_scale, 48, None)
    with pytest.raises(RuntimeError, match="weight_scale must be"):
        kernel.int4_dequant_linear(x, mod.weight_packed, mod.weight_scale[:, :1].contiguous(), 32,
                                   None)


@needs_kernel
def test_the_dequantize_path_is_off_by_default_and_used_when_switched_on(kernel, monkeypatch):
    """Off by default (the chapters' recorded int4 results were made without it); switched on,
    the module's output is the op's."""
    torch.manual_seed(5)
    mod = WeightOnlyLinear.from_float(nn.Linear(128, 64), num_bits=4, group_size=32)
    x = torch.randn(80, 128)
    weights = mod._int4_kernel_weights()
    kernel_path = torch.ops.qtlib.int4_weight_only_linear(x, weights[0], 32, weights[1], mod.bias)
    assert WeightOnlyLinear.dequant_min_rows is None
    assert torch.equal(mod(x), kernel_path)
    monkeypatch.setattr(mod, "dequant_min_rows", 64, raising=False)
    monkeypatch.setattr("qtlib.nn.weight_only._bfloat16_gemm_is_fast", lambda: True)
    dequant = torch.ops.qtlib.int4_dequant_linear(x, mod.weight_packed, mod.weight_scale, 32,
                                                  mod.bias)
    assert torch.equal(mod(x), dequant)
    assert torch.equal(mod(x[:63]), kernel_path[:63])  # below the threshold: torch's kernel
