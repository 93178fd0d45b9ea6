"""nbgrader preprocessors the course configures in ``nbgrader_config.py`` (checked with 0.9.6)."""

from __future__ import annotations

import re
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.preprocessors import ClearSolutions


class ClearSolutionsWithPointer(ClearSolutions):
    """nbgrader's ClearSolutions whose code stub may name the exercise.

    ``{exercise}`` in ``ClearSolutions.code_stub`` is replaced by the exercise's name, the answer
    cell's grade id without ``_answer`` (``ex1_float32_bytes``), so the NotImplementedError a
    learner meets says which exercise it belongs to. Everything else is nbgrader's behaviour.
    """

    def preprocess_cell(self, cell: Any, resources: dict, cell_index: int) -> tuple[Any, dict]:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "") if utils.is_solution(
            cell) else ""
        exercise = re.sub(r"_answer$", "", grade_id) or "this exercise"
        stubs = dict(self.code_stub)
        self.code_stub = {k: v.replace("{exercise}", exercise) for k, v in stubs.items()}
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self.code_stub = stubs


class UnjudgedScoresZero(Preprocessor):
    """Give every autograded code cell an error output, so nbgrader records 0 for it.

    ``nbgrader autograde`` is configured (nbgrader_config.py) without its Execute preprocessor:
    learner code never runs in nbgrader. Without execution, nbgrader would give a test cell full
    marks (no error output); with this preprocessor before ``SaveAutoGrades`` every autograded
    cell starts at 0, and only the judge's verdict (:mod:`qtlib.grading.classroom`) raises it.
    """

    def preprocess_cell(self, cell: Any, resources: dict, cell_index: int) -> tuple[Any, dict]:
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            cell.outputs = [nbformat.v4.new_output(
                "error", ename="NotJudged", evalue="scored by qtlib.grading's judge",
                traceback=[])]
        return cell, resources
