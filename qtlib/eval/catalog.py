"""The metric catalog: every figure the course records, with its label, unit and direction.

Column names are defined here once. Result tables (:func:`qtlib.eval.results_table`), the Pareto
front, :mod:`qtlib.plots`, the explorers and the regression check all look a figure up here to
know how to label it and which way is better. Sizes are in bytes unless the name says ``_mb`` /
``_kb`` (decimal units, see :mod:`qtlib.utils.formatting`). Defined in ch05.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One figure: ``name`` (the column), ``label`` (for axes and tables), ``unit`` (``None``
    for a pure number) and ``sense`` (``"min"``: lower is better, ``"max"``: higher is)."""

    name: str
    label: str
    unit: str | None
    sense: str

    def axis_label(self, *, unit: str | None = None, sense: str | None = None) -> str:
        """``"MiniLM serialized size (MB), lower is better"``; ``unit`` / ``sense`` override the
        catalog's (a plot that scales bytes to MB passes ``unit="MB"``)."""
        better = "lower is better" if (sense or self.sense) == "min" else "higher is better"
        shown = unit or self.unit
        return f"{self.label}{f' ({shown})' if shown else ''}, {better}"


def _catalog(*metrics: Metric) -> dict[str, Metric]:
    return {m.name: m for m in metrics}


METRICS: dict[str, Metric] = _catalog(
    # one model, one task (qtlib.experiments.tasks, qtlib.eval measurements)
    Metric("size_bytes", "serialized size", "bytes", "min"),
    Metric("param_bytes", "parameter and buffer bytes", "bytes", "min"),
    Metric("accuracy", "test accuracy", "fraction", "max"),
    Metric("median_ms", "median latency", "ms", "min"),
    Metric("p10_ms", "p10 latency", "ms", "min"),
    Metric("p90_ms", "p90 latency", "ms", "min"),
    Metric("perplexity", "test perplexity", "per byte", "min"),
    Metric("bits_per_byte", "bits per byte", "bits", "min"),
    Metric("cosine_mean", "mean cosine to float", None, "max"),
    Metric("cosine_min", "minimum cosine to float", None, "max"),
    Metric("sqnr_db", "SQNR", "dB", "max"),
    Metric("kl_divergence", "KL divergence", "nats", "min"),
    Metric("top1_agreement", "top-1 agreement", "fraction", "max"),
    Metric("neighbour_agreement", "nearest-neighbour agreement", "fraction", "max"),
    Metric("paraphrase_retrieval", "paraphrase retrieval", "fraction", "max"),
    Metric("speedup", "speedup over float32, same run", "x", "max"),
    # the ch05 sweep: both course models per recipe (qtlib.experiments.ch05_tradeoffs)
    Metric("vit_accuracy", "TinyViT digits test accuracy", "fraction", "max"),
    Metric("vit_size_bytes", "TinyViT serialized size", "bytes", "min"),
    Metric("vit_size_kb", "TinyViT serialized size", "kB", "min"),
    Metric("vit_size_ratio", "TinyViT size / float32", None, "min"),
    Metric("minilm_cos_mean", "MiniLM mean cosine to float32", None, "max"),
    Metric("minilm_cos_min", "MiniLM worst-sentence cosine to float32", None, "max"),
    Metric("minilm_sqnr_db", "MiniLM embedding SQNR", "dB", "max"),
    Metric("minilm_neighbour_agreement", "MiniLM nearest-neighbour agreement", "fraction",
           "max"),
    Metric("vit_accuracy_low", "TinyViT accuracy, 95% interval low (Wilson)", "fraction", "max"),
    Metric("vit_accuracy_high", "TinyViT accuracy, 95% interval high (Wilson)", "fraction",
           "max"),
    Metric("vit_top1_agreement", "TinyViT top-1 agreement with float32", "fraction", "max"),
    Metric("vit_kl_divergence", "TinyViT KL(float32 || recipe) of the logits", "nats", "min"),
    Metric("gpt_perplexity", "TinyGPT test perplexity", "per byte", "min"),
    Metric("gpt_perplexity_ratio", "TinyGPT perplexity / float32", None, "min"),
    Metric("minilm_size_bytes", "MiniLM serialized size", "bytes", "min"),
    Metric("minilm_size_mb", "MiniLM serialized size", "MB", "min"),
    Metric("minilm_size_ratio", "MiniLM size / float32", None, "min"),
    Metric("minilm_latency_ms", "MiniLM latency, batch 1 x 128 tokens (median)", "ms", "min"),
    Metric("minilm_latency_p10_ms", "MiniLM latency p10", "ms", "min"),
    Metric("minilm_latency_p90_ms", "MiniLM latency p90", "ms", "min"),
    Metric("minilm_fp32_latency_ms", "MiniLM float32 latency in the same run", "ms", "min"),
    Metric("minilm_speedup", "MiniLM speedup over float32 (same run)", "x", "max"),
)


def metric(name: str) -> Metric:
    """The catalog entry of ``name``; a figure not in the catalog gets a plain label, no unit,
    higher-is-better (so a new experiment's figure can be plotted before it is catalogued)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"metric name must be a non-empty str, got {name!r}")
    return METRICS.get(name, Metric(name, name.replace("_", " "), None, "max"))
