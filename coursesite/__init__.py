"""The course as a static website (``make site``, docs/SITE.md).

Instructor-side tooling, not part of qtlib: it reads ``solutions/`` (to execute them) and
``chapters/`` (whose structure the pages show), so it never ships in the learner's package.

- :mod:`coursesite.execute`: run each solution notebook once, cached under ``build/executed/``;
- :mod:`coursesite.pages`: a page notebook = the release's cells + the solution run's outputs on
  the cells that hold no answer and no test; widgets become static snapshots; figures get alt text;
- :mod:`coursesite.coursemap`: each chapter's goal, time, prerequisites and exercises, read from
  the notebooks;
- :mod:`coursesite.leaks`: the lines of every solution region and hidden test, and a scan of a
  folder for them;
- :mod:`coursesite.build`: the Sphinx source tree and ``sphinx-build`` into ``build/site/``.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
SITE = BUILD / "site"
