"""qtlib.nn modules: exact int8 matmul, agreement with torch.ao, packing, state dicts."""

import io
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from qtlib.nn import (
    DynamicInt8Linear,
    FakeQuantLinear,
    Int8Embedding,
    StaticInt8Linear,
    WeightOnlyLinear,
    WeightSharedLinear,
    int8_matmul,
    quantize_per_token_int8,
    state_bytes,
)
from qtlib.quant import QuantSpec, choose_qparams, dequantize, fake_quantize, quantize


def _linear(k, n, seed=0, bias=True):
    torch.manual_seed(seed)
    return nn.Linear(k, n, bias=bias)


@settings(max_examples=30, deadline=None)
@given(m=st.integers(1, 40), k=st.integers(1, 70), n=st.integers(1, 40), seed=st.integers(0, 999))
def test_int8_matmul_is_exact(m, k, n, seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.randint(-128, 128, (m, k), generator=g, dtype=torch.int8)
    w = torch.randint(-128, 128, (n, k), generator=g, dtype=torch.int8)
    out = int8_matmul(a, w)
    assert out.dtype == torch.int32
    assert torch.equal(out.double(), a.double() @ w.double().t())


def test_int8_matmul_extremes_and_errors():
    a = torch.full((3, 1536), -128, dtype=torch.int8)
    w = torch.full((5, 1536), -128, dtype=torch.int8)
    assert int(int8_matmul(a, w)[0, 0]) == 128 * 128 * 1536
    assert int8_matmul(torch.zeros(0, 4, dtype=torch.int8), torch.zeros(2, 4, dtype=torch.int8)
                       ).shape == (0, 2)
    with pytest.raises(TypeError, match="int8"):
        int8_matmul(a.float(), w)
    with pytest.raises(ValueError, match="need a"):
        int8_matmul(a, w[:, :10])


def test_fast_per_token_quantization_equals_qtlib_quant():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 96, generator=g) * torch.logspace(-3, 3, 64)[:, None]
    x[3] = 0.0  # a zero row gets scale eps
    x[5, 7] = 1e4  # an outlier only affects its own row
    x[9] = torch.arange(96) - 47.5  # exact .5 ties
    q, s = quantize_per_token_int8(x)
    spec = DynamicInt8Linear.default_act_spec
    s2, z2 = choose_qparams(x, spec)
    assert torch.equal(s.squeeze(1), s2)
    assert torch.equal(q, quantize(x, s2, z2, spec))


def test_dynamic_linear_equals_float_reference_from_same_integers():
    lin = _linear(96, 40)
    mod = DynamicInt8Linear.from_float(lin)
    x = torch.randn(2, 7, 96)
    q, s = quantize_per_token_int8(x.reshape(-1, 96))
    ref = (q.double() @ mod.weight_int8.double().t()) * s.double() * mod.weight_scale.double()
    ref = (ref + lin.bias.double()).reshape(2, 7, 40)
    y = mod(x)
    assert y.shape == (2, 7, 40) and y.dtype == torch.float32
    torch.testing.assert_close(y.double(), ref, rtol=1e-6, atol=1e-6)
    # and the weight is the per-channel symmetric int8 of the float weight
    spec = DynamicInt8Linear.weight_spec
    s_w, z_w = choose_qparams(lin.weight.detach(), spec)
    assert torch.equal(mod.weight_int8, quantize(lin.weight.detach(), s_w, z_w, spec))


def _ao_dynamic(lin):
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize_dynamic(nn.Sequential(lin), {nn.Linear: per_channel_dynamic_qconfig})


#: torch.ao/fbgemm dynamic activations: one uint8 affine scale per tensor, reduce_range [0, 127]
AO_ACT = QuantSpec(num_bits=7, signed=False, symmetric=False)


