"""Secrets of the solution notebooks, and a scan of a published folder for them.

A secret is a line of a solution region (``### BEGIN SOLUTION`` .. ``### END SOLUTION``), of a
hidden test (``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS``) or of a written answer (a
markdown cell with nbgrader ``solution: true``), from ``solutions/``. Lines that are public anyway
are not secrets: those found anywhere in the text of the release notebooks (``chapters/``, every
chapter), and trivial ones (fewer than ``MIN_CHARS`` characters once whitespace is collapsed, such
as ``return x`` or ``else:``). The markers themselves must not appear either (:data:`MARKERS`).

:func:`scan` reads every file under a folder the way a reader or a crawler could: the raw bytes as
text, HTML with its tags removed and entities decoded (highlighted code is split into spans),
JSON and notebooks with their strings decoded (search indexes, ``.ipynb`` downloads), and
reports each secret line found.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

MIN_CHARS = 12
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
REGIONS = (("### BEGIN SOLUTION", "### END SOLUTION"),
           ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))
TEXT_SUFFIXES = {".html", ".htm", ".js", ".json", ".ipynb", ".txt", ".md", ".py", ".xml",
                 ".css", ".svg", ".map", ".inv", ""}


def normalize(text: str) -> str:
    """Whitespace collapsed to single spaces, stripped."""
    return re.sub(r"\s+", " ", text).strip()


def region_lines(source: str) -> list[str]:
    """The lines strictly inside solution and hidden-test regions of ``source``."""
    lines, inside = [], None
    for line in source.splitlines():
        marker = line.strip()
        if inside is None:
            inside = next((end for begin, end in REGIONS if marker.startswith(begin)), None)
        elif marker.startswith(inside):
            inside = None
        else:
            lines.append(line)
    return lines


def secret_lines(solution_nb, public_text: str = "") -> set[str]:
    """The secret lines (normalized) of one solution notebook that ``public_text`` (normalized
    text of the release notebooks) does not contain; see the module doc."""
    secrets = set()
    for cell in solution_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            lines = cell.source.splitlines()
        else:
            lines = region_lines(cell.source)
        secrets.update(normalize(ln) for ln in lines)
    return {s for s in secrets if len(s) >= MIN_CHARS and s not in public_text}


def course_secrets(root: Path) -> dict[str, set[str]]:
    """Secret lines of every chapter in ``root/solutions``, by chapter folder name."""
    public = "\n".join(normalize(cell.source) for path in sorted(root.glob("chapters/ch*/*.ipynb"))
                       for cell in nbformat.read(path, as_version=4).cells)
    return {path.parent.name: secret_lines(nbformat.read(path, as_version=4), public)
            for path in sorted((root / "solutions").glob("ch*/ch*.ipynb"))}


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _json_strings(k) + _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


def readable_texts(path: Path) -> list[str]:
    """The ways ``path`` reads as text (see the module doc), normalized."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    texts = [raw]
    if path.suffix in (".html", ".htm", ".svg", ".xml"):
        texts.append(html.unescape(re.sub(r"<[^>]+>", "", raw)))
    if path.suffix in (".json", ".ipynb", ".js"):
        body = raw
        if path.suffix == ".js":  # searchindex.js: Search.setIndex({...})
            start, end = raw.find("("), raw.rfind(")")
            body = raw[start + 1:end] if 0 <= start < end else ""
        try:
            strings = _json_strings(json.loads(body))
        except ValueError:
            strings = []
        texts.append("\n".join(strings))
        # notebook sources may be lists of lines: join them as written
        texts.append("".join(strings))
    return [normalize(t) for t in texts]


@dataclass(frozen=True)
class Leak:
    """A secret ``line`` of ``chapter`` found in ``path``."""

    path: Path
    chapter: str
    line: str


#: verbatim copies of third-party files (the MathJax distribution of sphinx-mathjax-offline,
#: 24 MB of JavaScript that holds no course text): not scanned, to keep the scan fast
VENDORED = ("_static/mathjax/",)


def scan(folder: Path, secrets: dict[str, set[str]]) -> list[Leak]:
    """Every secret line found in any text file under ``folder``; the nbgrader markers too, in
    chapter files (the instructor pages may name them)."""
    leaks = []
    folder = Path(folder)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if path.suffix.lower() not in TEXT_SUFFIXES or rel.startswith(VENDORED):
            continue
        texts = readable_texts(path)
        if "chapters" in path.relative_to(folder).parts or path.suffix == ".ipynb":
            leaks += [Leak(path, "-", m) for m in MARKERS if any(m in t for t in texts)]
        for chapter, lines in secrets.items():
            for line in lines:
                if any(line in t for t in texts):
                    leaks.append(Leak(path, chapter, line))
    return leaks
