"""Rebuild the TinyGPT corpus: ``python -m qtlib.data.build_corpus`` (see qtlib.data.corpus)."""

from qtlib.data.corpus import CORPUS_FILE, write_corpus

if __name__ == "__main__":
    info = write_corpus()
    print(f"wrote {CORPUS_FILE.name}: {info['num_documents']} documents, {info['num_bytes']} bytes")