@pytest.mark.parametrize("seed", range(3))
def test_dynamic_linear_agrees_with_torch_ao_within_one_output_step(seed):
    lin = _linear(128, 64, seed=seed)
    x = torch.randn(32, 128) * (seed + 1)
    ao = _ao_dynamic(lin)(x)
    ref = lin(x).detach()
    step = float(ref.max() - ref.min()) / 255  # one step of an 8-bit output grid
    same_recipe = DynamicInt8Linear.from_float(lin, act_spec=AO_ACT)(x)
    assert float((same_recipe - ao).abs().max()) <= step
    assert "uint7 affine per_tensor" in repr(DynamicInt8Linear.from_float(lin, act_spec=AO_ACT))
    # the default (per-token int8) recipe is closer to float than torch.ao's
    ours = DynamicInt8Linear.from_float(lin)(x)
    assert (ours - ref).abs().mean() < (ao - ref).abs().mean()


def test_per_token_activations_isolate_an_outlier_token():
    lin = _linear(128, 64, seed=1)
    x = torch.randn(32, 128)
    x[0] *= 100
    ours, ao, ref = DynamicInt8Linear.from_float(lin)(x), _ao_dynamic(lin)(x), lin(x).detach()
    err_ours = (ours - ref)[1:].abs().mean()
    err_ao = (ao - ref)[1:].abs().mean()
    assert err_ours < err_ao / 10


