"""Time and peak memory of every solution notebook, cold and warm cache.

    python bench/notebooks.py [--json PATH] [--only ch05] [--no-cold]

Each notebook runs top to bottom in a fresh subprocess (nbclient, its own kernel, 2 threads), first
with an empty qtlib cache (cold: sweeps are computed) and then again with the cache it left
(warm: what a learner sees on a second run). Peak RSS is the largest resident set of any process
of that run (the kernel, in practice), read from getrusage(RUSAGE_CHILDREN) after it is reaped.
Targets (docs/ARCHITECTURE.md, budgets): at most 120 s and 1.5 GB per notebook on 2 cores,
warm cache.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 120.0
TARGET_RSS_BYTES = int(1.5 * 2**30)

# Runs inside the child process: executes one notebook and prints a JSON line of its figures.
_CHILD = r"""
import json, pathlib, resource, sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": str(pathlib.Path(path).parent)}}).execute()
seconds = time.perf_counter() - start
stderr_cells = sum(1 for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("name") == "stderr")
peak_kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "peak_rss_bytes": peak_kib * 1024,
                  "stderr_outputs": stderr_cells}))
"""


def run_notebook(path: Path, cache: Path) -> dict:
    """Execute ``path`` in a fresh process with QTLIB_CACHE_DIR=cache; returns its figures."""
    env = dict(os.environ, QTLIB_CACHE_DIR=str(cache), OMP_NUM_THREADS="2")
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                          text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{path.name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--only", default="", help="run notebooks whose name contains this")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-cache run")
    args = parser.parse_args(argv)

    notebooks = sorted(p for p in (ROOT / "solutions").glob("ch*/ch*.ipynb") if args.only in p.name)
    results: dict[str, dict] = {}
    for path in notebooks:
        with tempfile.TemporaryDirectory(prefix="qtlib-cache-") as cache:
            row = {}
            if not args.no_cold:
                row["cold"] = run_notebook(path, Path(cache))
            row["warm"] = run_notebook(path, Path(cache))
        warm = row["warm"]
        row["meets_targets"] = (warm["seconds"] <= TARGET_SECONDS
                                and warm["peak_rss_bytes"] <= TARGET_RSS_BYTES
                                and warm["stderr_outputs"] == 0)
        results[path.stem] = row

    print(f"{'notebook':40} {'cold s':>8} {'warm s':>8} {'peak RSS MB':>12} {'stderr':>7}  targets")
    for name, row in results.items():
        cold = f"{row['cold']['seconds']:8.1f}" if "cold" in row else f"{'-':>8}"
        peak = max(r["peak_rss_bytes"] for k, r in row.items() if k in ("cold", "warm"))
        print(f"{name:40} {cold} {row['warm']['seconds']:8.1f} {peak / 2**20:12.0f} "
              f"{row['warm']['stderr_outputs']:7d}  {'ok' if row['meets_targets'] else 'MISSED'}")
    report = {"config": {"python": platform.python_version(), "cpu": platform.processor(),
                         "threads": 2, "target_seconds": TARGET_SECONDS,
                         "target_rss_bytes": TARGET_RSS_BYTES},
              "notebooks": results}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
