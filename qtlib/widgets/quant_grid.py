"""Chapter 2's explorer: a distribution x bits x granularity x clipping -> grid, error, SQNR.

The callback :func:`explore` is a plain function (tests call it without a browser); it fake-
quantizes one of the sample tensors of :func:`make_samples` and returns a :class:`View` with the
SQNR, a Markdown summary and the two-panel figure of :func:`qtlib.plots.grid.quantization_grid`.
:func:`quant_grid_widget` only wires it to controls. The real MiniLM activation is passed in
(computed once, e.g. by :func:`qtlib.experiments.ch02_fundamentals.minilm_ffn_activation`, which
caches it): the callback never runs a model, so it answers well within 300 ms.

Granularities on a matrix ``[rows, cols]`` (rows = tokens, cols = features): ``per_tensor``,
``per_token`` (one scale per row), ``per_channel`` (one scale per column, axis 1) and
``per_group`` (one scale per ``group_size`` consecutive values of a row). Clipping: the range of
each block is its ``[100 - p, p]`` percentile range instead of its min-max (``p = 100``).
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from typing import Any

import torch

from qtlib.plots._common import figure_png
from qtlib.plots.grid import quantization_grid
from qtlib.quant import QuantSpec, fake_quantize, qparams_from_min_max
from qtlib.quant.error import sqnr_db

DISTRIBUTIONS = ("gaussian", "laplace", "outliers", "minilm")
GRANULARITIES = ("per_tensor", "per_token", "per_channel", "per_group")
LABELS = {"gaussian": "Gaussian", "laplace": "Laplace (heavy tails)",
          "outliers": "Gaussian + outlier features", "minilm": "MiniLM FFN activation"}
GROUP_SIZE = 32


def make_samples(real: torch.Tensor | None = None, *, rows: int = 64, cols: int = 512,
                 seed: int = 0) -> dict[str, torch.Tensor]:
    """Sample matrices float32 [rows, cols], deterministic for a ``seed``.

    ``gaussian`` N(0, 1); ``laplace`` Laplace(0, 1/sqrt 2) (same variance, heavier tails);
    ``outliers``: Gaussian whose 4 feature columns are 30x larger (as in transformer activations);
    ``minilm``: ``real`` when given (a [tokens, features] activation), its first 48 tokens
    (at most 1536 features: enough for the shape of the distribution, small enough to redraw).
    """
    if rows < 1 or cols < GROUP_SIZE or cols % GROUP_SIZE:
        raise ValueError(f"rows must be >= 1 and cols a multiple of {GROUP_SIZE}, got "
                         f"rows={rows}, cols={cols}")
    g = torch.Generator().manual_seed(seed)
    gauss = torch.randn(rows, cols, generator=g)
    u = torch.rand(rows, cols, generator=g) - 0.5
    laplace = -torch.sign(u) * torch.log1p(-2 * u.abs()) / 2**0.5
    outliers = torch.randn(rows, cols, generator=g)
    cols_out = torch.randperm(cols, generator=g)[:4]
    outliers[:, cols_out] *= 30.0
    samples = {"gaussian": gauss, "laplace": laplace, "outliers": outliers}
    if real is not None:
        if not isinstance(real, torch.Tensor) or real.ndim != 2 or not real.is_floating_point():
            raise ValueError("real must be a float tensor [tokens, features]")
        real = real[:48, :1536].float().contiguous()
        if real.shape[1] % GROUP_SIZE:
            raise ValueError(f"real's feature count must be a multiple of {GROUP_SIZE}")
        samples["minilm"] = real
    return samples


def _spec(num_bits: int, granularity: str, symmetric: bool) -> QuantSpec:
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    kw: dict[str, Any] = {}
    if granularity == "per_channel":
        kw["axis"] = 1
    if granularity == "per_group":
        kw["group_size"] = GROUP_SIZE
    return QuantSpec(num_bits=num_bits, signed=True, symmetric=symmetric,
                     granularity=granularity, **kw)


def _blocks(x: torch.Tensor, spec: QuantSpec) -> torch.Tensor:
    """x as [blocks, values per block] in the qparams order of ``spec``."""
    if spec.granularity == "per_tensor":
        return x.reshape(1, -1)
    if spec.granularity == "per_token":
        return x
    if spec.granularity == "per_channel":
        return x.T
    return x.reshape(-1, spec.group_size)


def block_range(x: torch.Tensor, spec: QuantSpec, percentile: float
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-block (low, high): min-max at ``percentile == 100``, else the percentile range."""
    if not 50.0 < percentile <= 100.0:
        raise ValueError(f"percentile must be in (50, 100], got {percentile}")
    b = _blocks(x, spec)
    if percentile >= 100.0:
        lo, hi = b.amin(1), b.amax(1)
    else:
        q = torch.tensor([1 - percentile / 100, percentile / 100])
        lo, hi = torch.quantile(b, q, dim=1)
    shape = () if spec.granularity == "per_tensor" else (
        x.shape[:-1] + (x.shape[-1] // spec.group_size,) if spec.granularity == "per_group"
        else lo.shape)
    return lo.reshape(shape), hi.reshape(shape)


@dataclass
class View:
    """What the explorer shows: the numbers, a Markdown summary and the figure (or None)."""

    sqnr_db: float
    clipped: float
    scale_count: int
    text: str
    figure: Any
    description: str
    seconds: float


def explore(samples: dict[str, torch.Tensor], distribution: str = "gaussian", num_bits: int = 8,
            granularity: str = "per_tensor", percentile: float = 100.0, *,
            symmetric: bool = False, figure: bool = True) -> View:
    """The callback: fake-quantize ``samples[distribution]`` and describe the result."""
    start = time.perf_counter()
    if distribution not in samples:
        raise ValueError(f"distribution must be one of {sorted(samples)}, got {distribution!r}")
    if isinstance(num_bits, bool) or not isinstance(num_bits, int) or not 2 <= num_bits <= 8:
        raise ValueError(f"num_bits must be an int from 2 to 8, got {num_bits!r}")
    x = samples[distribution]
    spec = _spec(num_bits, granularity, symmetric)
    lo, hi = block_range(x, spec, percentile)
    scale, zp = qparams_from_min_max(lo, hi, spec)
    x_hat = fake_quantize(x, scale, zp, spec)
    sqnr = sqnr_db(x, x_hat)
    # the grid of the block with the widest range (the only block for per_tensor)
    widest = int(torch.argmax(scale.reshape(-1)))
    s, z = float(scale.reshape(-1)[widest]), int(zp.reshape(-1)[widest])
    levels = (torch.arange(spec.qmin, spec.qmax + 1, dtype=torch.float32) - z) * s
    clip = ((spec.qmin - z) * s, (spec.qmax - z) * s)
    # clipped: more than half a step outside its block's grid (rounding alone stays within it)
    b = _blocks(x, spec)
    s_all, z_all = scale.reshape(-1, 1), zp.reshape(-1, 1).float()
    outside = ((b < (spec.qmin - z_all - 0.5) * s_all)
               | (b > (spec.qmax - z_all + 0.5) * s_all))
    clipped = float(outside.double().mean())
    label = LABELS.get(distribution, distribution)
    kind = "symmetric" if symmetric else "affine"
    title = (f"{label}: int{num_bits} {kind} {granularity.replace('_', '-')}"
             + (f", clip p{percentile:g}" if percentile < 100 else ""))
    where = "" if spec.granularity == "per_tensor" else "\n(grid of the widest block)"
    plot = quantization_grid(x, x_hat, levels, clip=clip, title=title + where) if figure else None
    text = (f"**{html.escape(title)}**: SQNR **{sqnr:.1f} dB** with {scale.numel()} "
            f"scale{'s' if scale.numel() > 1 else ''}; {clipped:.2%} of the values are clipped.")
    return View(sqnr_db=sqnr, clipped=clipped, scale_count=scale.numel(), text=text,
                figure=None if plot is None else plot.figure,
                description="" if plot is None else plot.description,
                seconds=time.perf_counter() - start)


def quant_grid_widget(samples: dict[str, torch.Tensor], *, distribution: str = "laplace",
                      num_bits: int = 4, granularity: str = "per_tensor"):
    """Controls for distribution, bits, granularity, clipping percentile and symmetry.

    Returns the ``ipywidgets.VBox`` (class ``qt-quant-grid-explorer``); its ``last_view``
    attribute holds the :class:`View` on screen.
    """
    import ipywidgets as widgets

    if distribution not in samples:
        raise ValueError(f"distribution must be one of {sorted(samples)}, got {distribution!r}")
    w_dist = widgets.Dropdown(options=[(LABELS.get(k, k), k) for k in samples],
                              value=distribution, description="data")
    w_bits = widgets.IntSlider(value=num_bits, min=2, max=8, description="bits")
    w_gran = widgets.Dropdown(options=list(GRANULARITIES), value=granularity,
                              description="granularity")
    w_pct = widgets.FloatSlider(value=100.0, min=99.0, max=100.0, step=0.01,
                                description="clip pct", readout_format=".2f")
    w_sym = widgets.Checkbox(value=False, description="symmetric")
    headline = widgets.HTML()
    image = widgets.Image(format="png")
    image.add_class("qt-quant-grid-plot")

    def refresh(*_: Any) -> None:
        view = explore(samples, w_dist.value, w_bits.value, w_gran.value, w_pct.value,
                       symmetric=w_sym.value)
        box.last_view = view
        headline.value = f"<span class='qt-quant-grid-result'>{view.text.replace('**', '')}</span>"
        image.value = figure_png(view.figure, dpi=72)

    controls = widgets.HBox([widgets.VBox([w_dist, w_gran, w_sym]), widgets.VBox([w_bits, w_pct])])
    box = widgets.VBox([controls, headline, image])
    box.add_class("qt-quant-grid-explorer")
    for w in (w_dist, w_bits, w_gran, w_pct, w_sym):
        w.observe(refresh, names="value")
    refresh()
    return box
