"""Offline data sets of the course (layer 5, beside ``qtlib.models``); nothing here downloads.

- ``digits(split)``: scikit-learn's 8x8 digits, fixed stratified train/test split (TinyViT).
- ``sentences()``, ``paraphrase_pairs()``, ``topics()``: 223 course-written sentences (MiniLM).
- ``corpus_bytes(split)``, ``corpus_text(split)``: Python standard-library docstrings,
  byte-level train/validation/test splits (TinyGPT).
"""

from qtlib.data.corpus import corpus_bytes, corpus_documents, corpus_text
from qtlib.data.digits import digits
from qtlib.data.sentences import paraphrase_pairs, sentence_records, sentences, topics

__all__ = [
    "corpus_bytes",
    "corpus_documents",
    "corpus_text",
    "digits",
    "paraphrase_pairs",
    "sentence_records",
    "sentences",
    "topics",
]
