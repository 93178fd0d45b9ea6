"""The zoo: load(), shipped checkpoints meet their targets, deterministic training."""

import pytest
import torch

from qtlib.data import corpus_bytes, digits
from qtlib.eval import accuracy, language_model_loss, unigram_loss
from qtlib.models import checkpoint_record, load
from qtlib.models.train import TRAIN_THREADS, train_tinygpt, train_tinyvit


@pytest.fixture(autouse=True)
def _training_threads():
    """Run as the training script does (1 thread): deterministic, and no oversubscription."""
    threads = torch.get_num_threads()
    torch.set_num_threads(TRAIN_THREADS)
    yield
    torch.set_num_threads(threads)


def test_unknown_name_lists_the_names():
    with pytest.raises(ValueError, match="tinyvit-digits, tinygpt, minilm"):
        load("resnet")


def test_tinyvit_checkpoint_meets_target():
    model = load("tinyvit-digits")
    assert not model.training
    x, _ = digits("test").tensors
    assert model(x[:3]).shape == (3, 10)
    acc = accuracy(model, digits("test"))
    assert acc >= 0.95
    assert acc == pytest.approx(checkpoint_record("tinyvit-digits")["test_accuracy"])
    layer_types = {type(m).__name__ for m in model.modules()}
    assert {"Linear", "LayerNorm"} <= layer_types
    with pytest.raises(ValueError, match=r"images must be float \[N, 1, 8, 8\]"):
        model(torch.zeros(2, 64))


def test_tinygpt_checkpoint_beats_the_unigram_baseline():
    model = load("tinygpt")
    assert not model.training and model.cfg.block_size == 64
    test = corpus_bytes("test")
    lm = language_model_loss(model, test)
    base = unigram_loss(corpus_bytes("train"), test)
    record = checkpoint_record("tinygpt")
    assert lm["bits_per_token"] == pytest.approx(record["test_bits_per_byte"], rel=1e-4)
    assert lm["bits_per_token"] < 0.6 * base["bits_per_token"]
    assert base["bits_per_token"] == pytest.approx(record["unigram_test_bits_per_byte"])
    assert sum(p.numel() for p in model.parameters()) * 4 < 4e6  # small checkpoint
    text = model.generate("def ", max_new_bytes=20)
    assert text.startswith("def ") and len(text) >= 20


def test_tinyvit_training_is_deterministic():
    a, _ = train_tinyvit(epochs=1, progress=False)
    b, _ = train_tinyvit(epochs=1, progress=False)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k


def test_tinygpt_training_is_deterministic_and_learns():
    a, ra = train_tinygpt(steps=6, batch_size=4, evaluate=False, progress=False)
    b, rb = train_tinygpt(steps=6, batch_size=4, evaluate=False, progress=False)
    assert ra["final_train_loss"] == rb["final_train_loss"]
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    assert ra["final_train_loss"] < 5.55  # below log(256): it has started to learn


@pytest.mark.slow
def test_tinyvit_training_reaches_the_target():
    model, record = train_tinyvit(progress=False)
    assert record["test_accuracy"] >= 0.95


def test_perplexity_accepts_torch_ao_dynamic_tinygpt():
    # torch.ao's per-tensor activation scales couple positions slightly, and its new layers say
    # training=True: neither may make qtlib refuse the model.
    from torch import nn
    from torch.ao.quantization import quantize_dynamic

    model = load("tinygpt")
    quantized = quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    tokens = corpus_bytes("test")[:2000]
    ref = language_model_loss(model, tokens)["bits_per_token"]
    got = language_model_loss(quantized, tokens)["bits_per_token"]
    assert abs(got - ref) < 0.2
