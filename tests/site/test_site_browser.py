"""`make site` end to end: the site is built from the cached runs, then read in headless Chromium.

The build (execution from build/executed/ + Sphinx) happens once per module; the pages are served
over HTTP (Sphinx's search fetches pages, which browsers refuse from file://). Screenshots go to
build/screenshots/site-*.png.
"""

from __future__ import annotations

import functools
import http.server
import re
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from coursesite import ROOT
from coursesite.coursemap import chapter_info
from coursesite.leaks import course_secrets, scan
from qtlib.utils.publishing import binder_url, learner_repo

sys.path.insert(0, str(ROOT / "tests" / "browser"))
from browser_lab import CHROMIUM_ARGS, SCREENSHOTS, chromium_path  # noqa: E402

# the first test builds the site: it may execute every chapter (minutes each on 2 cores)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def site(executed_notebooks):
    from coursesite.build import SITE, sphinx, write_sources

    write_sources(executed_notebooks)
    sphinx(out=SITE)
    return SITE


@pytest.fixture(scope="module")
def chapters(executed_notebooks):
    return {name: chapter_info(name, nbformat.read(
        ROOT / "chapters" / name / f"{name}.ipynb", as_version=4)) for name in executed_notebooks}


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()  # skips with the reason off CI, fails under CI
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("requestfailed", lambda request: page.errors.append(f"failed: {request.url}"))
    yield page
    context.close()


def _shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"site-{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def _images_without_alt(page) -> list[str]:
    return page.evaluate("""() => [...document.images]
        .filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src.slice(0, 80))""")


def _check_internal_links(page, site: Path, server: str) -> int:
    """Every link into the site names an existing file, and its #fragment an existing id."""
    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    checked = 0
    for href in hrefs:
        if not href.startswith(server):
            continue
        parts = urlsplit(href)
        target = site / unquote(parts.path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        assert target.is_file(), f"{page.url} links to missing {href}"
        if parts.fragment and target.suffix == ".html":
            ids = set(re.findall(r'id="([^"]+)"', target.read_text()))
            assert unquote(parts.fragment) in ids, f"{page.url}: no #{parts.fragment} in {target}"
        checked += 1
    return checked


def test_the_landing_page_shows_the_course_map(site, server, page, chapters):
    page.goto(f"{server}/index.html")
    page.wait_for_selector("article h1")
    assert "Quantizing Transformers in PyTorch" in page.inner_text("article h1")
    text = page.inner_text("main")
    for c in chapters.values():
        assert c.title in text, f"the course map misses {c.name}"
        assert f"Time: {c.time_text}" in text
        for name, points, title in c.exercises:
            assert re.sub(r"[*`]", "", f"{name} ({points}): {title}") in text
        link = page.locator(f'main a[href$="chapters/{c.name}/{c.name}.html"]')
        assert link.count() >= 1, f"no link to {c.name}'s page"
    for title in ("Grading that a learner cannot game", "Architecture of the course"):
        assert page.locator("nav a", has_text=title).count() >= 1, f"instructor page {title}"
    assert _images_without_alt(page) == []
    assert _check_internal_links(page, site, server) > len(chapters)
    assert page.errors == []
    _shot(page, "index")


def test_every_chapter_page_renders_with_outputs_launch_buttons_and_alt_text(site, server, page,
                                                                          chapters):
    repo = learner_repo()
    for name, c in chapters.items():
        page.goto(f"{server}/chapters/{name}/{name}.html")
        page.wait_for_selector("article h1")
        assert page.inner_text("article h1").strip().rstrip("#").strip() == c.title
        rel = f"chapters/{name}/{name}.ipynb"
        assert page.locator(f'a[href="{binder_url(rel)}"]').count() >= 1, \
            f"{name}: no Binder launch link to the learner edition"
        assert page.locator(f'a[href="http://localhost:8888/lab/tree/{rel}"]').count() == 1
        assert page.locator(f'a[href*="mybinder.org/v2/gh/{repo}"]').count() >= 2, \
            f"{name}: the theme's launch button is missing"
        outputs = page.locator(".cell_output").count()
        assert outputs >= 3, f"{name}: only {outputs} cell outputs on the page"
        assert "NotImplementedError" in page.inner_text("main"), f"{name}: answer stubs missing"
        assert _images_without_alt(page) == [], name
        broken = page.evaluate("""() => [...document.querySelectorAll('img.qt-figure')]
            .filter(i => !(i.complete && i.naturalWidth > 0)).length""")
        assert broken == 0, f"{name}: {broken} figures do not load"
        _check_internal_links(page, site, server)
        assert page.errors == [], f"{name}: {page.errors[:3]}"
        _shot(page, name)


def test_figures_and_math_render(site, server, page, chapters):
    with_figures = [n for n in chapters if "qt-figure" in
                    (site / "chapters" / n / f"{n}.html").read_text()]
    assert len(with_figures) >= len(chapters) - 1, "figures missing from the chapter pages"
    name = next(n for n in chapters if n.startswith("ch02"))
    page.goto(f"{server}/chapters/{name}/{name}.html")
    page.wait_for_selector("mjx-container", timeout=60_000)  # MathJax, served from _static
    assert page.locator("mjx-container").count() >= 3
    assert page.locator("img.qt-figure").count() >= 1
    page.locator("mjx-container").first.scroll_into_view_if_needed()
    _shot(page, "math")


def test_search_finds_zero_point(site, server, page):
    page.goto(f"{server}/search.html?q=zero-point")
    page.wait_for_selector("#search-results ul.search li", timeout=60_000)
    hits = page.evaluate("""() => [...document.querySelectorAll('#search-results ul.search li a')]
        .map(a => a.getAttribute('href'))""")
    assert any("ch02_quantization_fundamentals" in h for h in hits), hits
    assert page.errors == []
    _shot(page, "search")


def test_no_solution_or_hidden_test_line_anywhere_in_the_site(site):
    secrets = course_secrets(ROOT)
    assert all(secrets.values()), "every chapter has solution or hidden-test lines to look for"
    downloads = sorted(site.glob("_sources/chapters/*/*.ipynb*"))
    assert len(downloads) == len(secrets), "the download button offers each page notebook"
    leaks = scan(site, secrets)
    assert leaks == [], "\n".join(f"{lk.path}: {lk.line}" for lk in leaks[:10])
