"""Benchmark: TinyGPT decoding, float32 vs qtlib int4 weight-only (fast and readable) and int8.

    .venv/bin/python bench/weight_only_tinygpt.py --json build/bench/weight_only_tinygpt.json

Decoding is ``TinyGPT.generate`` (no KV cache: every new byte runs the model on the last
``block_size`` = 64 bytes, so each linear sees M = 4 .. 64 rows). Variants, timed in one
alternated run with ``qtlib.eval.compare_latency``: ``fp32``; ``qtlib_int4_g32`` (the bfloat16
``_weight_int4pack_mm_for_cpu`` fast path of ``WeightOnlyLinear``); ``qtlib_int4_g32_readable``
(the same modules on the taught unpack-and-matmul path, ``qtlib.nn._kernels.disabled()``);
``qtlib_int8`` (dynamic int8, the fused kernel when built). Timed: one ``generate`` of
``--new-bytes`` bytes from a fixed prompt, and one forward of a full 64-byte context. Quality:
``qtlib.eval.perplexity`` on the test split and ``qtlib.eval.model_fidelity`` of the logits
(cosine, top-1 agreement, KL) against float32. Records the 1-minute load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import torch

import qtlib  # noqa: F401  (installs the warnings policy)
from qtlib.data import corpus_bytes
from qtlib.eval import compare_latency, model_fidelity, perplexity, serialized_size
from qtlib.methods import DynamicInt8, WeightOnly, apply
from qtlib.models import load as load_model
from qtlib.nn import _kernels
from qtlib.utils.system import environment

PROMPT = "def parse(text):\n    "


class Readable(torch.nn.Module):
    """Runs ``model`` with every qtlib fast path switched off."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, *args):
        with _kernels.disabled():
            return self.model(*args)

    def generate(self, *args, **kwargs):
        with _kernels.disabled():
            return self.model.generate(*args, **kwargs)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--new-bytes", type=int, default=32)
    ap.add_argument("--budget-s", type=float, default=6.0)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    fp32 = load_model("tinygpt").eval()
    int4 = apply(fp32, WeightOnly(num_bits=4, group_size=32))[0].eval()
    variants = {"fp32": fp32, "qtlib_int4_g32": int4, "qtlib_int4_g32_readable": Readable(int4),
                "qtlib_int8": apply(fp32, DynamicInt8())[0].eval()}
    for m in variants.values():
        m.eval()
    results: dict = {}
    load_before = os.getloadavg()
    decode = compare_latency(
        {k: (lambda m=m: m.generate(PROMPT, max_new_bytes=args.new_bytes)) for k, m in
         variants.items()}, threads=args.threads, budget_s=args.budget_s)
    context = corpus_bytes("test")[:64].unsqueeze(0)
    forward = compare_latency(variants, context, threads=args.threads, budget_s=args.budget_s)
    results["latency"] = {
        "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
        "generate_median_ms": {k: r.median_ms for k, r in decode.records.items()},
        "generate_speedup_vs_fp32": decode.speedups,
        "forward_1x64_median_ms": {k: r.median_ms for k, r in forward.records.items()},
        "forward_1x64_speedup_vs_fp32": forward.speedups,
    }
    tokens = corpus_bytes("test")
    windows = [tokens[i:i + 64].unsqueeze(0) for i in range(0, 64 * 32, 64)]
    results["quality"] = {}
    for name, model in variants.items():
        fid = model_fidelity(fp32, model, windows, logits=True, progress=False)
        results["quality"][name] = {
            "perplexity": perplexity(model, tokens, context_length=64, check_causal=False,
                                     progress=False),
            "logit_cos_mean": fid["cosine_mean"], "top1_agreement": fid["top1_agreement"],
            "kl_divergence": fid["kl_divergence"],
            "size_bytes": serialized_size(model.model if isinstance(model, Readable) else model)}
    results["config"] = {**environment(), "threads": args.threads, "new_bytes": args.new_bytes,
                         "budget_s": args.budget_s, "qtlib_kernels": _kernels.available(),
                         "command": " ".join(["python", "bench/weight_only_tinygpt.py",
                                              *(argv or sys.argv[1:])])}
    lat = results["latency"]
    print(f"{'variant':<26}{'generate':>10}{'x fp32':>8}{'fwd 1x64':>10}{'x fp32':>8}"
          f"{'ppl':>8}{'cos':>8}{'top1':>7}{'KB':>8}")
    for name in variants:
        q = results["quality"][name]
        print(f"{name:<26}{lat['generate_median_ms'][name]:>10.2f}"
              f"{lat['generate_speedup_vs_fp32'][name]:>7.2f}x"
              f"{lat['forward_1x64_median_ms'][name]:>10.3f}"
              f"{lat['forward_1x64_speedup_vs_fp32'][name]:>7.2f}x{q['perplexity']:>8.3f}"
              f"{q['logit_cos_mean']:>8.4f}{q['top1_agreement']:>7.3f}"
              f"{q['size_bytes'] / 1e3:>8.0f}")
    print(f"load avg (1 min) {lat['loadavg_before'][0]:.2f} -> {lat['loadavg_after'][0]:.2f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {args.json}")
    return results


if __name__ == "__main__":
    main()
