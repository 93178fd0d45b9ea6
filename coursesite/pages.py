"""A chapter's page notebook: the release's cells with the solution run's outputs, no answers.

Rules (docs/SITE.md):

- the cells, their sources and their metadata come from the RELEASE notebook (``chapters/``), so an
  answer cell shows the learner's stub and a test cell only its visible part;
- outputs come from the executed SOLUTION notebook, copied by cell id, and only to code cells that
  are neither answer nor test cells (nbgrader metadata ``solution`` or ``grade``) and whose source
  is the same in both notebooks; every other cell shows no output;
- an ipywidgets output becomes a static snapshot (its controls' values, its HTML text, its images
  and its Output widgets' outputs, read from the widget state the run stored); a progress bar
  becomes its last line of text;
- every image becomes ``<img alt=...>`` with the text alternative the cell printed next to it
  (qtlib.plots figures come with one: ``Plot.description``), so no image is without alt text;
- a first cell links to the chapter on Binder and in a local JupyterLab.
"""

from __future__ import annotations

import copy
import html
import re

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
CONTROL_MODELS = {"DropdownModel", "IntSliderModel", "FloatSliderModel", "FloatLogSliderModel",
                  "CheckboxModel", "ToggleButtonsModel", "RadioButtonsModel", "SelectModel",
                  "IntRangeSliderModel", "FloatRangeSliderModel", "ToggleButtonModel",
                  "SelectionSliderModel", "BoundedIntTextModel", "BoundedFloatTextModel",
                  "IntTextModel", "FloatTextModel", "TextModel"}


