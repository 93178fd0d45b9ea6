"""Fixtures for browser tests: ``page`` is a Playwright page in headless system Chromium."""

from __future__ import annotations

import pytest
from browser_lab import CHROMIUM_ARGS, chromium_path


@pytest.fixture
def page():
    executable = chromium_path()  # skips (fails under CI) without /usr/bin/chromium
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()