def test_static_linear_agrees_with_torch_ao_within_one_output_step():
    from torch.ao import quantization as tq

    lin = _linear(64, 48, seed=2)
    calib = [torch.randn(16, 64) for _ in range(4)]

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.quant, self.lin, self.dequant = tq.QuantStub(), lin, tq.DeQuantStub()

        def forward(self, x):
            return self.dequant(self.lin(self.quant(x)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Wrap().eval()
        model.qconfig = tq.get_default_qconfig("fbgemm")
        prepared = tq.prepare(model)
        for b in calib:
            prepared(b)
        ao = tq.convert(prepared)
    # torch.ao's fbgemm activations: uint8 affine with reduce_range, i.e. [0, 127]
    act_spec = QuantSpec(num_bits=7, signed=False, symmetric=False)
    ours = StaticInt8Linear.from_float(lin, act_scale=ao.quant.scale, act_spec=act_spec,
                                       act_zero_point=ao.quant.zero_point)
    x = torch.cat(calib)
    y_ao, y = ao(x), ours(x)
    assert float((y - y_ao).abs().max()) <= float(ao.lin.scale)
    assert float((y - lin(x).detach()).abs().max()) > 0  # a real quantized computation, not a copy


def test_static_linear_unsigned_and_signed_specs_agree():
    lin = _linear(32, 16, seed=3)
    x = torch.randn(10, 32)
    outs = []
    for spec in (QuantSpec(symmetric=False), QuantSpec(signed=False, symmetric=False)):
        s, z = choose_qparams(x, spec)
        mod = StaticInt8Linear.from_float(lin, act_scale=s, act_zero_point=z, act_spec=spec)
        x_fq = fake_quantize(x, s, z, spec)
        w_fq = dequantize(mod.weight_int8, mod.weight_scale,
                          torch.zeros(16, dtype=torch.int32), mod.weight_spec)
        torch.testing.assert_close(mod(x), nn.functional.linear(x_fq, w_fq, lin.bias),
                                   rtol=1e-5, atol=1e-5)
        outs.append(mod(x))
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("num_bits,group_size", [(8, None), (4, 16), (4, None), (2, 8), (3, 16)])
def test_weight_only_linear(num_bits, group_size):
    lin = _linear(64, 24, seed=4)
    mod = WeightOnlyLinear.from_float(lin, num_bits=num_bits, group_size=group_size)
    codes = mod.weight_codes()
    assert codes.dtype == torch.int8 and codes.shape == (24, 64)
    assert int(codes.min()) >= -(2 ** (num_bits - 1)) and int(codes.max()) < 2 ** (num_bits - 1)
    if num_bits in (2, 4):
        assert mod.weight_packed.dtype == torch.uint8
        assert mod.weight_packed.shape == (24, 64 * num_bits // 8)
    spec = mod.weight_spec
    s, z = choose_qparams(lin.weight.detach(), spec)
    assert torch.equal(codes, quantize(lin.weight.detach(), s, z, spec))
    x = torch.randn(5, 64)
    torch.testing.assert_close(
        mod(x), nn.functional.linear(x, fake_quantize(lin.weight.detach(), s, z, spec), lin.bias))
    assert f"int{num_bits}" in repr(mod)


def test_weight_only_group_size_must_divide():
    with pytest.raises(ValueError, match="group_size=24 does not divide"):
        WeightOnlyLinear.from_float(_linear(64, 8), num_bits=4, group_size=24)


def test_int8_embedding_per_row():
    torch.manual_seed(5)
    emb = nn.Embedding(50, 16, padding_idx=0)
    emb.weight.data[3] *= 1e-3  # a small row keeps its own precision
    mod = Int8Embedding.from_float(emb)
    ids = torch.tensor([[0, 3, 7], [49, 3, 1]])
    ref = emb(ids).detach()
    out = mod(ids)
    assert out.shape == (2, 3, 16)
    assert torch.equal(out[0, 0], torch.zeros(16))
    # half a step (the row's max lands on code 127.5 and clips to 127) plus float32 rounding
    bound = mod.weight_scale[ids].unsqueeze(-1) / 2 + 4 * torch.finfo().eps * ref.abs()
    assert bool(((out - ref).abs() <= bound).all())
    assert float(mod.weight_scale[3]) < float(mod.weight_scale[7]) / 100
    with pytest.raises(TypeError, match="ids"):
        mod(torch.tensor([0.5]))
    with pytest.raises(ValueError, match="max_norm"):
        Int8Embedding.from_float(nn.Embedding(4, 4, max_norm=1.0))


@pytest.mark.parametrize("k", [16, 8, 4, 2])
def test_weight_shared_linear(k):
    lin = _linear(48, 20, seed=6)
    mod = WeightSharedLinear.from_float(lin, num_clusters=k)
    w = mod.shared_weight()
    assert torch.unique(w).numel() <= k
    assert bool((mod.codebook[1:] >= mod.codebook[:-1]).all())
    # every weight sits on its nearest centroid
    d = (lin.weight.detach().reshape(-1, 1) - mod.codebook.reshape(1, -1)).abs()
    assert torch.equal(mod.indices().reshape(-1), d.argmin(1))
    # deterministic
    again = WeightSharedLinear.from_float(lin, num_clusters=k)
    assert torch.equal(again.indices_packed, mod.indices_packed)
    assert torch.equal(again.codebook, mod.codebook)
    x = torch.randn(3, 48)
    torch.testing.assert_close(mod(x), nn.functional.linear(x, w, lin.bias))
    bits = max(1, (k - 1).bit_length())
    assert mod.indices_packed.numel() == pytest.approx(48 * 20 * bits / 8, abs=20)


def test_weight_shared_error_falls_with_more_clusters():
    lin = _linear(64, 64, seed=7)
    errs = [float((WeightSharedLinear.from_float(lin, num_clusters=k).shared_weight()
                   - lin.weight.detach()).pow(2).mean()) for k in (2, 4, 16, 64)]
    assert errs == sorted(errs, reverse=True)


def test_fake_quant_linear_forward_and_gradient():
    lin = _linear(32, 8, seed=8)
    act = QuantSpec(granularity="per_token")
    mod = FakeQuantLinear.from_float(lin, act_spec=act)
    x = torch.randn(4, 32)
    ws = mod.weight_spec
    s, z = choose_qparams(lin.weight.detach(), ws)
    sx, zx = choose_qparams(x, act)
    ref = nn.functional.linear(fake_quantize(x, sx, zx, act),
                               fake_quantize(lin.weight.detach(), s, z, ws), lin.bias)
    torch.testing.assert_close(mod(x), ref)
    mod(x).sum().backward()
    assert mod.weight.grad is not None and float(mod.weight.grad.abs().sum()) > 0


def _all_modules():
    lin = _linear(64, 32, seed=9)
    calib = torch.randn(8, 64)
    s, z = choose_qparams(calib, QuantSpec(symmetric=False))
    return [
        (DynamicInt8Linear.from_float(lin), lambda: DynamicInt8Linear(64, 32)),
        (StaticInt8Linear.from_float(lin, act_scale=s, act_zero_point=z),
         lambda: StaticInt8Linear(64, 32)),
        (WeightOnlyLinear.from_float(lin), lambda: WeightOnlyLinear(64, 32)),
        (WeightOnlyLinear.from_float(lin, num_bits=4, group_size=16),
         lambda: WeightOnlyLinear(64, 32, num_bits=4, group_size=16)),
        (WeightSharedLinear.from_float(lin, num_clusters=8),
         lambda: WeightSharedLinear(64, 32, num_clusters=8)),
        (FakeQuantLinear.from_float(lin), lambda: FakeQuantLinear(64, 32)),
    ]


@pytest.mark.parametrize("i", range(6))
def test_state_dict_round_trip(i):
    mod, fresh = _all_modules()[i]
    buf = io.BytesIO()
    torch.save(mod.state_dict(), buf)
    buf.seek(0)
    new = fresh()
    new.load_state_dict(torch.load(buf))
    x = torch.randn(3, 64)
    assert torch.equal(new(x), mod(x))


def test_state_dict_sizes_tell_the_truth():
    lin = _linear(384, 1536, seed=10)

    def saved(m):
        buf = io.BytesIO()
        torch.save(m.state_dict(), buf)
        return buf.getbuffer().nbytes

    f32 = saved(lin)
    assert saved(DynamicInt8Linear.from_float(lin)) < 0.27 * f32
    assert saved(WeightOnlyLinear.from_float(lin, num_bits=4, group_size=64)) < 0.15 * f32
    assert saved(WeightSharedLinear.from_float(lin, num_clusters=16)) < 0.14 * f32
    for m in (DynamicInt8Linear.from_float(lin), WeightSharedLinear.from_float(lin)):
        assert abs(saved(m) - state_bytes(m)) < 4096  # only torch.save's headers on top
    sd = DynamicInt8Linear.from_float(lin).state_dict()
    assert sd["weight_int8"].dtype == torch.int8


def test_bad_module_and_input():
    with pytest.raises(TypeError, match="torch.nn.Linear"):
        DynamicInt8Linear.from_float(nn.Conv1d(2, 2, 1))
    lin = _linear(8, 4)
    with torch.no_grad():
        lin.weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="module.weight contains 1 NaN"):
        WeightOnlyLinear.from_float(lin)
    mod = DynamicInt8Linear.from_float(_linear(8, 4))
    with pytest.raises(ValueError, match=r"\[\.\.\., 8\]"):
        mod(torch.randn(3, 7))
    with pytest.raises(TypeError, match="floating-point"):
        mod(torch.ones(3, 8, dtype=torch.long))
    with pytest.raises(ValueError, match="act_observer"):
        StaticInt8Linear.from_float(_linear(8, 4))


def test_outputs_survive_later_calls_despite_scratch_reuse():
    mod = DynamicInt8Linear.from_float(_linear(32, 16, seed=11))
    x1, x2 = torch.randn(5, 32), torch.randn(7, 32) * 3
    y1 = mod(x1)
    kept = y1.clone()
    y2 = mod(x2)
    assert torch.equal(y1, kept) and y2.shape == (7, 16)
    q, s = quantize_per_token_int8(x1)  # the public function returns fresh tensors
    q2, _ = quantize_per_token_int8(x2)
    assert q.data_ptr() != q2.data_ptr()


def test_inference_mode_then_no_grad_then_grad_mode():
    # scratch buffers made under inference_mode are inference tensors; a later call outside it
    # must not try to write into them (a learner switches between the two all the time)
    mod = DynamicInt8Linear.from_float(_linear(32, 16, seed=12))
    x = torch.randn(6, 32)
    with torch.inference_mode():
        y_inference = mod(x).clone()
    with torch.no_grad():
        y_no_grad = mod(x)
    y_grad_mode = mod(x)
    assert torch.equal(y_inference, y_no_grad) and torch.equal(y_no_grad, y_grad_mode)
