"""Sphinx settings of the course site. ``coursesite.build`` copies this file and ``_static/`` into
the generated source tree, with the course-wide values in ``site.json`` beside it (docs/SITE.md)."""

import json
from pathlib import Path

_site = json.loads((Path(__file__).parent / "site.json").read_text())

project = "Quantizing Transformers in PyTorch"
author = "the course's authors"
copyright = "the course's authors"
html_title = project
extensions = ["myst_nb", "sphinx-mathjax-offline"]  # MathJax 3 from the pip package, no CDN
templates_path = []
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
root_doc = "index"

# notebooks are executed by coursesite.execute (cached) and merged by coursesite.pages
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure"]

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_copy_source = True       # the download button offers the page notebook (answers blank)
html_show_sourcelink = True
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": f"https://github.com/{_site['learner_repo']}",
    "repository_branch": "HEAD",
    "path_to_docs": "",
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
    "show_toc_level": 2,
    "home_page_in_toc": True,
}
