"""What must never reach the learner edition: the text of solution regions and hidden tests."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

BEGIN = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS")
END = ("END SOLUTION", "END HIDDEN TESTS")
MARKERS = BEGIN + END
#: a secret line that is only a keyword, a bracket or a short statement says nothing
TRIVIAL = re.compile(r"^(pass|return|else:|try:|finally:|continue|break|[\)\]\}]+[,:]?"
                     r"|except\b.*:|return \w+|\w+ = \w+|import \w+(\.\w+)*( as \w+)?)$")


def region_lines(source: str) -> tuple[set[str], set[str]]:
    """(lines inside solution/hidden-test regions, lines outside them), stripped, non-blank."""
    inside, outside, depth = set(), set(), False
    for line in source.splitlines():
        s = line.strip()
        if any(m in s for m in BEGIN):
            depth = True
        elif any(m in s for m in END):
            depth = False
        elif s:
            (inside if depth else outside).add(s)
    return inside, outside


def secret_lines(solutions: Path) -> set[str]:
    """Every non-trivial line of every solution region and hidden test under ``solutions``,
    except lines the source also shows outside those regions (those are released anyway)."""
    secret, visible = set(), set()
    for path in sorted(solutions.rglob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            inside, outside = region_lines(cell.source)
            secret |= inside
            visible |= outside
    return {s for s in secret - visible if not TRIVIAL.match(s) and not s.startswith("#")
            or s.startswith("#") and len(s) > 40}


def file_lines(path: Path) -> set[str]:
    """Stripped lines of a text file; of a notebook, the lines of its cells and outputs."""
    text = path.read_text(errors="replace")
    if path.suffix == ".ipynb":
        nb = nbformat.reads(text, as_version=4)
        text = "\n".join(c.source for c in nb.cells) + "\n" + "\n".join(
            str(o.get("text", "")) for c in nb.cells for o in c.get("outputs", []))
    return {line.strip() for line in text.splitlines()}


def leaks(root: Path, secret: set[str]) -> dict[str, list[str]]:
    """Files under ``root`` (not .git) that hold a marker or a secret line -> what they hold."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts):
        try:
            raw = path.read_bytes().decode()
        except UnicodeDecodeError:
            continue  # binary (checkpoints): no source text in it
        hits = [m for m in MARKERS if m in raw]
        hits += sorted(secret & file_lines(path))
        if hits:
            found[path.relative_to(root).as_posix()] = hits
    return found
