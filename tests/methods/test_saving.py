"""Saving a quantized model and loading it with torch.load(weights_only=True) (ch04)."""

import pytest
import torch
from torch import nn

from qtlib.methods import (
    DynamicInt8,
    WeightOnly,
    apply,
    build_quantized,
    load_quantized,
    quantized_layout,
    save_quantized,
)
from qtlib.nn import WeightOnlyLinear


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(16, 32)
        self.fc1, self.fc2 = nn.Linear(32, 64), nn.Linear(64, 32, bias=False)

    def forward(self, ids):
        return self.fc2(torch.relu(self.fc1(self.emb(ids))))


@pytest.mark.parametrize("recipe", [WeightOnly(num_bits=4, group_size=32),
                                    WeightOnly(num_bits=3, group_size=None), DynamicInt8()])
def test_round_trip_gives_identical_outputs(tmp_path, recipe):
    torch.manual_seed(0)
    model = Tiny().eval()
    q, _ = apply(model, recipe)
    size = save_quantized(q, tmp_path / "q.pt")
    assert size == (tmp_path / "q.pt").stat().st_size > 0
    again = load_quantized(tmp_path / "q.pt", Tiny().eval())  # fresh, untrained float model
    ids = torch.randint(0, 16, (3, 5))
    assert torch.equal(again(ids), q(ids))
    assert type(again.fc1) is type(q.fc1) and not again.training


def test_int4_file_is_much_smaller_than_float(tmp_path):
    torch.manual_seed(0)
    model = Tiny().eval()
    torch.save(model.state_dict(), tmp_path / "f.pt")
    q, _ = apply(model, WeightOnly(num_bits=4, group_size=32))
    linear_float = 4 * (32 * 64 + 64 * 32)
    linear_int4 = sum(m.weight_packed.numel() + 4 * m.weight_scale.numel()
                      for m in q.modules() if isinstance(m, WeightOnlyLinear))
    saved = save_quantized(q, tmp_path / "q.pt")
    assert linear_int4 < linear_float / 6
    assert saved < (tmp_path / "f.pt").stat().st_size - (linear_float - linear_int4) + 4096


def test_layout_is_plain_data_and_loading_into_the_float_model_fails(tmp_path):
    q, _ = apply(Tiny().eval(), WeightOnly(num_bits=4, group_size=32))
    layout = quantized_layout(q)
    assert layout["fc2"] == {"kind": "WeightOnlyLinear", "args": {
        "in_features": 64, "out_features": 32, "bias": False, "num_bits": 4, "group_size": 32}}
    with pytest.raises(RuntimeError):
        Tiny().load_state_dict(q.state_dict())  # the seed's broken load
    built = build_quantized(Tiny(), layout)
    assert isinstance(built.fc1, WeightOnlyLinear) and isinstance(built.emb, nn.Embedding)


def test_bad_input_names_the_problem(tmp_path):
    with pytest.raises(ValueError, match="no quantized module"):
        save_quantized(Tiny(), tmp_path / "x.pt")
    torch.save({"hello": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a qtlib quantized checkpoint"):
        load_quantized(tmp_path / "other.pt", Tiny())
    with pytest.raises(ValueError, match="no module named"):
        build_quantized(Tiny(), {"nope": {"kind": "WeightOnlyLinear", "args": {}}})
    with pytest.raises(ValueError, match="unknown quantized module kind"):
        build_quantized(Tiny(), {"fc1": {"kind": "Evil", "args": {}}})
