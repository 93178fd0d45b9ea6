# The commands the README names. `make lab` and `make test` set up the project-local virtual
# environment on first use; re-running them reinstalls only when pyproject.toml changed.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Elsewhere, pip's default torch wheel on Linux is a multi-GB CUDA build. Pass
# TORCH_INDEX=https://download.pytorch.org/whl/cpu to take the CPU wheel instead.
TORCH_INDEX ?=
PYTHON ?= $(shell command -v python3.11 || command -v python3)

.PHONY: setup lab lab-instructor test lint clean-venv release grade site learner-edition

setup: $(STAMP)

$(STAMP): pyproject.toml qtlib/nn/csrc/int8_linear.cpp
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), "the course needs Python 3.11, found " + sys.version.split()[0]'
	$(PY) -m pip install --quiet --disable-pip-version-check $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -e ".[dev]"
	$(PY) -c 'import sys, qtlib.nn._kernels as k; sys.exit(k.main(["--optional"]))'  # int8 kernel, ~25 s; no compiler: pure torch
	@touch $(STAMP)

lab: setup
	$(PY) -m qtlib.lab

lab-instructor: setup
	$(PY) -m qtlib.lab --instructor

lint: setup
	$(PY) -m ruff check .

test: setup lint
	$(PY) -m pytest

# Instructors: regenerate chapters/ (the student release) from solutions/, deterministically.
release: setup
	$(PY) -m qtlib.grading.cli release

# Instructors: grade SUBMISSIONS/<student>/<chapter>/<chapter>.ipynb, JOBS students at a time
# (docs/GRADING.md); writes build/nbgrader/grades.csv and
# build/nbgrader/feedback/<student>/<chapter>/<chapter>.html. Re-running resumes.
JOBS ?= 1
grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder of <student>/<chapter>/<chapter>.ipynb> [JOBS=N]"; exit 2; }
	$(PY) -m qtlib.grading.cli grade "$(SUBMISSIONS)" --jobs "$(JOBS)"

# The course as a static website in build/site/ (docs/SITE.md): runs each solution notebook once
# (cached in build/executed/ until the notebook or qtlib changes), publishes no answer.
site: setup
	$(PY) -m coursesite.build

# Instructors: export the learner edition (chapters, qtlib without the grading pipeline, binder,
# learner tests; no solutions) into DEST as one reproducible git commit; push it to the
# repository named by [tool.qtlib] learner_repo in pyproject.toml after every `make release`.
learner-edition: setup
	@test -n "$(DEST)" || { echo "usage: make learner-edition DEST=<folder>"; exit 2; }
	$(PY) -m qtlib.grading.edition "$(DEST)"

clean-venv:
	rm -rf $(VENV)
