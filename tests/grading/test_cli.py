"""Argument handling of the instructor commands (no nbgrader run here; test_pipeline runs them)."""

import pytest

from qtlib.grading.classroom import GradeOptions, grade_class
from qtlib.grading.cli import main
from qtlib.grading.pipeline import (
    CourseDirs,
    autograde,
    chapter_slugs,
    exercise_of,
)
from qtlib.grading.sandbox import Limits


def test_chapter_slugs_lists_chapter_folders_with_their_notebook(tmp_path):
    for name in ("ch00_intro", "ch01_next", "notes", "ch02_empty"):
        (tmp_path / name).mkdir()
    (tmp_path / "ch00_intro" / "ch00_intro.ipynb").write_text("{}")
    (tmp_path / "ch01_next" / "ch01_next.ipynb").write_text("{}")
    (tmp_path / "notes" / "notes.ipynb").write_text("{}")
    assert chapter_slugs(tmp_path) == ["ch00_intro", "ch01_next"]
    with pytest.raises(ValueError, match="source must be an existing folder"):
        chapter_slugs(tmp_path / "missing")


def test_exercise_of_strips_answer_and_test_suffixes():
    assert exercise_of("ex1_bytes_answer") == "ex1_bytes"
    assert exercise_of("ex1_bytes_test") == "ex1_bytes"
    assert exercise_of("ex1_bytes_test_2") == "ex1_bytes"


def test_bad_inputs_raise_value_errors_naming_the_argument(tmp_path):
    with pytest.raises(ValueError, match="cell_timeout"):
        CourseDirs(cell_timeout=0).flags()
    with pytest.raises(ValueError, match="chapter must be a slug"):
        autograde(CourseDirs(work=tmp_path), "Chapter 0", {"a": tmp_path / "x.ipynb"})
    with pytest.raises(ValueError, match="student ids"):
        autograde(CourseDirs(work=tmp_path), "ch00_getting_started", {"a b": tmp_path})
    with pytest.raises(ValueError, match="must be an existing .ipynb"):
        autograde(CourseDirs(work=tmp_path), "ch00_getting_started", {"ann": tmp_path / "x"})
    with pytest.raises(ValueError, match="submissions must be a folder"):
        grade_class(tmp_path / "missing", CourseDirs(work=tmp_path))
    (tmp_path / "subs" / "ann" / "ch99_unknown").mkdir(parents=True)
    (tmp_path / "subs" / "ann" / "ch99_unknown" / "ch99_unknown.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="no submissions found"):
        grade_class(tmp_path / "subs", CourseDirs(work=tmp_path))
    with pytest.raises(ValueError, match="jobs must be a positive int"):
        GradeOptions(jobs=0)
    with pytest.raises(ValueError, match="Limits.memory"):
        Limits(memory=0)


def test_cli_requires_a_command_and_a_submissions_folder(capsys):
    with pytest.raises(SystemExit):
        main([])
    with pytest.raises(SystemExit):
        main(["grade"])
    assert "submissions" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["grade", "subs", "--jobs", "0"])
    assert "must be positive" in capsys.readouterr().err
