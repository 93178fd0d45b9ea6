"""qtlib's layer contract (docs/ARCHITECTURE.md), run by import-linter, and proof it can fail."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())"]


def run_contract(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT, "--no-cache", "--config", str(cwd / "pyproject.toml")],
                          cwd=cwd, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)


def test_the_layer_contract_holds():
    proc = run_contract(ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize("module, planted", [
    # measurement reaching into the zoo, hidden inside a function
    ("qtlib/eval/latency.py",
     "def _planted():\n    from qtlib.models import load\n    return load\n"),
    # the math importing a quantized module
    ("qtlib/quant/affine.py", "import qtlib.nn\n"),
    # a shared utility importing a chapter experiment
    ("qtlib/utils/progress.py", "def _planted():\n    import qtlib.experiments.sweep\n"),
])
def test_an_upward_import_breaks_the_contract(tmp_path, module, planted):
    shutil.copytree(ROOT / "qtlib", tmp_path / "qtlib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pt", "*.txt"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + "\n\n" + planted)
    proc = run_contract(tmp_path)
    assert proc.returncode != 0 and "BROKEN" in proc.stdout.upper(), proc.stdout[-2000:]
    assert "0 kept, 1 broken" in proc.stdout
