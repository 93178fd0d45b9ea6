"""The capstone's artifact (ch07) reaches the judge unchanged: plain data, under the wire's cap.

Here rather than beside the capstone's other tests because the learner edition ships those and
leaves the grader's wire out."""

import json

import pytest

from qtlib.experiments import ch07_capstone as cap
from qtlib.grading import wire
from qtlib.methods import DynamicInt8, apply
from qtlib.models import load


@pytest.fixture(scope="module")
def int8_artifact():
    model, _ = apply(load("minilm"), DynamicInt8())
    return cap.make_artifact(DynamicInt8(), model)


def test_the_artifact_crosses_the_graders_wire_as_plain_data(int8_artifact):
    sent = json.dumps(wire.encode(int8_artifact))
    assert len(sent) < wire.MAX_MESSAGE
    back = wire.decode(json.loads(sent))
    assert cap.artifact_key(back) == cap.artifact_key(int8_artifact)
