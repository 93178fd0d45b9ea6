"""Progress bars for loops a learner waits on: on in Jupyter and terminals, off in tests and CI.

Every qtlib loop that can take more than about 2 s goes through :func:`progress_bar`. A function
takes ``progress: bool | None = None``: ``True`` or ``False`` forces the bar on or off, ``None``
asks :func:`progress_enabled`, which says yes only in an IPython kernel or an interactive
terminal, and never when ``QTLIB_PROGRESS=0``. Under pytest stderr is not a terminal, so tests
stay silent without any flag.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def progress_enabled(progress: bool | None = None) -> bool:
    """Whether to show a bar: ``progress`` if given, else auto-detect (see the module docstring)."""
    if progress is not None:
        return bool(progress)
    if os.environ.get("QTLIB_PROGRESS", "").strip() in {"0", "false", "no", "off"}:
        return False
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    if "ipykernel" in sys.modules:
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def progress_bar(iterable: Iterable[T], *, total: int | None = None, desc: str = "",
                 progress: bool | None = None) -> Iterable[T]:
    """``iterable`` wrapped in a ``tqdm.auto`` bar when :func:`progress_enabled`, else unchanged."""
    if not progress_enabled(progress):
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)
