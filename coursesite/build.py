"""``make site``: write the Sphinx source tree and build the static site into ``build/site/``.

    python -m coursesite.build [--out build/site] [--no-scan]

1. every solution notebook is executed once, or read back from ``build/executed/``
   (:mod:`coursesite.execute`); a failing notebook fails the build with its cell and error;
2. ``build/site-src/`` gets one page notebook per chapter (:mod:`coursesite.pages`: the release's
   cells with the run's outputs, no answers), the landing page with the course map read from the
   notebooks (:mod:`coursesite.coursemap`), the instructor pages from ``docs/``, and the Sphinx
   settings; a file is rewritten only when its content changed, so Sphinx's incremental build
   redoes only what changed;
3. ``sphinx-build -b html`` (Sphinx + MyST-NB + sphinx-book-theme, offline MathJax);
4. the published folder is scanned for every solution and hidden-test line
   (:mod:`coursesite.leaks`); one found fails the build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from coursesite import BUILD, ROOT, SITE
from coursesite.coursemap import chapter_info, landing_markdown
from coursesite.execute import execute_all
from coursesite.pages import page_notebook
from qtlib.utils.publishing import binder_url, learner_repo

SRC = BUILD / "site-src"
DOCTREES = BUILD / "site-doctrees"
CONF = Path(__file__).resolve().parent / "sphinx"
LOCAL_LAB = "http://localhost:8888/lab/tree"
#: instructor pages: docs/ files in the order the landing page lists them
INSTRUCTOR_DOCS = ("GRADING.md", "ARCHITECTURE.md", "SITE.md")


def _write(path: Path, data: str | bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly that; True if written."""
    raw = data.encode() if isinstance(data, str) else data
    if path.exists() and path.read_bytes() == raw:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return True


def _landing(chapters, repo: str) -> str:
    intro = [
        "# Quantizing Transformers in PyTorch", "",
        "A hands-on course: quantize transformer models several ways, and prove with measurements "
        "what each way did to accuracy, latency and memory. Every chapter below is a notebook; its "
        "page shows the outputs of a full run, with the exercises left blank for you.", "",
        f"**Run the course:** [on Binder](https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/"
        "tree/chapters/ch00_getting_started/ch00_getting_started.ipynb) (nothing to install), or "
        "locally with `make lab` (opens JupyterLab at chapter 0). Each chapter page has its own "
        "launch button.", "",
    ]
    toc = ["", "```{toctree}", ":caption: Chapters", ":maxdepth: 1", ""]
    toc += [f"chapters/{c.name}/{c.name}" for c in chapters]
    toc += ["```", "", "```{toctree}", ":caption: For instructors", ":maxdepth: 1", ""]
    toc += [f"instructor/{Path(d).stem}" for d in INSTRUCTOR_DOCS if (ROOT / "docs" / d).exists()]
    toc += ["```", ""]
    return "\n".join(intro) + landing_markdown(
        chapters, lambda name: f"chapters/{name}/{name}") + "\n" + "\n".join(toc)


def write_sources(executed: dict, src: Path = SRC, root: Path = ROOT) -> list[Path]:
    """The Sphinx source tree (module doc, step 2); returns the files it (re)wrote."""
    repo = learner_repo(root)
    written: list[Path] = []

    def put(rel: str, data: str | bytes) -> None:
        if _write(src / rel, data):
            written.append(src / rel)

    put("conf.py", (CONF / "conf.py").read_bytes())
    for static in sorted((CONF / "_static").rglob("*")):
        if static.is_file():
            put(f"_static/{static.relative_to(CONF / '_static')}", static.read_bytes())
    put("site.json", json.dumps({"learner_repo": repo}, indent=1))
    chapters = []
    for name, ran in executed.items():
        release_path = root / "chapters" / name / f"{name}.ipynb"
        if not release_path.exists():
            raise FileNotFoundError(f"{release_path.relative_to(root)} is missing: the pages are "
                                    "built from the release; run `make release` first")
        release = nbformat.read(release_path, as_version=4)
        rel = f"chapters/{name}/{name}.ipynb"
        page = page_notebook(release, ran, chapter=name, binder_url=binder_url(rel, root),
                             local_url=f"{LOCAL_LAB}/{rel}")
        put(rel, nbformat.writes(page) + "\n")
        chapters.append(chapter_info(name, release))
    for doc in INSTRUCTOR_DOCS:
        if (root / "docs" / doc).exists():
            put(f"instructor/{Path(doc).stem}.md", (root / "docs" / doc).read_text())
    put("index.md", _landing(chapters, repo))
    # pages of chapters that left solutions/ must not linger
    keep = {f"chapters/{n}" for n in executed}
    for folder in sorted((src / "chapters").glob("*")) if (src / "chapters").exists() else []:
        if f"chapters/{folder.name}" not in keep:
            shutil.rmtree(folder)
    return written


def sphinx(src: Path = SRC, out: Path = SITE, doctrees: Path = DOCTREES) -> None:
    """``sphinx-build -b html``; raise with Sphinx's log on failure."""
    argv = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(doctrees),
            str(src), str(out)]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=src)
    if proc.returncode != 0:
        raise RuntimeError(f"sphinx-build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    warnings = [ln for ln in proc.stderr.splitlines() if "WARNING" in ln or "ERROR" in ln]
    if warnings:
        print("sphinx-build warnings:\n  " + "\n  ".join(warnings[:30]), file=sys.stderr)


def build(out: Path = SITE, scan: bool = True, log=print) -> dict:
    """Steps 1-4 of the module doc; returns the seconds each took."""
    from coursesite.leaks import course_secrets
    from coursesite.leaks import scan as scan_folder

    times = {}
    start = time.perf_counter()
    executed = execute_all(log=log)
    times["execute"] = time.perf_counter() - start
    start = time.perf_counter()
    written = write_sources(executed)
    times["sources"] = time.perf_counter() - start
    log(f"site sources: {len(written)} file(s) changed in {SRC.relative_to(ROOT)}")
    start = time.perf_counter()
    sphinx(out=out)
    times["sphinx"] = time.perf_counter() - start
    if scan:
        start = time.perf_counter()
        leaks = scan_folder(out, course_secrets(ROOT))
        times["scan"] = time.perf_counter() - start
        if leaks:
            shown = "\n".join(f"  {lk.path.relative_to(out)}: [{lk.chapter}] {lk.line}"
                              for lk in leaks[:20])
            raise RuntimeError(f"{len(leaks)} solution or hidden-test line(s) in {out}:\n{shown}")
    log("site built: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
        + f"; open {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}/index.html")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SITE)
    parser.add_argument("--no-scan", action="store_true", help="skip the leak scan (step 4)")
    args = parser.parse_args(argv)
    try:
        build(out=args.out.resolve(), scan=not args.no_scan)
    except Exception as error:  # NotebookFailed, sphinx-build, leaks: say what and where
        print(f"make site failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
