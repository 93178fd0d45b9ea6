"""Drive JupyterLab in headless Chromium (Playwright) for the explorer tests.

Reusable pieces for every chapter's explorer test:

- :func:`chromium_path` -- /usr/bin/chromium, or a pytest skip with the reason (a failure when
  the ``CI`` environment variable is set: CI must run these tests);
- :func:`running_lab` -- JupyterLab started as ``make lab`` does (:func:`qtlib.lab.lab_command`)
  on a free port with a token, serving a folder; stopped by its PID afterwards;
- :func:`open_notebook`, :func:`run_all_cells`, :func:`move_slider`, :func:`text_of`,
  :func:`screenshot`, and :func:`explorer_in_lab`, the opening every explorer test shares.

Fixtures built on them live in ``tests/browser/conftest.py`` (``lab``, ``page``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from qtlib.lab import REPO_ROOT, lab_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"


def chromium_path() -> str:
    """The system Chromium; skip (or fail under CI) when it is not installed."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    reason = (f"{CHROMIUM} is not installed, so the browser tests cannot run "
              f"(Debian/Ubuntu: apt-get install chromium)")
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and {reason}; .ci/run installs it", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: ``url(path)`` opens ``path`` (relative to ``root``) with the token."""

    root: Path
    port: int
    token: str

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{path}?token={self.token}"


@contextmanager
def running_lab(root: Path, timeout: float = 120.0) -> Iterator[Lab]:
    """Start JupyterLab on ``root`` like ``make lab`` (plus --no-browser, a port and a token)."""
    port, token = _free_port(), "qtlib-browser-test"
    state = root.parent / f".lab-state-{port}"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(state / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"))
    argv = lab_command([f"--port={port}", "--no-browser", "--ServerApp.ip=127.0.0.1",
                        f"--IdentityProvider.token={token}",
                        f"--LabApp.workspaces_dir={state / 'workspaces'}"], root_dir=root)
    log = (state / "lab.log")
    state.mkdir(parents=True, exist_ok=True)
    with log.open("w") as log_fh:
        proc = subprocess.Popen(argv, stdout=log_fh, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}",
                                            timeout=5) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start in {timeout} s: "
                                   f"{log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield Lab(root=root, port=port, token=token)
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def explorer_course(tmp_path: Path, setup: str) -> Path:
    """A course folder holding ``explorer.ipynb``: one code cell, ``setup``, that builds an
    explorer (on small data, so the browser test does not wait for a chapter's sweep)."""
    import nbformat

    course = tmp_path / "course"
    course.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(setup)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, course / "explorer.ipynb")
    return course


@contextmanager
def explorer_in_lab(page, tmp_path: Path, setup: str, *ready: str) -> Iterator[None]:
    """The opening every explorer test shares: a course with ``explorer.ipynb`` (``setup``) in a
    running JupyterLab, the notebook opened and run, each ``ready`` selector waited for (the first
    up to 60 s, the others 30 s), nothing on stderr. The block then drives the widget; stderr is
    checked again when it ends."""
    course = explorer_course(tmp_path, setup)
    with running_lab(course) as lab:
        open_notebook(page, lab, "explorer.ipynb")
        run_all_cells(page)
        for i, selector in enumerate(ready):
            page.wait_for_selector(selector, timeout=60_000 if i == 0 else 30_000)
        assert stderr_outputs(page) == []
        yield
        assert stderr_outputs(page) == []


def open_notebook(page, lab: Lab, path: str, timeout_ms: int = 120_000) -> None:
    """Open ``path`` and wait until its kernel is connected and idle."""
    page.goto(lab.url(path))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout_ms)
    # The status bar reads "Python 3 (ipykernel) | Idle" once the kernel is up; before that
    # it says Starting / Connecting / Initializing, and "Run All" then silently runs nothing.
    page.wait_for_function(
        r"""() => [...document.querySelectorAll('.jp-StatusBar-Widget')]
                 .some(w => /\) \| Idle/.test(w.textContent))""",
        timeout=timeout_ms,
    )


def run_all_cells(page, timeout_ms: int = 180_000) -> None:
    """Run -> Run All Cells from the menu bar; wait until every code cell has run (``[n]:``)."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(
        r"""() => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')];
            return prompts.length > 0 && prompts.every(p => /\[\d+\]/.test(p.textContent));
        }""",
        timeout=timeout_ms,
    )


def stderr_outputs(page) -> list[str]:
    """Texts of the error and stderr outputs shown in the notebook."""
    return page.locator(".jp-OutputArea-output[data-mime-type="
                        "'application/vnd.jupyter.stderr']").all_inner_texts()


def move_slider(page, container: str, fraction: float) -> None:
    """Drag the (first) ipywidgets slider inside ``container`` to ``fraction`` of its track."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    track = page.locator(f"{container} .noUi-target").first
    handle = page.locator(f"{container} .noUi-handle").first
    track.scroll_into_view_if_needed()
    box, hbox = track.bounding_box(), handle.bounding_box()
    if box is None or hbox is None:
        raise RuntimeError(f"no visible slider in {container!r}")
    page.mouse.move(hbox["x"] + hbox["width"] / 2, hbox["y"] + hbox["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()


def text_of(page, selector: str) -> str:
    """The visible text of the first element matching ``selector``."""
    return page.locator(selector).first.inner_text()


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG to build/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
