"""GPTQ (ch04): lower layer-output error than round-to-nearest, storage, the column step, errors."""

import pytest
import torch
from torch import nn

from qtlib.methods import GPTQ, apply, gptq_column_update, gptq_quantize_weight, registered
from qtlib.methods.gptq import (
    hessian_from_inputs,
    inverse_hessian_factor,
    layer_output_error,
    weight_only_linear_from_codes,
)
from qtlib.nn import WeightOnlyLinear


def correlated_inputs(n, d, seed):
    g = torch.Generator().manual_seed(seed)
    mix = torch.eye(d) + 0.3 * torch.randn(d, d, generator=g) / d**0.5
    scale = torch.exp(torch.randn(d, generator=g))  # channels of very different size
    return (torch.randn(n, d, generator=g) * scale) @ mix


def rtn_and_gptq_errors(weight, x, num_bits, group_size, act_order=False):
    lin = nn.Linear(weight.shape[1], weight.shape[0], bias=False)
    lin.weight.data = weight.clone()
    codes, scale = gptq_quantize_weight(weight, hessian_from_inputs(x), num_bits=num_bits,
                                        group_size=group_size, act_order=act_order)
    q = weight_only_linear_from_codes(lin, codes, scale, num_bits, group_size)
    r = WeightOnlyLinear.from_float(lin, num_bits=num_bits, group_size=group_size)
    return (layer_output_error(weight, q.dequantized_weight(), x),
            layer_output_error(weight, r.dequantized_weight(), x))


@pytest.mark.parametrize("num_bits, group_size, act_order", [
    (4, 32, False), (3, 64, False), (4, None, False), (3, 32, True)])
def test_gptq_beats_round_to_nearest_on_random_weights(num_bits, group_size, act_order):
    w = torch.randn(48, 128, generator=torch.Generator().manual_seed(num_bits))
    x = correlated_inputs(1024, 128, seed=1)
    gptq, rtn = rtn_and_gptq_errors(w, x, num_bits, group_size, act_order)
    assert gptq < 0.8 * rtn, (gptq, rtn)


def test_gptq_beats_round_to_nearest_on_real_weights_and_inputs():
    from qtlib.data import corpus_bytes
    from qtlib.models import load

    model = load("tinygpt")
    layer = model.blocks[1].mlp.fc2  # 512 -> 128, inputs after GELU
    seen = []
    hook = layer.register_forward_pre_hook(lambda _m, a: seen.append(a[0].reshape(-1, 512)))
    with torch.no_grad():
        model(corpus_bytes("train")[:64 * 16].reshape(16, 64))
    hook.remove()
    x = torch.cat(seen)
    gptq, rtn = rtn_and_gptq_errors(layer.weight.detach(), x, 3, 128)
    assert gptq < 0.9 * rtn, (gptq, rtn)


def test_codes_scales_shapes_and_ranges():
    w = torch.randn(8, 64)
    h = hessian_from_inputs(correlated_inputs(256, 64, seed=2))
    codes, scale = gptq_quantize_weight(w, h, num_bits=3, group_size=16)
    assert codes.dtype == torch.int8 and codes.shape == (8, 64)
    assert scale.dtype == torch.float32 and scale.shape == (8, 4)
    assert int(codes.min()) >= -4 and int(codes.max()) <= 3
    codes, scale = gptq_quantize_weight(w, h, num_bits=4, group_size=None)
    assert scale.shape == (8,) and int(codes.min()) >= -8 and int(codes.max()) <= 7
    assert torch.equal(w, w.clone()), "the weight given is not changed"


def test_result_does_not_depend_on_block_size():
    w = torch.randn(16, 128, generator=torch.Generator().manual_seed(3))
    h = hessian_from_inputs(correlated_inputs(512, 128, seed=3))
    a = gptq_quantize_weight(w, h, group_size=32, block_size=32)
    b = gptq_quantize_weight(w, h, group_size=32, block_size=128)
    assert (a[0] != b[0]).float().mean() < 0.01 and torch.allclose(a[1], b[1], rtol=1e-4)


def test_one_column_update_matches_the_formula():
    torch.manual_seed(4)
    w = torch.randn(5, 6)
    u = inverse_hessian_factor(hessian_from_inputs(correlated_inputs(64, 6, seed=4)))
    scale = w.abs().amax(dim=1) / 7.5
    new, codes = gptq_column_update(w, u[2], 2, scale, num_bits=4)
    q = torch.clamp(torch.round(w[:, 2] / scale), -8, 7)
    err = (w[:, 2] - q * scale) / u[2, 2]
    assert torch.equal(codes, q.to(torch.int8))
    assert torch.allclose(new[:, 3:], w[:, 3:] - err[:, None] * u[2, 3:], atol=1e-6)
    assert torch.equal(new[:, :2], w[:, :2]) and torch.allclose(new[:, 2], q * scale)


def test_dead_inputs_give_zero_weights():
    x = correlated_inputs(256, 32, seed=5)
    x[:, 7] = 0
    codes, _ = gptq_quantize_weight(torch.randn(4, 32), hessian_from_inputs(x), group_size=8)
    assert (codes[:, 7] == 0).all()


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.odd = nn.Linear(32, 64), nn.Linear(64, 32), nn.Linear(32, 30)

    def forward(self, x):
        return self.odd(self.fc2(torch.relu(self.fc1(x))))


def test_recipe_converts_every_layer_and_is_registered():
    torch.manual_seed(0)
    model = Tiny().eval()
    calib = [torch.randn(16, 32) for _ in range(3)]
    new, report = apply(model, GPTQ(num_bits=4, group_size=32), calib)
    assert {e.name for e in report.converted} == {"fc1", "fc2", "odd"}
    assert all(type(getattr(new, n)) is WeightOnlyLinear for n in ("fc1", "fc2", "odd"))
    assert new.fc1.weight_packed.dtype == torch.uint8 and new.fc1.weight_packed.shape == (64, 16)
    assert type(model.fc1) is nn.Linear, "the input model is not changed"
    assert registered()["gptq"] is GPTQ and GPTQ.needs_calibration
    assert GPTQ(num_bits=3, group_size=128).label == "gptq_int3 g128"
    _, report = apply(model, GPTQ(num_bits=4, group_size=64), calib)
    assert {e.name for e in report.converted} == {"fc2"}  # 64 does not divide 32


@pytest.mark.parametrize("call, exc, word", [
    (lambda: gptq_quantize_weight(torch.randn(4, 8), torch.eye(6)), ValueError, "hessian"),
    (lambda: gptq_quantize_weight(torch.randn(4, 8), torch.eye(8), group_size=3), ValueError,
     "group_size"),
    (lambda: gptq_quantize_weight(torch.randn(4, 8), torch.eye(8), num_bits=1), ValueError,
     "num_bits"),
    (lambda: gptq_quantize_weight(torch.randn(8), torch.eye(8)), TypeError, "weight"),
    (lambda: gptq_quantize_weight(torch.randn(4, 8), -torch.eye(8), group_size=8, damp=0),
     ValueError, "positive definite"),
    (lambda: apply(Tiny(), GPTQ()), ValueError, "calibration"),
    (lambda: apply(Tiny(), GPTQ(), []), ValueError, "calibration"),
    (lambda: GPTQ(damp=-1), ValueError, "damp"),
])
def test_bad_input_names_the_problem(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
