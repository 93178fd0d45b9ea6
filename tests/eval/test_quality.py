"""Quality metrics against hand-computed cases, and their refusals of bad input."""

import math

import pytest
import torch
from eval_helpers import Bigram, DeclaredNonCausal, PositionLogits, SeesTheFuture
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from qtlib.eval import (
    accuracy,
    fidelity,
    language_model_loss,
    model_fidelity,
    nearest_neighbours,
    neighbour_agreement,
    paraphrase_retrieval,
    perplexity,
    unigram_loss,
)

LOGITS = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.5, 0.4, 0.1]])
LABELS = torch.tensor([1, 0, 1, 1])


def logits_loader(batch_size=3):
    return DataLoader(TensorDataset(LOGITS, LABELS), batch_size=batch_size)


def test_accuracy_top1_and_top2():
    model = nn.Identity().eval()  # inputs are the logits
    assert accuracy(model, logits_loader()) == 0.5
    assert accuracy(model, logits_loader(), top_k=2) == 1.0
    assert accuracy(model, TensorDataset(LOGITS, LABELS)) == 0.5  # a Dataset is batched for you


def test_accuracy_bad_input():
    model = nn.Identity().eval()
    with pytest.raises(ValueError, match="empty"):
        accuracy(model, [])
    with pytest.raises(ValueError, match=r"eval\(\)"):
        accuracy(nn.Sequential(nn.Dropout()).train(), logits_loader())
    with pytest.raises(ValueError, match="shape mismatch"):
        accuracy(model, [(LOGITS, LABELS[:3])])
    with pytest.raises(ValueError, match="top_k=4 exceeds"):
        accuracy(model, logits_loader(), top_k=4)
    with pytest.raises(TypeError, match=r"\(inputs, labels\)"):
        accuracy(model, [LOGITS])


def _log_sigmoid_position(p):
    """log P(token 0) when logits are [p, 0]."""
    return p - math.log(math.exp(p) + 1)


@pytest.mark.parametrize(("stride", "positions"), [
    (4, [0, 1, 2, 3, 0, 1]),   # windows [0:4] and [4:6]
    (2, [0, 1, 2, 3, 2, 3]),   # second window [2:6] scores its last 2
    (1, [0, 1, 2, 3, 3, 3]),   # each later window scores only its last prediction
])
def test_perplexity_windowing_hand_computed(stride, positions):
    tokens = torch.zeros(7, dtype=torch.int64)
    out = language_model_loss(PositionLogits().eval(), tokens, context_length=4, stride=stride)
    nll = -sum(_log_sigmoid_position(p) for p in positions) / 6
    assert out["num_tokens"] == 6
    assert out["nll"] == pytest.approx(nll)
    assert out["perplexity"] == pytest.approx(math.exp(nll))
    assert out["bits_per_token"] == pytest.approx(nll / math.log(2))


def test_perplexity_of_a_bigram_model():
    table = torch.tensor([[0.25, 0.75], [0.6, 0.4]])
    tokens = torch.tensor([0, 1, 0, 1, 1])
    expected = math.exp(-(math.log(0.75) + math.log(0.6) + math.log(0.75) + math.log(0.4)) / 4)
    for stride in (1, 2, 3):
        ppl = perplexity(Bigram(table).eval(), tokens, context_length=3, stride=stride)
        assert ppl == pytest.approx(expected)


def test_perplexity_bad_input():
    model = PositionLogits().eval()
    tokens = torch.zeros(10, dtype=torch.int64)
    with pytest.raises(ValueError, match="not causal"):
        perplexity(SeesTheFuture().eval(), torch.arange(10) % 2, context_length=4)
    with pytest.raises(ValueError, match="is_causal is False"):
        perplexity(DeclaredNonCausal().eval(), tokens, context_length=4)
    with pytest.raises(ValueError, match="1-D int64"):
        perplexity(model, tokens.float(), context_length=4)
    with pytest.raises(ValueError, match="at least 2"):
        perplexity(model, tokens[:1], context_length=4)
    with pytest.raises(ValueError, match="stride"):
        perplexity(model, tokens, context_length=4, stride=5)
    with pytest.raises(ValueError, match="context_length"):
        perplexity(model, tokens)
    with pytest.raises(ValueError, match=r"eval\(\)"):
        perplexity(model.train(), tokens, context_length=4)
    with pytest.raises(ValueError, match=r"\[B, T, vocab\]"):
        perplexity(nn.Sequential(nn.Embedding(2, 3), nn.Flatten()).eval(), tokens,
                   context_length=4)
    with pytest.raises(ValueError, match=r"\[B, T, vocab\]"):
        perplexity(nn.Sequential(nn.Embedding(2, 3), nn.Flatten()).eval(), tokens,
                   context_length=4, check_causal=False)


def test_unigram_baseline():
    out = unigram_loss(torch.tensor([0, 0, 1]), torch.tensor([0, 1]), vocab_size=2)
    assert out["nll"] == pytest.approx(-(math.log(0.6) + math.log(0.4)) / 2)


def test_fidelity_hand_computed():
    ref = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    cand = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    out = fidelity(ref, cand, logits=True)
    assert out["cosine_mean"] == pytest.approx((1 + 1 / math.sqrt(2)) / 2)
    assert out["cosine_min"] == pytest.approx(1 / math.sqrt(2))
    assert out["sqnr_db"] == pytest.approx(10 * math.log10(2))
    assert out["top1_agreement"] == 0.5  # argmax of [1, 1] is 0
    p = [math.exp(0) / (1 + math.e), math.e / (1 + math.e)]
    kl = sum(pi * math.log(pi / 0.5) for pi in p) / 2
    assert out["kl_divergence"] == pytest.approx(kl)
    same = fidelity(ref, ref)
    assert same["sqnr_db"] == math.inf and same["cosine_min"] == pytest.approx(1.0)
    assert "kl_divergence" not in same


def test_fidelity_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        fidelity(torch.zeros(2, 3), torch.zeros(3, 2))
    with pytest.raises(TypeError):
        fidelity([1.0], torch.zeros(1))
    with pytest.raises(ValueError, match="empty"):
        fidelity(torch.zeros(0, 3), torch.zeros(0, 3))


def test_model_fidelity():
    torch.manual_seed(0)
    ref = nn.Linear(8, 4).eval()
    noisy = nn.Linear(8, 4).eval()
    noisy.load_state_dict(ref.state_dict())
    with torch.no_grad():
        noisy.weight.add_(0.01 * torch.randn_like(noisy.weight))
    batches = [torch.randn(5, 8) for _ in range(3)]
    out = model_fidelity(ref, noisy, batches, logits=True)
    assert 0.99 < out["cosine_mean"] < 1.0 and 20 < out["sqnr_db"] < 80
    with torch.no_grad():
        direct = fidelity(torch.cat([ref(b) for b in batches]),
                          torch.cat([noisy(b) for b in batches]), logits=True)
    assert out == pytest.approx(direct)
    with pytest.raises(ValueError, match="empty"):
        model_fidelity(ref, noisy, [])


def test_neighbours_and_retrieval():
    emb = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 1.0]])
    assert nearest_neighbours(emb).tolist() == [1, 0, 3, 2]
    assert paraphrase_retrieval(emb, [(0, 1), (2, 3)]) == 1.0
    assert paraphrase_retrieval(emb, [(0, 2), (1, 3)]) == 0.0
    swapped = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1], [0.1, 1.0]])
    assert neighbour_agreement(emb, swapped) == pytest.approx(0.0)
    assert neighbour_agreement(emb, emb) == 1.0
