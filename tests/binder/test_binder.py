"""Binder: binder/ installs the course's pins, repo2docker accepts it, solutions stay out."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"


def _environment_helpers():
    """tests/test_environment.py's pin readers (one implementation for all pin checks)."""
    spec = importlib.util.spec_from_file_location("_qt_env_helpers",
                                                  ROOT / "tests" / "test_environment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ENV = _environment_helpers()


def _dev_only() -> set[str]:
    """The dev extras of pyproject.toml: tools the learners' image does not need."""
    import re
    import tomllib

    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["dev"]
    return {re.split(r"[=<>!~ ]", req, maxsplit=1)[0].strip().lower() for req in dev}


#: dev-only tools that the learners' image does not need
DEV_ONLY = _dev_only()


def test_binder_environment_pins_equal_root_environment_and_pyproject():
    python, pins = ENV.conda_env_pins(BINDER / "environment.yml")
    root_python, root_pins = ENV.conda_env_pins(ROOT / "environment.yml")
    assert python == root_python == "python=3.11"
    runtime = {k: v for k, v in ENV.pyproject_pins().items() if k not in DEV_ONLY}
    assert pins == runtime
    assert {k: root_pins[k] for k in pins} == pins
    text = (BINDER / "environment.yml").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text, "CPU torch wheel"


def test_binder_pins_equal_the_installed_versions():
    from importlib import metadata

    _, pins = ENV.conda_env_pins(BINDER / "environment.yml")
    wrong = {n: (v, metadata.version(n)) for n, v in pins.items()
             if metadata.version(n).split("+")[0] != v}
    assert wrong == {}


def test_post_build_installs_qtlib_and_hides_the_instructor_tools():
    text = (BINDER / "postBuild").read_text()
    assert text.startswith("#!/bin/bash") and "set -e" in text
    assert (BINDER / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
    assert re.search(r"pip install --no-deps .*-e \.", text)
    assert "nbgrader.server_extensions.formgrader" in text
    for plugin in ("formgrader", "create-assignment"):
        assert plugin in text
    disabled = [ln for ln in text.splitlines() if ln.strip().startswith("jupyter")
                or ln.strip().startswith("for plugin")]
    assert not [ln for ln in disabled if "validate" in ln], "learners keep the Validate button"
    # the names postBuild disables exist in the installed nbgrader
    import nbgrader.server_extensions as ext

    for name in re.findall(r"nbgrader\.server_extensions\.(\w+)", text):
        assert (Path(ext.__file__).parent / name).is_dir(), name
    labext = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader"
    bundle = " ".join(p.read_text(errors="ignore") for p in (labext / "static").glob("*.js"))
    plugins = re.search(r"for plugin in ([\w\- ]+); do", text).group(1).split()
    for plugin in plugins:
        assert f'"@jupyter/nbgrader:{plugin}"' in bundle, plugin


def test_dockerignore_keeps_solutions_out_of_the_image():
    """Apply repo2docker's own rule (binder/.dockerignore, docker's exclude_paths)."""
    from docker.utils.build import exclude_paths

    lines = [ln.strip() for ln in (BINDER / ".dockerignore").read_text().splitlines()]
    patterns = [ln for ln in lines if ln and not ln.startswith("#")]
    included = exclude_paths(str(ROOT), patterns)
    assert not [p for p in included if p.startswith("solutions")]
    assert not [p for p in included if p.startswith("tests/grading/wrong_answers")]
    assert any(p.startswith("chapters/ch00_getting_started") for p in included)
    assert "binder/postBuild" in included and "pyproject.toml" in included


@pytest.mark.timeout(300)
def test_repo2docker_accepts_the_binder_config(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis",
        "*.egg-info", ".ipynb_checkpoints"))
    exe = Path(sys.executable).parent / "jupyter-repo2docker"
    proc = subprocess.run([str(exe), "--no-build", "--debug", "--user-id", "1000",
                           "--user-name", "jovyan", str(repo)],
                          capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    dockerfile = proc.stdout
    assert "Building conda environment for python=3.11" in proc.stderr
    assert "py-2d3-2e11" in dockerfile or "py-3.11" in dockerfile, "python 3.11 lock file"
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile
