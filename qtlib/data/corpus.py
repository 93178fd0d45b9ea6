"""The TinyGPT text corpus: documentation strings of the Python standard library (ch01).

Provenance: ``build_corpus()`` imports the modules in ``CORPUS_MODULES`` (all pure-Python standard
library modules that ship with every CPython 3.11), and collects ``inspect.getdoc`` of each module,
and of its public classes, functions and methods, in sorted order. Each docstring is one
*document*; documents that are not ASCII, are shorter than 40 characters, or repeat an earlier one
are dropped. The result is committed as ``stdlib_docs.txt`` (documents separated by a line holding
only ``\\x1e``) with ``stdlib_docs.json`` (Python version, size, SHA-256), so every machine
trains and evaluates on the same bytes, whatever its Python patch version. Rebuild with
``python -m qtlib.data.build_corpus``. The text is (c) Python Software Foundation, PSF licence.

Splits are fixed and interleaved (no topic shift between them): document ``k`` goes to ``test``
when ``k % 20 == 0``, to ``validation`` when ``k % 20 == 1``, else to ``train``.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import sys
import warnings
from functools import lru_cache
from pathlib import Path

import torch

CORPUS_FILE = Path(__file__).with_name("stdlib_docs.txt")
META_FILE = Path(__file__).with_name("stdlib_docs.json")
DOC_SEPARATOR = "\n\x1e\n"
SPLITS = ("train", "validation", "test")

CORPUS_MODULES: tuple[str, ...] = (
    "abc", "argparse", "ast", "asyncio.base_events", "asyncio.events", "asyncio.locks",
    "asyncio.queues", "asyncio.streams", "asyncio.tasks", "base64", "bisect", "bz2", "calendar",
    "cmd", "codecs", "collections", "colorsys", "concurrent.futures", "configparser", "contextlib",
    "copy", "csv", "dataclasses", "datetime", "decimal", "difflib", "dis", "doctest",
    "email.message", "email.utils", "enum", "filecmp", "fileinput", "fnmatch", "fractions",
    "ftplib", "functools", "getopt", "gettext", "glob", "gzip", "hashlib", "heapq", "hmac",
    "html", "html.parser", "http.client", "http.cookiejar", "http.server", "imaplib",
    "importlib", "inspect", "ipaddress", "json", "json.decoder", "json.encoder", "locale",
    "logging", "logging.handlers", "lzma", "mailbox", "mimetypes", "multiprocessing.pool",
    "netrc", "numbers", "operator", "optparse", "os", "pathlib", "pdb", "pickle", "pickletools",
    "pkgutil", "platform", "plistlib", "poplib", "pprint", "profile", "pstats", "queue",
    "quopri", "random", "re", "reprlib", "sched", "secrets", "selectors", "shelve", "shlex",
    "shutil", "smtplib", "socket", "socketserver", "sqlite3", "ssl", "statistics", "string",
    "subprocess", "symtable", "tarfile", "tempfile", "textwrap", "threading", "timeit",
    "tokenize", "trace", "traceback", "typing", "unittest.case", "unittest.mock",
    "urllib.parse", "urllib.request", "uuid", "warnings", "wave", "weakref", "webbrowser",
    "xml.dom.minidom", "xml.etree.ElementTree", "zipfile", "zipimport", "zoneinfo",
)


def _docstrings_of(module_name: str) -> list[str]:
    with warnings.catch_warnings():  # e.g. touching typing.io warns on Python 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        return _collect(importlib.import_module(module_name))


def _in_stdlib(module_name: str | None) -> bool:
    """Whether ``module_name`` belongs to the standard library (``sys.stdlib_module_names``)."""
    return bool(module_name) and module_name.split(".")[0] in sys.stdlib_module_names


def _collect(module) -> list[str]:
    docs = [inspect.getdoc(module)]
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj):
            docs.append(inspect.getdoc(obj))
            for attr, member in sorted(vars(obj).items()):
                # standard-library methods only: other packages patch stdlib classes
                # (transformers adds Logger.warning_advice), and the corpus must not depend on
                # what else the process imported
                if not attr.startswith("_") and inspect.isfunction(member) \
                        and _in_stdlib(member.__module__):
                    docs.append(inspect.getdoc(member))
        elif inspect.isfunction(obj):
            docs.append(inspect.getdoc(obj))
    return [d for d in docs if d]


def build_corpus() -> list[str]:
    """Collect the documents from the installed standard library (see the module docstring)."""
    seen: set[str] = set()
    documents = []
    for module_name in CORPUS_MODULES:
        for doc in _docstrings_of(module_name):
            doc = doc.strip()
            if len(doc) < 40 or not doc.isascii() or doc in seen or "\x1e" in doc:
                continue
            seen.add(doc)
            documents.append(doc)
    return documents


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def write_corpus() -> dict:
    """Rebuild ``stdlib_docs.txt`` and ``stdlib_docs.json`` from the running Python."""
    documents = build_corpus()
    text = DOC_SEPARATOR.join(documents)
    CORPUS_FILE.write_text(text, encoding="ascii", newline="\n")
    meta = {
        "source": "inspect.getdoc of CPython standard library modules, classes and functions",
        "python_version": sys.version.split()[0],
        "modules": list(CORPUS_MODULES),
        "num_documents": len(documents),
        "num_bytes": len(text.encode("ascii")),
        "sha256": _sha256(text),
        "split_rule": "document k: test if k % 20 == 0, validation if k % 20 == 1, else train",
    }
    META_FILE.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta


@lru_cache(maxsize=1)
def corpus_documents() -> tuple[str, ...]:
    """The committed documents, in order (checked against the SHA-256 in ``stdlib_docs.json``)."""
    text = CORPUS_FILE.read_text(encoding="ascii")
    meta = json.loads(META_FILE.read_text(encoding="utf-8"))
    if _sha256(text) != meta["sha256"]:
        raise ValueError(f"{CORPUS_FILE} does not match the SHA-256 in {META_FILE}; "
                         "rebuild both with `python -m qtlib.data.build_corpus`")
    return tuple(text.split(DOC_SEPARATOR))


def split_of(index: int) -> str:
    """The split of document ``index``: ``"test"``, ``"validation"`` or ``"train"``."""
    return {0: "test", 1: "validation"}.get(index % 20, "train")


def corpus_text(split: str = "train") -> str:
    """All documents of one split, joined by blank lines (ASCII ``str``)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    docs = [d for k, d in enumerate(corpus_documents()) if split_of(k) == split]
    return "\n\n".join(docs) + "\n\n"


def corpus_bytes(split: str = "train") -> torch.Tensor:
    """One split as a 1-D int64 tensor of byte values in 0..255 (TinyGPT's tokens)."""
    data = corpus_text(split).encode("ascii")
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).to(torch.int64)