def is_exercise_cell(cell) -> bool:
    """An nbgrader answer or test cell (its outputs could reveal a solution or a hidden test)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("solution") or meta.get("grade"))


def plain_text(markup: str, limit: int = 700) -> str:
    """``markup`` (Markdown or HTML) as one line of plain text, at most ``limit`` characters."""
    text = re.sub(r"<[^>]+>", " ", markup)
    text = html.unescape(text)
    text = re.sub(r"[*_`#]+", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _text_of(output) -> str:
    """The readable text of an output (markdown, html, plain text or a stream), or ''."""
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    for mime in ("text/markdown", "text/html"):
        if mime in data:
            return data[mime] if isinstance(data[mime], str) else "".join(data[mime])
    return ""


def image_html(mime: str, b64: str, alt: str) -> str:
    """An ``<img>`` with inline data and the alt text (escaped)."""
    b64 = "".join(b64.split())
    return (f'<img class="qt-figure" src="data:{mime};base64,{b64}" '
            f'alt="{html.escape(alt, quote=True)}">')


def _alt_for(outputs: list, index: int, fallback: str) -> str:
    """The text output nearest after ``outputs[index]`` (else before), as plain text."""
    for j in list(range(index + 1, len(outputs))) + list(range(index - 1, -1, -1)):
        text = plain_text(_text_of(outputs[j]))
        if text:
            return text
    return fallback


def images_with_alt(outputs: list, fallback: str) -> list:
    """``outputs`` with each image output replaced by an HTML ``<img>`` carrying alt text."""
    result = []
    for i, out in enumerate(outputs):
        data = out.get("data", {})
        mime = next((m for m in IMAGE_TYPES if m in data), None)
        if out.get("output_type") in ("display_data", "execute_result") and mime:
            alt = _alt_for(outputs, i, fallback)
            result.append(nbformat.v4.new_output(
                "display_data", data={"text/html": image_html(mime, data[mime], alt)}))
        else:
            result.append(out)
    return result


def _has_progress_bar(model_id: str, state: dict) -> bool:
    model = state.get(model_id.removeprefix("IPY_MODEL_"), {})
    if model.get("model_name") in ("FloatProgressModel", "IntProgressModel"):
        return True
    return any(_has_progress_bar(c, state) for c in model.get("state", {}).get("children", []))


def widget_snapshot(model_id: str, state: dict) -> list:
    """Static outputs that show widget ``model_id`` as the run left it."""
    controls: list[str] = []
    items: list = []  # outputs, in the widget tree's order
    texts: list[str] = []

    def walk(ref: str) -> None:
        model = state.get(ref.removeprefix("IPY_MODEL_"))
        if model is None:
            return
        name, s = model.get("model_name", ""), model.get("state", {})
        if name in CONTROL_MODELS:
            value = s.get("value")
            labels = s.get("_options_labels")
            if isinstance(value, int) and labels and "index" in s and s["index"] is not None:
                value = labels[s["index"]]
            elif labels and s.get("index") is not None and not isinstance(s["index"], list):
                value = labels[s["index"]]
            if isinstance(value, float):
                value = f"{value:.4g}"
            controls.append(f"{s.get('description') or name.removesuffix('Model')} = {value}")
        elif name in ("HTMLModel", "LabelModel", "HTMLMathModel") and s.get("value"):
            texts.append(s["value"])
            items.append(nbformat.v4.new_output("display_data",
                                                data={"text/html": f"<div>{s['value']}</div>"}))
        elif name == "ImageModel":
            buffers = {tuple(b["path"]): b["data"] for b in model.get("buffers", [])}
            b64 = buffers.get(("value",)) or (s.get("value") if isinstance(s.get("value"), str)
                                              else None)
            if b64:
                fmt = s.get("format", "png")
                items.append(nbformat.v4.new_output("display_data",
                                                    data={f"image/{fmt}": b64}))
        elif name == "OutputModel":
            items.extend(nbformat.from_dict(o) for o in s.get("outputs", []))
        for child in s.get("children", []):
            walk(child)

    walk(model_id)
    if _has_progress_bar(model_id, state):  # a tqdm bar: one line of text, as it ended
        line = " ".join(plain_text(t) for t in texts)
        return [nbformat.v4.new_output("display_data", data={
            "text/html": f"<pre class='qt-progress'>{html.escape(line)}</pre>"})]
    note = ("<p class='qt-widget-snapshot'><em>Interactive explorer, shown as a static snapshot "
            "of its first view" + (f" ({html.escape('; '.join(controls))})" if controls else "")
            + ". Launch the chapter (button at the top) to move its controls.</em></p>")
    return [nbformat.v4.new_output("display_data", data={"text/html": note}), *items]


def static_outputs(outputs: list, widget_state: dict, fallback_alt: str) -> list:
    """Outputs a static page can show: widgets snapshotted, images with alt text."""
    flat = []
    for out in outputs:
        data = out.get("data", {})
        if WIDGET_VIEW in data:
            flat.extend(widget_snapshot(data[WIDGET_VIEW]["model_id"], widget_state))
        else:
            flat.append(out)
    return images_with_alt(flat, fallback_alt)


def launch_cell(chapter: str, title: str, binder_url: str, local_url: str):
    """The first cell of a page: where to run the chapter."""
    return nbformat.v4.new_markdown_cell(
        f"```{{admonition}} Run this chapter\n:class: tip\n"
        f"This page shows the learner's notebook with the outputs of a full run (answers "
        f"blank). To run it yourself: [launch on Binder]({binder_url}) or, after `make lab`, "
        f"[open it in your local JupyterLab]({local_url}).\n```",
        metadata={"tags": ["qt-launch"]})


def page_notebook(release, executed, *, chapter: str, binder_url: str, local_url: str):
    """The page for ``chapter``: ``release``'s cells with ``executed``'s outputs (module doc)."""
    page = copy.deepcopy(release)
    widget_state = (executed.metadata.get("widgets", {}).get(WIDGET_STATE, {})
                    .get("state", {}))
    by_id = {c.get("id"): c for c in executed.cells}
    title = next((ln.lstrip("# ").strip() for c in release.cells if c.cell_type == "markdown"
                  for ln in c.source.splitlines() if ln.startswith("# ")), chapter)
    for index, cell in enumerate(page.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        ran = by_id.get(cell.get("id"))
        if ran is None or is_exercise_cell(cell) or is_exercise_cell(ran) \
                or ran.source != cell.source:
            continue
        cell.outputs = static_outputs(ran.get("outputs", []), widget_state,
                                      f"Figure made by code cell {index} of {title}.")
        cell.execution_count = ran.get("execution_count")
    page.cells.insert(1 if page.cells and page.cells[0].cell_type == "markdown" else 0,
                      launch_cell(chapter, title, binder_url, local_url))
    page.metadata.pop("widgets", None)
    return page
