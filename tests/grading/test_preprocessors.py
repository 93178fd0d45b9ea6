"""The course's nbgrader preprocessors (qtlib.grading.preprocessors)."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import determine_grade

from qtlib.grading.preprocessors import ClearSolutionsWithPointer, UnjudgedScoresZero


def test_stub_names_the_exercise_and_keeps_code_outside_the_solution_region():
    cell = new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": "ex3_double_answer", "locked": False,
                                 "schema_version": 3, "solution": True, "task": False}
    other = new_code_cell("x = 1")
    nb = new_notebook(cells=[cell, other],
                      metadata={"kernelspec": {"language": "python", "name": "python3",
                                               "display_name": "Python 3"}})
    pp = ClearSolutionsWithPointer(code_stub={"python": 'raise NotImplementedError("{exercise}")'})
    nb, _ = pp.preprocess(nb, {})
    assert nb.cells[0].source == 'def f(x):\n    raise NotImplementedError("ex3_double")'
    assert nb.cells[1].source == "x = 1"
    assert pp.code_stub["python"] == 'raise NotImplementedError("{exercise}")'
    nbformat.validate(nb)


def test_unjudged_test_cells_score_zero_in_nbgrader_and_other_cells_are_untouched():
    test = new_code_cell("assert True")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "ex1_test", "locked": True,
                                 "points": 2, "schema_version": 3, "solution": False}
    answer = new_code_cell("x = 1")
    answer.metadata["nbgrader"] = {"grade": False, "grade_id": "ex1_answer", "locked": False,
                                   "schema_version": 3, "solution": True}
    nb = new_notebook(cells=[answer, test])
    assert determine_grade(test) == (2.0, 2.0)  # nbgrader's default for an unexecuted cell
    nb, _ = UnjudgedScoresZero().preprocess(nb, {})
    assert determine_grade(nb.cells[1]) == (0, 2.0)
    assert nb.cells[0].outputs == []
