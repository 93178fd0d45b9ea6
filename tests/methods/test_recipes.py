"""Recipes as configs in a registry: JSON round trip, one path with the functions, bad input."""

import json

import pytest
import torch
from torch import nn

from qtlib.methods import (
    DynamicInt8,
    Float32,
    StaticInt8,
    WeightOnly,
    WeightSharing,
    apply,
    calibrate,
    quantize_dynamic,
    recipe_from_dict,
    registered,
    sweep_recipes,
)
from qtlib.nn import FakeQuantLinear


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(16, 8)
        self.fc1, self.fc2 = nn.Linear(8, 32), nn.Linear(32, 8)

    def forward(self, ids):
        return self.fc2(torch.relu(self.fc1(self.emb(ids))))


CALIB = [torch.randint(0, 16, (4, 6), generator=torch.Generator().manual_seed(i))
         for i in range(3)]


@pytest.mark.parametrize("recipe", sweep_recipes(), ids=lambda r: r.label)
def test_every_registered_variant_round_trips_through_json(recipe):
    text = json.dumps(recipe.to_dict())
    again = recipe_from_dict(json.loads(text))
    assert again == recipe and type(again) is type(recipe)
    assert again.label == recipe.label


def test_apply_is_the_same_path_as_the_function():
    torch.manual_seed(0)
    model = Tiny().eval()
    via_recipe, report = apply(model, DynamicInt8(exclude=("fc2",)))
    via_function, _ = quantize_dynamic(model, exclude="fc2")
    ids = CALIB[0]
    assert torch.equal(via_recipe(ids), via_function(ids))
    assert {e.name for e in report.converted} == {"emb", "fc1"}
    assert type(model.fc1) is nn.Linear, "the input model is never changed"


def test_each_builtin_recipe_applies_and_reports():
    torch.manual_seed(0)
    model = Tiny().eval()
    for recipe in (Float32(), DynamicInt8(), StaticInt8(observer="percentile"),
                   WeightOnly(num_bits=4, group_size=8), WeightSharing(num_clusters=4)):
        new, report = apply(model, recipe, CALIB)
        out = new(CALIB[0])
        assert out.shape == (4, 6, 8) and torch.isfinite(out).all(), recipe.label
        assert recipe.name in registered()


@pytest.mark.parametrize("make, exc, word", [
    (lambda: StaticInt8(observer="kl"), ValueError, "observer"),
    (lambda: WeightOnly(num_bits=9), ValueError, "num_bits"),
    (lambda: WeightOnly(group_size=0), ValueError, "group_size"),
    (lambda: WeightSharing(num_clusters=1), ValueError, "num_clusters"),
    (lambda: DynamicInt8(exclude="fc2"), TypeError, "exclude"),
    (lambda: recipe_from_dict({"method": "gptq9"}), ValueError, "unknown method"),
    (lambda: recipe_from_dict({"method": "static_int8", "bits": 4}), ValueError, "bits"),
    (lambda: apply(Tiny(), StaticInt8()), ValueError, "calibration"),
    (lambda: apply(Tiny(), "dynamic_int8"), TypeError, "recipe"),
])
def test_bad_recipes_name_the_argument(make, exc, word):
    with pytest.raises(exc, match=word):
        make()


def test_calibrate_observes_selected_modules_subclasses_included():
    torch.manual_seed(0)
    model = Tiny().eval()
    model.fc2 = FakeQuantLinear.from_float(model.fc2)
    seen = calibrate(model, CALIB, observer="minmax", exclude="fc1")
    assert set(seen.observers) == {"fc2"} and seen.num_batches == 3
    assert seen.ran("fc2") and not seen.ran("fc1")
    lo, hi = seen.observers["fc2"].range()
    hidden = torch.relu(model.fc1(model.emb(torch.cat(CALIB))))
    assert torch.allclose(lo, torch.minimum(hidden.min(), torch.tensor(0.0)))
    assert torch.allclose(hi, hidden.max())
    assert not model.fc2._forward_pre_hooks, "hooks are removed"
    with pytest.raises(ValueError, match="empty"):
        calibrate(model, [])
    with pytest.raises(ValueError, match="observer"):
        calibrate(model, CALIB, observer="kl")
