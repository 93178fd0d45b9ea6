"""The lab command really serves JupyterLab: the learner's view by default, the instructor's
with ``--instructor``."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from qtlib.lab import (
    INSTRUCTOR_SERVER_EXTENSIONS,
    LEARNER_DISABLED_PLUGINS,
    REPO_ROOT,
    lab_command,
    lab_environment,
)

TOKEN = "qtlib-test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, str]:
    sep = "&" if "?" in path else "?"
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}{sep}token={TOKEN}",
                                    timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_lab_command_adds_allow_root_only_for_root():
    argv = lab_command(["--no-browser"])
    assert ("--allow-root" in argv) == (os.geteuid() == 0)
    assert argv[-1] == "--no-browser"


def test_learner_and_instructor_commands_differ_in_root_and_extensions(tmp_path):
    learner = lab_command()
    instructor = lab_command(instructor=True)
    assert f"--ServerApp.root_dir={REPO_ROOT / 'chapters'}" in learner
    assert f"--ServerApp.root_dir={REPO_ROOT}" in instructor
    assert not any("jpserver_extensions" in a for a in instructor)
    env = lab_environment({}, tmp_path)
    config = env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0]
    page = json.loads((tmp_path / "build/lab/learner/labconfig/page_config.json").read_text())
    assert config == str(tmp_path / "build/lab/learner")
    assert set(page["disabledExtensions"]) == set(LEARNER_DISABLED_PLUGINS)
    assert "JUPYTER_CONFIG_PATH" not in lab_environment({}, tmp_path, instructor=True)


def test_lab_entry_point_serves_the_learner_view(tmp_path):
    port = _free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "qtlib.lab", f"--port={port}", "--no-browser",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    try:
        status, body = None, ""
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = _get(port, "/lab")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert status == 200
        match = re.search(r"<script id=\"jupyter-config-data\" type=\"application/json\">"
                          r"(.*?)</script>",
                          body, re.S)
        assert match, "the lab page carries its page config"
        page = json.loads(match.group(1))
        disabled = page["disabledExtensions"]
        disabled = set(disabled if isinstance(disabled, list) else
                       [k for k, v in disabled.items() if v])
        assert set(LEARNER_DISABLED_PLUGINS) <= disabled
        assert "@jupyter/nbgrader:validate-assignment" not in disabled
        # the formgrader's server side is off; the Validate button's is on
        assert _get(port, "/formgrader")[0] == 404
        # the file browser's root is chapters/: the chapter folders, no solutions
        status, listing = _get(port, "/api/contents")
        names = {item["name"] for item in json.loads(listing)["content"]}
        assert "ch00_getting_started" in names and "solutions" not in names
        assert INSTRUCTOR_SERVER_EXTENSIONS
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode is not None
