"""One set of pins: pyproject.toml is the source; environment.yml repeats it; installs match."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return _pins(project["dependencies"] + project["optional-dependencies"]["dev"])


def conda_env_pins(path: Path) -> tuple[str, dict[str, str]]:
    env = yaml.safe_load(path.read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return python, _pins(pip)


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["dev"]
    assert len(pyproject_pins()) == len(deps), "every dependency needs an exact == pin"


def test_environment_yml_matches_pyproject():
    python, pins = conda_env_pins(ROOT / "environment.yml")
    assert python == "python=3.11"
    assert pins == pyproject_pins()


def test_environment_yml_comments_every_pin():
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if re.match(r"^\s*-\s*[A-Za-z].*==", line) or re.match(r"^\s*-\s*python=", line):
            assert "#" in line, f"pin without a comment saying who needs it: {line.strip()}"


def test_installed_versions_equal_the_pins():
    wrong = {}
    for name, version in pyproject_pins().items():
        installed = metadata.version(name)
        if installed.split("+")[0] != version:
            wrong[name] = (version, installed)
    assert wrong == {}
