"""The lab command really serves JupyterLab."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from qtlib.lab import lab_command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_command_adds_allow_root_only_for_root():
    argv = lab_command(["--no-browser"])
    assert ("--allow-root" in argv) == (os.geteuid() == 0)
    assert argv[-1] == "--no-browser"


def test_lab_entry_point_serves_jupyterlab(tmp_path):
    port = _free_port()
    token = "qtlib-test-token"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "qtlib.lab", f"--port={port}", "--no-browser",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    try:
        status = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/lab?token={token}", timeout=5
                ) as resp:
                    status = resp.status
                    body = resp.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert status == 200
        assert "JupyterLab" in body or "jupyter-config-data" in body
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode is not None
