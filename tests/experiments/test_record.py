"""``make record`` (qtlib.experiments.record): a chapter's notebook runs cold, measures everything
(no cache, no record read) and its namespaces land in the record folder; the caller's settings
come back, also when a cell fails."""

import os

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from qtlib.experiments.record import record

MEASURE = """
import os
from qtlib.utils.cache import json_cache_path, read_cached, write_json_atomic
path = json_cache_path("sweeps/demo", {"n": 3})
data, source = read_cached(path)
assert source is None, f"a recording run must measure, it read the {source}"
write_json_atomic(path, {"value": 42, "ignored": os.environ["QTLIB_IGNORE_RECORDED"]})
"""


def _chapter(tmp_path, *cells: str):
    chapter = "ch99_demo"
    folder = tmp_path / "solutions" / chapter
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, folder / f"{chapter}.ipynb")
    return chapter, tmp_path / "solutions"


def test_a_cold_run_is_recorded_and_the_settings_come_back(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path / "my-cache"))
    monkeypatch.delenv("QTLIB_IGNORE_RECORDED", raising=False)
    (tmp_path / "recorded" / "sweeps" / "demo").mkdir(parents=True)
    stale = tmp_path / "recorded" / "sweeps" / "demo" / "stale.json"
    stale.write_text("{}")
    chapter, solutions = _chapter(tmp_path, MEASURE)
    written = record(chapter, solutions, namespaces=["sweeps/demo"], dest=tmp_path / "recorded",
                     timeout_s=300)
    assert [p.parent.relative_to(tmp_path / "recorded").as_posix() for p in written] == [
        "sweeps/demo"]
    assert '"value": 42' in written[0].read_text() and '"ignored": "1"' in written[0].read_text()
    assert not stale.exists(), "a record replaces what the namespace held"
    assert os.environ["QTLIB_CACHE_DIR"] == str(tmp_path / "my-cache")
    assert "QTLIB_IGNORE_RECORDED" not in os.environ
    assert not (tmp_path / "my-cache").exists(), "the recording run used its own empty cache"


def test_a_failing_cell_is_reported_and_the_settings_come_back(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_IGNORE_RECORDED", "")
    chapter, solutions = _chapter(tmp_path, "raise RuntimeError('the sweep broke')")
    with pytest.raises(CellExecutionError, match="the sweep broke"):
        record(chapter, solutions, namespaces=["sweeps/demo"], dest=tmp_path / "recorded",
               timeout_s=300)
    assert os.environ["QTLIB_IGNORE_RECORDED"] == ""
    assert not (tmp_path / "recorded").exists()


def test_a_chapter_without_namespaces_is_named_with_the_known_ones(tmp_path):
    with pytest.raises(KeyError, match="ch05_evaluation_and_optimization"):
        record("ch99_demo", tmp_path)
