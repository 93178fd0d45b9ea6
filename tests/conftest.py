"""Shared test settings: qtlib's warnings policy in every test, and a fixed thread count."""

import pytest
import torch

from qtlib.utils.warnings_policy import silence_known_warnings


@pytest.fixture(autouse=True)
def _course_warnings_policy():
    # pytest resets the warnings filters for every test: re-apply qtlib's policy.
    silence_known_warnings()
    yield


@pytest.fixture(autouse=True, scope="session")
def _fixed_threads():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="session")
def executed_notebooks():
    """Every solution notebook run top to bottom once per test run, by chapter folder name
    (executed copies cached in build/executed/ until the notebook or qtlib changes;
    coursesite.execute). Tests that need a chapter's outputs reuse these runs."""
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from coursesite.execute import execute_all

    return execute_all(log=lambda message: None)
