"""Open the course in JupyterLab: ``python -m qtlib.lab [--instructor] [extra jupyter-lab args]``.

This is what ``make lab`` runs: the **learner's view**, as on Binder. The file browser is rooted
at ``chapters/`` (the released notebooks, without solutions or tests), the first chapter opens,
nbgrader keeps only its Validate button (the formgrader, create-assignment, course-list and
assignment-list panels and server extensions are off), and JupyterLab's "get notified about
Jupyter news?" prompt (the ``announcements`` plugin) is off. ``--instructor`` (``make
lab-instructor``) starts JupyterLab at the repository root with everything nbgrader installs.

The learner settings live in a generated Jupyter config folder (``build/lab/learner``) put first
on ``JUPYTER_CONFIG_PATH`` for this server only; the environment's own settings are untouched.
``--allow-root`` is added only when running as root (as in containers), where JupyterLab refuses
to start without it. Extra arguments (``--port 8890 --no-browser``) are passed through.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIRST_CHAPTER = "chapters/ch00_getting_started/ch00_getting_started.ipynb"
LEARNER_ROOT = "chapters"

#: nbgrader's instructor-side server extensions (names checked with nbgrader 0.9.6); the
#: learner keeps ``validate_assignment``, which serves the Validate button.
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.assignment_list",
)
#: Lab plugins hidden from learners: nbgrader's instructor panels and the news prompt.
LEARNER_DISABLED_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:assignment-list",
    "@jupyterlab/apputils-extension:announcements",
)


def write_learner_config(config_dir: Path) -> Path:
    """Write the learner's Jupyter config folder (server extensions off, lab plugins disabled)
    into ``config_dir`` and return it."""
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    server = {"ServerApp": {"jpserver_extensions": dict.fromkeys(INSTRUCTOR_SERVER_EXTENSIONS,
                                                                 False)}}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(server, indent=1) + "\n")
    page = {"disabledExtensions": dict.fromkeys(LEARNER_DISABLED_PLUGINS, True)}
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(page, indent=1) + "\n")
    return config_dir


def lab_command(extra_args: list[str] | None = None, root_dir: Path = REPO_ROOT, *,
                instructor: bool = False) -> list[str]:
    """The argv that starts JupyterLab on the course; ``extra_args`` are appended last.

    Learner (default): rooted at ``root_dir/chapters`` (or at ``root_dir`` when it has no
    ``chapters`` folder, as in the browser tests' small courses) with the first chapter open;
    instructor: rooted at ``root_dir``. The learner's config folder comes from
    :func:`lab_environment`.
    """
    learner_root = root_dir / LEARNER_ROOT
    serve = root_dir if instructor or not learner_root.is_dir() else learner_root
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={serve}"]
    first = root_dir / FIRST_CHAPTER
    if first.exists():
        url = FIRST_CHAPTER if instructor else first.relative_to(serve).as_posix()
        argv.append(f"--LabApp.default_url=/lab/tree/{url}")
    if not instructor:
        for name in INSTRUCTOR_SERVER_EXTENSIONS:   # also on the command line: highest priority
            argv.append(f"--ServerApp.jpserver_extensions={name}=False")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    return argv + list(extra_args or [])


def lab_environment(env: dict[str, str] | None = None, root_dir: Path = REPO_ROOT, *,
                    instructor: bool = False) -> dict[str, str]:
    """``env`` (default ``os.environ``) with, for the learner, the generated config folder first
    on ``JUPYTER_CONFIG_PATH``."""
    env = dict(os.environ if env is None else env)
    if not instructor:
        config = write_learner_config(root_dir / "build" / "lab" / "learner")
        rest = env.get("JUPYTER_CONFIG_PATH")
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(config), *([rest] if rest else [])])
    return env


def main(argv: list[str] | None = None) -> None:
    """Replace this process with JupyterLab (so stopping it by PID stops the server)."""
    args = list(sys.argv[1:] if argv is None else argv)
    instructor = "--instructor" in args
    args = [a for a in args if a != "--instructor"]
    command = lab_command(args, instructor=instructor)
    os.execve(command[0], command, lab_environment(instructor=instructor))


if __name__ == "__main__":
    main()
