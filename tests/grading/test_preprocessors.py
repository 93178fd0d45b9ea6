"""The release stub names the exercise (qtlib.grading.preprocessors.ClearSolutionsWithPointer)."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from qtlib.grading.preprocessors import ClearSolutionsWithPointer


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
