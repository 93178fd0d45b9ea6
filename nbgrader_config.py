"""nbgrader 0.9.6 configuration of the course, read by every `nbgrader` command run at the root.

Layout: solutions/<chapter>/ is the instructor source, chapters/<chapter>/ the student release
(`make release`); submissions, autograded notebooks, feedback and the gradebook database live in
build/nbgrader/ (ignored by git). The assignment id is the chapter slug (ch00_getting_started);
`qtlib.grading.pipeline` creates assignments and students in the gradebook as it goes, and passes
the same traits on the command line when it works in another folder (tests use temporary ones).
"""

from pathlib import Path

import nbgrader.preprocessors as pp
from nbconvert.preprocessors import ClearMetadataPreprocessor

from qtlib.grading.preprocessors import ClearSolutionsWithPointer, UnjudgedScoresZero

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "build" / "nbgrader"

c = get_config()  # noqa: F821 -- injected by traitlets when it loads this file

# --- where things live -------------------------------------------------------------------------
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "quantizing-transformers"
# nbgrader formats "{nbgrader_step}/{student_id}/{assignment_id}"; the source and release steps use
# student "." so solutions/./ch00_getting_started is our solutions/ch00_getting_started.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "chapters"
c.CourseDirectory.submitted_directory = str(WORK / "submitted")
c.CourseDirectory.autograded_directory = str(WORK / "autograded")
c.CourseDirectory.feedback_directory = str(WORK / "feedback")
c.CourseDirectory.solution_directory = str(WORK / "solution")
c.CourseDirectory.source_with_tests_directory = str(WORK / "source_with_tests")
c.CourseDirectory.db_url = f"sqlite:///{WORK / 'gradebook.db'}"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".cache"]

# --- release -----------------------------------------------------------------------------------
# The stub a learner sees in an answer cell; qtlib's ClearSolutions fills in {exercise} (the
# answer cell's grade id without "_answer", e.g. "ex1_float32_bytes") so the error names it.
c.GenerateAssignment.preprocessors = [
    pp.IncludeHeaderFooter,
    pp.InstantiateTests,
    pp.LockCells,
    ClearSolutionsWithPointer,  # nbgrader's ClearSolutions, stub names the exercise
    pp.ClearOutput,
    pp.CheckCellMetadata,
    pp.ComputeChecksums,
    pp.SaveCells,
    pp.ClearHiddenTests,
    pp.ClearMarkScheme,
    pp.ComputeChecksums,
    pp.CheckCellMetadata,
]
c.ClearSolutions.code_stub = {
    "python": (
        "# YOUR CODE HERE: write your answer to exercise {exercise}, then run the tests below\n"
        'raise NotImplementedError("{exercise}: replace this line with your answer")'
    )
}

# --- grading -----------------------------------------------------------------------------------
# `make grade` judges submissions with qtlib.grading.judge (docs/GRADING.md): learner code runs
# only in a sandboxed worker, never in nbgrader. `nbgrader autograde` only registers each
# submission in the gradebook (locked cells restored from the gradebook, a deleted test cell added
# back): its Execute preprocessor is left out, and every autograded cell scores 0 until the
# judge's verdict is written into the gradebook (qtlib.grading.classroom).
c.Autograde.autograde_preprocessors = [
    UnjudgedScoresZero,
    ClearMetadataPreprocessor,
    pp.LimitOutput,
    pp.SaveAutoGrades,
    pp.AssignLatePenalties,
    pp.CheckCellMetadata,
]
c.OverwriteCells.add_missing_cells = True
# `nbgrader validate` (a learner's Validate button) still executes the notebook in the learner's
# kernel, with a timeout per cell.
c.Execute.timeout = 180
c.ExecutePreprocessor.timeout = 180
c.Execute.interrupt_on_timeout = True
# nbclient waits 4 s by default for a finished cell's last output, and nbgrader fails the
# cell after that: too short on a loaded machine (or Binder), where ch05's sweep tripped it.
c.Execute.iopub_timeout = 30
