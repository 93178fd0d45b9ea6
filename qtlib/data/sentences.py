"""A fixed set of English sentences for MiniLM fidelity and retrieval checks (ch05).

The sentences were written for this course and ship as ``sentences.txt`` next to this module:
10 topics (cooking, sports, computing, nature, health, travel, finance, science, everyday,
history_arts), lengths from one word to about 50 words, and paraphrase pairs (two sentences that
say the same thing in different words) for retrieval checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SENTENCES_FILE = Path(__file__).with_name("sentences.txt")


@dataclass(frozen=True)
class Sentence:
    """One line of the set: its text, topic and paraphrase-pair id (``None`` when unpaired)."""

    text: str
    topic: str
    pair: str | None


@lru_cache(maxsize=1)
def sentence_records() -> tuple[Sentence, ...]:
    """All sentences with their topic and pair id, in file order."""
    records = []
    for lineno, line in enumerate(SENTENCES_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{SENTENCES_FILE}:{lineno}: expected 3 tab-separated fields")
        topic, pair, text = parts
        records.append(Sentence(text=text, topic=topic, pair=None if pair == "-" else pair))
    return tuple(records)


def sentences(topic: str | None = None) -> list[str]:
    """The sentences (223 of them), in a fixed order; only one topic's when ``topic`` is given."""
    records = sentence_records()
    if topic is not None:
        known = sorted({r.topic for r in records})
        if topic not in known:
            raise ValueError(f"topic must be one of {known} or None, got {topic!r}")
        records = tuple(r for r in records if r.topic == topic)
    return [r.text for r in records]


def topics() -> list[str]:
    """The topic of each sentence, aligned with ``sentences()``."""
    return [r.topic for r in sentence_records()]


def paraphrase_pairs() -> list[tuple[int, int]]:
    """Index pairs ``(i, j)`` into ``sentences()`` of sentences that paraphrase each other.

    Each sentence belongs to at most one pair; ``i < j``. For a retrieval check, the nearest
    neighbour of sentence ``i`` (by cosine of embeddings, excluding itself) should be ``j``.
    """
    first: dict[str, int] = {}
    pairs = []
    for index, record in enumerate(sentence_records()):
        if record.pair is None:
            continue
        if record.pair in first:
            pairs.append((first.pop(record.pair), index))
        else:
            first[record.pair] = index
    if first:
        raise ValueError(f"{SENTENCES_FILE}: pair ids without a partner: {sorted(first)}")
    return pairs
