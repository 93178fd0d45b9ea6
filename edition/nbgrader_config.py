"""nbgrader settings for learners: what the Validate button in JupyterLab reads.

nbgrader's Validate (the validate-assignment server extension, or `nbgrader validate NOTEBOOK`)
loads nbgrader_config.py from the folder JupyterLab was started in, and executes the notebook in
the learner's kernel, cell by cell, with this timeout. It needs nothing else: the chapters are
already released, and grading happens on the instructor's side.
"""

c = get_config()  # noqa: F821 -- injected by traitlets when it loads this file

c.CourseDirectory.course_id = "quantizing-transformers"
c.Execute.timeout = 180
c.ExecutePreprocessor.timeout = 180
c.Execute.interrupt_on_timeout = True
# nbclient waits 4 s by default for a finished cell's last output, and nbgrader fails the
# cell after that: too short on a loaded machine (or Binder), where ch05's sweep tripped it.
c.Execute.iopub_timeout = 30
