"""torch.ao per-layer static int8 and the PT2E x86 path (qtlib.reference, ch04)."""

import pytest
import torch
from torch import nn

from qtlib.reference import pt2e_quantize_x86, torch_ao_quantize_static_per_layer


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(16)
        self.fc1, self.fc2 = nn.Linear(16, 32), nn.Linear(32, 16)

    def forward(self, x):
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.norm(x))))


def _model_and_batches():
    torch.manual_seed(0)
    model = nn.Sequential(Block(), Block()).eval()
    return model, [torch.randn(8, 5, 16) for _ in range(4)]


def test_per_layer_static_quantizes_every_linear_and_keeps_the_rest_float():
    model, batches = _model_and_batches()
    q = torch_ao_quantize_static_per_layer(model, batches)
    kinds = {n: type(m).__name__ for n, m in q.named_modules()}
    assert kinds["0.fc1"] == "QuantWrapper" and kinds["0.fc1.module"] == "Linear"
    assert type(q[0].fc1.module).__module__.startswith("torch.ao.nn.quantized")
    assert type(q[0].norm) is nn.LayerNorm
    assert type(model[0].fc1) is nn.Linear, "the input model is not changed"
    x = torch.randn(3, 5, 16)
    with torch.no_grad():
        ref, out = model(x), q(x)
    assert out.dtype == torch.float32 and out.shape == ref.shape
    assert (out - ref).abs().max() < 0.05 * ref.abs().max()


def test_per_layer_static_rejects_bad_input():
    model, batches = _model_and_batches()
    with pytest.raises(ValueError, match="empty"):
        torch_ao_quantize_static_per_layer(model, [])
    with pytest.raises(ValueError, match="quantized engines"):
        torch_ao_quantize_static_per_layer(model, batches, backend="tpu")


def test_pt2e_x86_graph_is_close_to_float_at_any_batch_size():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)).eval()
    batches = [torch.randn(8, 16) for _ in range(4)]
    q = pt2e_quantize_x86(model, batches)
    text = str(q.graph)
    assert "quantize_per_tensor" in text and "dequantize_per_channel" in text
    for n in (1, 8, 13):
        x = torch.randn(n, 16)
        with torch.no_grad():
            ref, out = model(x), q(x)
        assert out.shape == ref.shape
        assert (out - ref).abs().max() < 0.05 * ref.abs().max() + 1e-3
    with pytest.raises(ValueError, match="empty"):
        pt2e_quantize_x86(model, [])
