"""Where the course is published: the learner edition's repository, read from pyproject.toml.

The instructor's repository stays private; learners and Binder use the learner edition
(``make learner-edition``). Its GitHub path is ONE setting, ``[tool.qtlib] learner_repo =
"owner/name"`` in pyproject.toml; the learner README's Binder badge and the site's launch
buttons are built from it here, so changing the setting changes every link.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parents[2]
FIRST_CHAPTER = "chapters/ch00_getting_started/ch00_getting_started.ipynb"
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def learner_repo(root: Path = REPO_ROOT) -> str:
    """The learner edition's GitHub path ``"owner/name"`` from ``root/pyproject.toml``.

    Raises ``KeyError`` when ``[tool.qtlib] learner_repo`` is missing and ``ValueError`` when it
    is not of the form ``owner/name``.
    """
    settings = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["qtlib"]
    repo = settings["learner_repo"]
    if not isinstance(repo, str) or not _REPO.match(repo):
        raise ValueError(f"[tool.qtlib] learner_repo must be 'owner/name', got {repo!r}")
    return repo


def binder_url(notebook: str = FIRST_CHAPTER, root: Path = REPO_ROOT, ref: str = "HEAD") -> str:
    """mybinder.org URL that opens ``notebook`` (a path inside the edition) in JupyterLab."""
    return (f"https://mybinder.org/v2/gh/{learner_repo(root)}/{ref}"
            f"?urlpath={quote('lab/tree/' + notebook, safe='/')}")


def binder_badge(notebook: str = FIRST_CHAPTER, root: Path = REPO_ROOT) -> str:
    """Markdown of the Binder badge that opens ``notebook``."""
    return f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(notebook, root)})"
