"""qtlib.data: digits split, sentence set, TinyGPT corpus."""

import sys
from collections import Counter

import pytest
import torch

from qtlib.data import (
    corpus_bytes,
    corpus_documents,
    corpus_text,
    digits,
    paraphrase_pairs,
    sentences,
    topics,
)
from qtlib.data.corpus import META_FILE, build_corpus, split_of


def test_digits_layout_and_split():
    train, test = digits("train"), digits("test")
    xtr, ytr = train.tensors
    xte, yte = test.tensors
    assert xtr.shape == (1437, 1, 8, 8) and xte.shape == (360, 1, 8, 8)
    assert xtr.dtype == torch.float32 and ytr.dtype == torch.int64
    assert float(xtr.min()) == 0.0 and float(xtr.max()) == 1.0
    # stratified: every class has 36 (+-1) test images
    counts = torch.bincount(yte, minlength=10)
    assert int(counts.min()) >= 35 and int(counts.max()) <= 37
    # disjoint: no test image appears in train
    train_rows = {tuple(r.tolist()) for r in xtr.flatten(1)}
    assert sum(tuple(r.tolist()) in train_rows for r in xte.flatten(1)) < 5  # a few dupes exist


def test_digits_is_fixed_and_returns_fresh_tensors():
    a = digits("test")
    a.tensors[0].zero_()
    b = digits("test")
    assert float(b.tensors[0].sum()) > 0
    assert torch.equal(b.tensors[1], digits("test").tensors[1])


def test_digits_rejects_unknown_split():
    with pytest.raises(ValueError, match="split must be one of"):
        digits("validation")


def test_sentences_are_many_varied_and_paired():
    texts = sentences()
    assert len(texts) >= 200 and len(set(texts)) == len(texts)
    assert len(set(topics())) >= 8 and len(topics()) == len(texts)
    lengths = [len(t.split()) for t in texts]
    assert min(lengths) <= 2 and max(lengths) >= 35
    pairs = paraphrase_pairs()
    assert len(pairs) >= 40
    flat = [i for p in pairs for i in p]
    assert len(flat) == len(set(flat)) and all(i < j for i, j in pairs)
    assert all(topics()[i] == topics()[j] for i, j in pairs)
    assert sentences("travel") == [t for t, k in zip(texts, topics(), strict=True) if k == "travel"]
    with pytest.raises(ValueError, match="topic must be one of"):
        sentences("astrology")


def test_corpus_splits_partition_the_documents():
    docs = corpus_documents()
    assert len(docs) > 1000
    counts = Counter(split_of(k) for k in range(len(docs)))
    assert counts["test"] == (len(docs) + 19) // 20
    total = sum(len(corpus_text(s)) for s in ("train", "validation", "test"))
    assert total == sum(len(d) + 2 for d in docs)
    t = corpus_bytes("test")
    assert t.dtype == torch.int64 and t.dim() == 1 and int(t.max()) < 128
    assert corpus_text("test").encode() == bytes(t.tolist())
    with pytest.raises(ValueError, match="split must be one of"):
        corpus_bytes("dev")


def test_corpus_build_is_deterministic_and_matches_the_committed_file():
    import json

    import transformers  # noqa: F401 -- it patches logging.Logger: the corpus must not change

    first, second = build_corpus(), build_corpus()
    assert first == second
    meta = json.loads(META_FILE.read_text())
    if sys.version.split()[0] != meta["python_version"]:
        pytest.skip(f"committed corpus was built with Python {meta['python_version']}; "
                    "docstrings differ between patch versions")
    assert tuple(first) == corpus_documents()
