"""Run each solution notebook once, top to bottom, and keep the executed copy.

The copy lives in ``build/executed/<chapter>-<key>.ipynb``; ``key`` is a digest of the notebook's
bytes, every file under ``qtlib/`` and the torch version, so any change re-executes and an
unchanged notebook is read back in milliseconds. The kernel runs with 2 threads
(``OMP_NUM_THREADS=2``; the notebooks also call ``torch.set_num_threads(2)`` and fix their seeds)
and inherits ``QTLIB_CACHE_DIR``, so the sweeps' caches are shared with the learner's runs.

A failing cell fails the run with :class:`NotebookFailed`, naming the chapter, the cell and the
error. This doubles as the course's "every solution notebook runs top to bottom" check: the tests
reuse the executions through :func:`executed` (see ``tests/site/conftest.py``).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import nbformat

from coursesite import BUILD, ROOT

EXECUTED = BUILD / "executed"
#: per cell; a cold sweep (ch05) on a loaded 2-core machine took more than 900 s
CELL_TIMEOUT_S = 1800


class NotebookFailed(RuntimeError):
    """A solution notebook raised: the message names the chapter, the cell and the error."""


def solution_notebooks(root: Path = ROOT) -> list[Path]:
    """Every ``solutions/chNN_slug/chNN_slug.ipynb``, in chapter order."""
    return sorted(p for p in (root / "solutions").glob("ch*/ch*.ipynb")
                  if p.stem == p.parent.name)


def source_digest(root: Path = ROOT) -> str:
    """Digest of qtlib's files (sources, checkpoints, data) and the torch version."""
    import torch

    h = hashlib.sha256(torch.__version__.encode())
    for path in sorted((root / "qtlib").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def cache_path(notebook: Path, qtlib_digest: str) -> Path:
    """Where the executed copy of ``notebook`` is kept for these sources."""
    h = hashlib.sha256(qtlib_digest.encode())
    h.update(notebook.read_bytes())
    return EXECUTED / f"{notebook.stem}-{h.hexdigest()[:16]}.ipynb"


def _failure(notebook: Path, nb, error: Exception, index: int | None) -> NotebookFailed:
    """``index``: the cell that was running (errors, timeouts, a dead kernel)."""
    where = (f"cell {index} (id {nb.cells[index].get('id')}):\n{nb.cells[index].source}"
             if index is not None else "before any cell ran (the kernel did not start)")
    return NotebookFailed(f"{notebook.parent.name}: {where}\n--- error ---\n{error}")


def execute(notebook: Path) -> nbformat.NotebookNode:
    """Execute ``notebook`` in a fresh kernel (cwd: its folder); raise NotebookFailed on error."""
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            store_widget_state=True,
                            resources={"metadata": {"path": str(notebook.parent)}})
    running: list[int] = []
    client.on_cell_start = lambda cell, cell_index: running.append(cell_index)
    env = dict(os.environ, OMP_NUM_THREADS="2", MKL_NUM_THREADS="2", PYTHONHASHSEED="0")
    start = time.perf_counter()
    try:
        client.execute(env=env)
    except Exception as error:  # CellExecutionError, DeadKernelError, CellTimeoutError, ...
        raise _failure(notebook, nb, error, running[-1] if running else None) from None
    nb.metadata["coursesite"] = {"seconds": round(time.perf_counter() - start, 1)}
    return nb


def executed(notebook: Path, qtlib_digest: str | None = None, log=print) -> nbformat.NotebookNode:
    """The executed copy of ``notebook``: read from the cache, or executed and stored there."""
    notebook = Path(notebook)
    path = cache_path(notebook, qtlib_digest or source_digest())
    if path.exists():
        return nbformat.read(path, as_version=4)
    log(f"executing {notebook.relative_to(ROOT) if notebook.is_relative_to(ROOT) else notebook}"
        " (cached afterwards) ...")
    nb = execute(notebook)
    log(f"  done in {nb.metadata['coursesite']['seconds']} s")
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f"{notebook.stem}-*.ipynb"):
        old.unlink()  # one copy per chapter: the stale ones can never be read again
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)
    return nb


def execute_all(root: Path = ROOT, log=print) -> dict[str, nbformat.NotebookNode]:
    """Every solution notebook executed (or read from the cache), by chapter name."""
    digest = source_digest(root)
    return {p.parent.name: executed(p, digest, log=log) for p in solution_notebooks(root)}


if __name__ == "__main__":
    execute_all()
