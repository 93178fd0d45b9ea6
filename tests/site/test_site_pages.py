"""Page notebooks: the release's cells, the run's outputs only where no answer can show."""

from __future__ import annotations

import base64
import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from coursesite.coursemap import chapter_info
from coursesite.pages import WIDGET_STATE, WIDGET_VIEW, page_notebook, plain_text

PNG = base64.b64encode(b"\x89PNG fake bytes").decode()
ANSWER = {"nbgrader": {"grade": False, "grade_id": "ex1_answer", "solution": True,
                       "locked": False, "schema_version": 3}}
TEST = {"nbgrader": {"grade": True, "grade_id": "ex1_test", "solution": False, "locked": True,
                     "points": 2, "schema_version": 3}}


def _pair():
    """(release, executed solution) of a tiny chapter."""
    cells = [
        ("m", "# Chapter 9: a tiny chapter\n\nWe learn one thing.", {}),
        ("c", "x = 1\nprint(x)", {}),
        ("c", "def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION", ANSWER),
        ("c", "assert f() == 42\n### BEGIN HIDDEN TESTS\nassert f() != 41\n"
              "### END HIDDEN TESTS", TEST),
        ("c", "display(fig)\nshow('*Figure:* the error is flat.')", {}),
        ("c", "explorer()", {}),
        ("c", "print(f())", {}),
    ]
    solution = new_notebook(cells=[
        (new_markdown_cell if kind == "m" else new_code_cell)(src, metadata=dict(meta), id=f"c{i}")
        for i, (kind, src, meta) in enumerate(cells)])
    release = nbformat.from_dict(solution)
    release.cells[2].source = "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    release.cells[3].source = "assert f() == 42"
    release.cells[6].source = "print(f())  # the learner's version"
    ran = nbformat.from_dict(solution)
    for c in ran.cells:
        if c.cell_type == "code":
            c.execution_count = 1
            c.outputs = [new_output("stream", name="stdout", text=f"output of {c.id}\n")]
    ran.cells[4].outputs = [new_output("display_data", data={"image/png": PNG, "text/plain": "F"}),
                            new_output("display_data",
                                       data={"text/markdown": "*Figure:* the error is flat."})]
    ran.cells[5].outputs = [new_output("display_data",
                                       data={WIDGET_VIEW: {"model_id": "box"},
                                             "text/plain": "VBox()"})]
    ran.metadata["widgets"] = {WIDGET_STATE: {"state": {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_s", "IPY_MODEL_h",
                                                                 "IPY_MODEL_i"]}},
        "s": {"model_name": "IntSliderModel", "state": {"description": "bits", "value": 4}},
        "h": {"model_name": "HTMLModel", "state": {"value": "<b>SQNR 20.1 dB</b>"}},
        "i": {"model_name": "ImageModel", "state": {"format": "png"},
              "buffers": [{"path": ["value"], "data": PNG, "encoding": "base64"}]},
    }}}
    return release, ran


def _page():
    release, ran = _pair()
    return page_notebook(release, ran, chapter="ch09_tiny", binder_url="https://binder/x",
                         local_url="http://localhost:8888/lab/tree/x")


def _html(cell) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)


def test_cells_come_from_the_release_and_answer_and_test_cells_show_no_output():
    page = _page()
    body = {c.id: c for c in page.cells if c.get("id", "").startswith("c")}
    assert "NotImplementedError" in body["c2"].source and "42" not in body["c2"].source
    assert body["c3"].source == "assert f() == 42"
    assert body["c2"].outputs == [] and body["c3"].outputs == []
    assert body["c6"].outputs == [], "a cell whose source differs from the run keeps no output"
    assert body["c1"].outputs[0]["text"] == "output of c1\n"


def test_the_launch_cell_follows_the_title():
    page = _page()
    assert page.cells[0].source.startswith("# Chapter 9")
    assert "https://binder/x" in page.cells[1].source
    assert "http://localhost:8888/lab/tree/x" in page.cells[1].source


def test_images_get_the_text_alternative_printed_beside_them():
    html = _html(next(c for c in _page().cells if c.get("id") == "c4"))
    assert re.search(r'<img [^>]*alt="Figure: the error is flat\."', html), html
    assert f"base64,{PNG}" in html


def test_widgets_become_static_snapshots_with_controls_text_and_alt_text():
    cell = next(c for c in _page().cells if c.get("id") == "c5")
    html = _html(cell)
    assert "static snapshot" in html and "bits = 4" in html and "SQNR 20.1 dB" in html
    assert re.search(r'<img [^>]*alt="SQNR 20.1 dB"', html), html
    assert not any(WIDGET_VIEW in o.get("data", {}) for o in cell.outputs)


def test_every_image_gets_non_empty_alt_even_without_text():
    release, ran = _pair()
    ran.cells[4].outputs = ran.cells[4].outputs[:1]  # the image alone
    page = page_notebook(release, ran, chapter="ch09_tiny", binder_url="b", local_url="l")
    html = _html(next(c for c in page.cells if c.get("id") == "c4"))
    assert re.search(r'alt="Figure made by code cell \d+ of Chapter 9: a tiny chapter\."', html)


def test_plain_text_strips_markup():
    assert plain_text("**SQNR** <span class='x'>20 &amp; more</span> `dB`") == "SQNR 20 & more dB"


def test_the_course_map_entry_is_read_from_the_notebook():
    nb = new_notebook(cells=[
        new_markdown_cell("# Chapter 9: tiny\n\nThe goal paragraph.\n\nThis chapter assumes "
                          "chapter 2 (fundamentals)."),
        new_markdown_cell("## 1. First (about 10 minutes)\n\n### Exercise 1 (2 points): a thing"),
        new_markdown_cell("## 2. Second (about 15 minutes)\n\nIt assumes nothing here."),
    ])
    info = chapter_info("ch09_tiny", nb)
    assert (info.title, info.goal, info.minutes) == ("Chapter 9: tiny", "The goal paragraph.", 25)
    assert info.prerequisites == "This chapter assumes chapter 2 (fundamentals)."
    assert info.exercises == [("Exercise 1", "2 points", "a thing")]
    nb.cells[1].source = "## 1. First\n"
    nb.cells[2].source = "## 2. Second\n"
    assert chapter_info("ch09_tiny", nb).time_text == "not yet estimated"


def test_a_progress_bar_becomes_its_last_line_of_text():
    release, ran = _pair()
    ran.metadata["widgets"][WIDGET_STATE]["state"] = {
        "bar": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_a", "IPY_MODEL_p",
                                                                 "IPY_MODEL_b"]}},
        "a": {"model_name": "HTMLModel", "state": {"value": "accuracy: 100%"}},
        "p": {"model_name": "FloatProgressModel", "state": {"value": 2.0, "max": 2.0}},
        "b": {"model_name": "HTMLModel", "state": {"value": "2/2 [00:01&lt;00:00]"}}}
    ran.cells[5].outputs[0]["data"][WIDGET_VIEW]["model_id"] = "bar"
    page = page_notebook(release, ran, chapter="ch09_tiny", binder_url="b", local_url="l")
    html = _html(next(c for c in page.cells if c.get("id") == "c5"))
    assert html == "<pre class='qt-progress'>accuracy: 100% 2/2 [00:01&lt;00:00]</pre>"
