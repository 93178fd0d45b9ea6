"""Grading of the course: learner-side checks and the instructor's grading pipeline.

- :mod:`qtlib.grading.checks`: ``check_*`` and :class:`CheckFailed`, used by test cells (in the
  learner's kernel for Validate, and in the judge for grades). Re-exported here, so
  ``from qtlib.grading import check_close`` keeps working in notebooks.
- :mod:`qtlib.grading.judge`, :mod:`qtlib.grading.worker`, :mod:`qtlib.grading.wire`,
  :mod:`qtlib.grading.sandbox`: grading a submission where the learner's code cannot reach the
  judgment (threat model in docs/GRADING.md).
- :mod:`qtlib.grading.classroom`, :mod:`qtlib.grading.pipeline`, :mod:`qtlib.grading.cli`: the
  instructor commands (``make release``, ``make grade``) on nbgrader's gradebook.

Importing this package imports only the checks (standard library only).
"""

from qtlib.grading.checks import (
    CheckFailed,
    check_callable_behaviour,
    check_close,
    check_equal,
    check_raises,
    check_shape,
    check_true,
    check_type,
)

__all__ = [
    "CheckFailed",
    "check_callable_behaviour",
    "check_close",
    "check_equal",
    "check_raises",
    "check_shape",
    "check_true",
    "check_type",
]
