"""Record the slow results a chapter's notebook reads, so a learner's first run takes minutes
less (instructors: ``make record CHAPTER=ch05_evaluation_and_optimization``).

The chapter's solution notebook is executed once with an empty cache and
``QTLIB_IGNORE_RECORDED=1`` (so everything is measured), then the entries of the chapter's
namespaces are copied into ``qtlib/recorded/`` (:func:`qtlib.utils.cache.record_cache`). Commit
the result with the machine's description: the figures are this machine's, and the notebook
re-measures some of them live to show they still hold.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from qtlib.utils.cache import RECORDED_DIR, record_cache

#: chapter folder -> the cache namespaces its notebook reads that are worth recording
RECORDED_NAMESPACES: dict[str, tuple[str, ...]] = {
    "ch05_evaluation_and_optimization": ("sweeps/ch05", "sweeps/ch05_quality", "ch05_torchao"),
}


def record(chapter: str, solutions: Path, *, timeout_s: int = 3600,
           namespaces: Sequence[str] | None = None, dest: Path = RECORDED_DIR) -> list[Path]:
    """Execute ``solutions/<chapter>/<chapter>.ipynb`` cold and record its namespaces.

    ``namespaces`` defaults to the chapter's entry of :data:`RECORDED_NAMESPACES`; ``dest`` to
    the package's record folder. The caller's ``QTLIB_CACHE_DIR`` and ``QTLIB_IGNORE_RECORDED``
    are restored afterwards, also when a cell fails. Returns the recorded files. Raises
    ``KeyError`` naming the known chapters if ``chapter`` records nothing, and nbclient's
    ``CellExecutionError`` if a cell fails.
    """
    if namespaces is None:
        if chapter not in RECORDED_NAMESPACES:
            raise KeyError(f"chapter {chapter!r} records nothing; known: "
                           f"{sorted(RECORDED_NAMESPACES)} (add its namespaces to "
                           "qtlib.experiments.record.RECORDED_NAMESPACES)")
        namespaces = RECORDED_NAMESPACES[chapter]
    import nbformat
    from nbclient import NotebookClient

    notebook = Path(solutions) / chapter / f"{chapter}.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    saved = {k: os.environ.get(k) for k in ("QTLIB_CACHE_DIR", "QTLIB_IGNORE_RECORDED")}
    with tempfile.TemporaryDirectory(prefix="qtlib-record-") as tmp:
        os.environ.update(QTLIB_CACHE_DIR=tmp, QTLIB_IGNORE_RECORDED="1")
        try:
            NotebookClient(nb, timeout=timeout_s, kernel_name="python3",
                           resources={"metadata": {"path": str(notebook.parent)}}).execute()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        return record_cache(list(namespaces), Path(tmp), dest=Path(dest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", help=f"one of {sorted(RECORDED_NAMESPACES)}")
    parser.add_argument("--solutions", type=Path, default=Path("solutions"))
    args = parser.parse_args(argv)
    written = record(args.chapter, args.solutions)
    print(f"recorded {len(written)} entries under {RECORDED_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
