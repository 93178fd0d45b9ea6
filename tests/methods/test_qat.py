"""QAT: prepare -> (train) -> convert round-trips on TinyViT and MiniLM; the fine-tuning loop."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from qtlib import data, models
from qtlib.methods import convert_qat, finetune, prepare_qat
from qtlib.nn import DynamicInt8Linear, FakeQuantLinear, WeightOnlyLinear


@pytest.fixture(scope="module")
def vit():
    return models.load("tinyvit-digits")


def test_tinyvit_w8a8_round_trip_gives_the_fake_quant_predictions(vit):
    images, _ = data.digits("test").tensors
    prepared, report = prepare_qat(vit)
    assert report.converted and all(isinstance(m, FakeQuantLinear) for m in prepared.modules()
                                    if isinstance(m, nn.Linear))
    converted, report = convert_qat(prepared)
    assert all(isinstance(m, DynamicInt8Linear) for name, m in converted.named_modules()
               if name in {e.name for e in report.converted})
    with torch.inference_mode():
        fake, real = prepared.eval()(images), converted(images)
    assert (fake.argmax(-1) == real.argmax(-1)).float().mean() >= 0.995
    # float vs int32 accumulation differ by float rounding; where that moves a value across a
    # rounding boundary of the next layer's per-token quantization, the row differs by about one
    # quantization step, which the later layers carry. Most rows are identical to float rounding.
    row_error = (fake - real).abs().amax(dim=-1) / fake.abs().amax()
    assert (row_error <= 1e-5).float().mean() >= 0.9
    assert row_error.max() <= 0.02


def test_tinyvit_weight_only_int4_round_trip(vit):
    images, _ = data.digits("test").tensors
    prepared, _ = prepare_qat(vit, num_bits=4, group_size=16, activations="none")
    converted, report = convert_qat(prepared)
    assert any(e.new_type == "WeightOnlyLinear" for e in report.converted)
    assert any(isinstance(m, WeightOnlyLinear) for m in converted.modules())
    with torch.inference_mode():
        torch.testing.assert_close(converted(images), prepared.eval()(images), rtol=1e-4,
                                   atol=1e-4)


def test_minilm_round_trip_keeps_the_embeddings():
    minilm = models.load("minilm")
    batch = minilm.tokenize(data.sentences()[:8])
    prepared, _ = prepare_qat(minilm)
    converted, _ = convert_qat(prepared)
    with torch.inference_mode():
        fake, real = prepared.eval()(**batch), converted(**batch)
    # one linear agrees to float rounding (1e-5); across 36 quantized linears, values that float
    # rounding moves across a rounding boundary compound, so whole embeddings agree to ~1e-3
    cosine = F.cosine_similarity(fake, real, dim=-1)
    assert cosine.min() > 0.995 and cosine.mean() > 0.998
    layer_p = prepared.bert.encoder.layer[0].attention.self.query
    layer_c = converted.bert.encoder.layer[0].attention.self.query
    x = torch.randn(4, 16, layer_p.in_features)
    torch.testing.assert_close(layer_c(x), layer_p(x), rtol=1e-4, atol=1e-4)


def test_finetune_trains_through_the_straight_through_estimator(vit):
    images, labels = data.digits("train").tensors
    prepared, _ = prepare_qat(vit, num_bits=4, group_size=16, activations="none")
    before = prepared.head.weight.detach().clone() if hasattr(prepared, "head") else None
    batches = list(zip(images[:256].split(64), labels[:256].split(64), strict=True))
    losses = finetune(prepared, batches, F.cross_entropy, epochs=2, lr=1e-3, progress=False)
    assert len(losses) == 8 and all(loss > 0 for loss in losses)
    assert not prepared.training
    if before is not None:
        assert not torch.equal(before, prepared.head.weight)
    with pytest.raises(ValueError, match="max_steps"):
        finetune(prepared, batches, F.cross_entropy, max_steps=0)
    with pytest.raises(ValueError, match="empty"):
        finetune(prepared, [], F.cross_entropy)


def test_bad_qat_settings_name_the_argument(vit):
    with pytest.raises(ValueError, match="activations"):
        prepare_qat(vit, activations="per_tensor_dynamic")
    with pytest.raises(ValueError, match="group_size=None"):
        prepare_qat(vit, num_bits=4, group_size=16)
    with pytest.raises(ValueError, match="scales"):
        prepare_qat(vit, scales="learned")
    plain, report = convert_qat(vit)
    assert not report.converted, "a model without fake-quant layers has nothing to convert"


@pytest.mark.parametrize("scales", ["minmax", "lsq"])
def test_low_bit_qat_converts_to_integer_modules_with_the_trained_codes(vit, scales):
    # W4A4 (per-token 4-bit activations): the converted model stores the fake-quant model's own
    # codes and scales in DynamicInt8Linear, so its predictions agree with the fake-quant model's.
    torch.manual_seed(0)
    prepared, report = prepare_qat(vit, num_bits=4, act_bits=4, scales=scales)
    assert len(report.converted) == 10
    x, y = data.digits("train").tensors
    finetune(prepared, [(x[i:i + 64], y[i:i + 64]) for i in range(0, 256, 64)],
             F.cross_entropy, lr=1e-3, progress=False)
    converted, creport = convert_qat(prepared)
    assert len(creport.converted) == 10 and not creport.skipped
    fq_layer = prepared.blocks[0].mlp.fc1
    int_layer = converted.blocks[0].mlp.fc1
    assert isinstance(int_layer, DynamicInt8Linear)
    codes, scale = fq_layer.weight_codes()
    assert torch.equal(int_layer.weight_int8, codes) and torch.equal(int_layer.weight_scale, scale)
    assert int(codes.abs().max()) <= 8
    test_x = data.digits("test").tensors[0]
    with torch.no_grad():
        agree = (prepared(test_x).argmax(1) == converted(test_x).argmax(1)).float().mean()
    assert agree >= 0.99


def test_finetune_cosine_schedule_and_lr_multipliers(vit):
    # a multiplier of 0 freezes the matching parameters; the others still train
    prepared, _ = prepare_qat(vit, num_bits=4, act_bits=8, scales="lsq",
                              include=("blocks.0.mlp.fc1",))
    layer = prepared.blocks[0].mlp.fc1
    scale0, weight0 = layer.weight_scale.detach().clone(), layer.weight.detach().clone()
    x, y = data.digits("train").tensors
    batches = [(x[i:i + 32], y[i:i + 32]) for i in range(0, 96, 32)]
    finetune(prepared, batches, F.cross_entropy, lr=1e-3, schedule="cosine",
             lr_multipliers={"weight_scale": 0.0}, progress=False)
    assert torch.equal(layer.weight_scale.detach(), scale0)
    assert not torch.equal(layer.weight.detach(), weight0)
    with pytest.raises(ValueError, match="schedule"):
        finetune(prepared, batches, F.cross_entropy, schedule="linear")
