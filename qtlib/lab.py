"""Open the course in JupyterLab: ``python -m qtlib.lab [extra jupyter-lab arguments]``.

This is what ``make lab`` runs. It starts JupyterLab at the repository root, opens the first
chapter, and adds ``--allow-root`` only when running as root (as in containers), where JupyterLab
refuses to start without it. Extra arguments (``--port 8890 --no-browser``) are passed through.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIRST_CHAPTER = "chapters/ch00_getting_started/ch00_getting_started.ipynb"


def lab_command(extra_args: list[str] | None = None, root_dir: Path = REPO_ROOT) -> list[str]:
    """The argv that starts JupyterLab on the course; ``extra_args`` are appended last."""
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root_dir}"]
    first = root_dir / FIRST_CHAPTER
    if first.exists():
        argv.append(f"--LabApp.default_url=/lab/tree/{FIRST_CHAPTER}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    return argv + list(extra_args or [])


def main(argv: list[str] | None = None) -> None:
    """Replace this process with JupyterLab (so stopping it by PID stops the server)."""
    args = lab_command(sys.argv[1:] if argv is None else argv)
    os.execv(args[0], args)


if __name__ == "__main__":
    main()
