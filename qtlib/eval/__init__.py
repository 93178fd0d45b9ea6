"""Metrics and measurement: latency, memory, quality, records. It measures what it is handed
and imports neither models, data nor methods (docs/ARCHITECTURE.md).

- latency: ``measure_latency``, ``compare_latency``, ``latency_stats``, ``LatencyRecord``
- memory: ``param_bytes_by_dtype``, ``total_bytes``, ``serialized_size``,
  ``peak_forward_memory``, ``module_breakdown``
- quality: ``accuracy``, ``perplexity``, ``language_model_loss``, ``unigram_loss``,
  ``fidelity``, ``model_fidelity``, ``model_outputs``, ``neighbour_agreement``,
  ``paraphrase_retrieval`` (``fidelity(..., logits=True)`` adds top-1 agreement and KL)
- uncertainty: ``accuracy_interval`` (Wilson), ``paired_test`` (exact McNemar)
- results: ``Result`` (the one record), ``results_table``, ``compare``, ``pareto_front``,
  ``pareto_mask``, ``pareto_rows``, ``save_results``, ``load_results``
- catalog: ``METRICS``, ``metric(name)``: every figure's label, unit and direction
"""

from qtlib.eval.catalog import METRICS, Metric, metric
from qtlib.eval.latency import (
    LatencyComparison,
    LatencyRecord,
    compare_latency,
    latency_stats,
    measure_latency,
)
from qtlib.eval.memory import (
    module_breakdown,
    module_kind,
    param_bytes_by_dtype,
    peak_forward_memory,
    serialized_size,
    total_bytes,
)
from qtlib.eval.quality import (
    accuracy,
    fidelity,
    language_model_loss,
    model_fidelity,
    model_outputs,
    nearest_neighbours,
    neighbour_agreement,
    paraphrase_retrieval,
    perplexity,
    unigram_loss,
)
from qtlib.eval.results import (
    Result,
    compare,
    load_results,
    pareto_front,
    pareto_mask,
    pareto_rows,
    results_table,
    save_results,
)
from qtlib.eval.uncertainty import accuracy_interval, paired_test

__all__ = [
    "METRICS", "Metric", "metric", "pareto_rows", "results_table", "accuracy_interval",
    "paired_test",
    "LatencyComparison", "LatencyRecord", "Result", "accuracy", "compare",
    "compare_latency", "fidelity", "language_model_loss",
    "latency_stats", "load_results", "measure_latency", "model_fidelity", "model_outputs",
    "module_breakdown",
    "module_kind", "nearest_neighbours", "neighbour_agreement", "param_bytes_by_dtype",
    "paraphrase_retrieval", "pareto_front", "pareto_mask", "peak_forward_memory", "perplexity",
    "save_results", "serialized_size", "total_bytes", "unigram_loss",
]
