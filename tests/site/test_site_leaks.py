"""The leak scan finds a solution or hidden-test line however a site stores it."""

from __future__ import annotations

import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursesite.leaks import MARKERS, scan, secret_lines

SOLUTION = new_notebook(cells=[
    new_code_cell("def scale_of(lo, hi):\n    ### BEGIN SOLUTION\n"
                  "    span = (hi - lo) / (qmax - qmin)\n    return span\n### END SOLUTION"),
    new_code_cell("assert scale_of(0, 1) > 0\n### BEGIN HIDDEN TESTS\n"
                  "check_close(scale_of(-1.0, 3.0), 4 / 255, name='wide range')\n"
                  "### END HIDDEN TESTS"),
    new_markdown_cell("Per-channel wins because each row keeps its own range.",
                      metadata={"nbgrader": {"solution": True, "grade": True}}),
])
SECRETS = {"ch09": secret_lines(SOLUTION, public_text="def scale_of(lo, hi):")}


def test_secret_lines_are_the_regions_and_written_answers_minus_trivial_and_public_ones():
    assert SECRETS["ch09"] == {"span = (hi - lo) / (qmax - qmin)",
                               "check_close(scale_of(-1.0, 3.0), 4 / 255, name='wide range')",
                               "Per-channel wins because each row keeps its own range."}
    assert secret_lines(SOLUTION, public_text="x span = (hi - lo) / (qmax - qmin) y") \
        == SECRETS["ch09"] - {"span = (hi - lo) / (qmax - qmin)"}


def test_a_clean_folder_has_no_leak(tmp_path):
    (tmp_path / "page.html").write_text("<p>def scale_of(lo, hi): return span</p>")
    assert scan(tmp_path, SECRETS) == []


def test_highlighted_html_leaks(tmp_path):
    (tmp_path / "page.html").write_text(
        '<pre><span class="n">span</span> <span class="o">=</span> (<span class="n">hi</span> '
        '- lo) / (qmax &#45; qmin)</pre>'.replace("&#45;", "-"))
    assert [lk.line for lk in scan(tmp_path, SECRETS)] == ["span = (hi - lo) / (qmax - qmin)"]


def test_escaped_html_leaks(tmp_path):
    (tmp_path / "page.html").write_text(
        "<p>check_close(scale_of(-1.0, 3.0), 4 / 255, name=&#x27;wide range&#x27;)</p>")
    assert len(scan(tmp_path, SECRETS)) == 1


def test_a_notebook_download_leaks_even_split_in_lines(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell("Per-channel wins because each row\n"
                                               "keeps its own range.")])
    nbformat.write(nb, tmp_path / "page.ipynb")
    assert len(scan(tmp_path, SECRETS)) == 1


def test_a_search_index_leaks(tmp_path):
    index = {"docnames": ["a"], "texts": ["Per-channel wins because each row keeps its own range."]}
    (tmp_path / "searchindex.js").write_text(f"Search.setIndex({json.dumps(index)})")
    assert len(scan(tmp_path, SECRETS)) == 1


def test_markers_leak_in_chapter_files_but_instructor_pages_may_name_them(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "a.html").write_text(f"# {MARKERS[2]}\n")
    (tmp_path / "GRADING.html").write_text(f"hidden checks sit between {MARKERS[2]} and ...\n")
    assert [(lk.path.name, lk.line) for lk in scan(tmp_path, SECRETS)] == [("a.html", MARKERS[2])]


def test_secrets_leak_in_instructor_pages_too(tmp_path):
    (tmp_path / "GRADING.html").write_text("<p>span = (hi - lo) / (qmax - qmin)</p>")
    assert len(scan(tmp_path, SECRETS)) == 1
