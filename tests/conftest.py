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
