"""Real headless Chromium (Debian's /usr/bin/chromium) through Playwright: the browser and fresh pages (with the
service's CSP enforced and checked). What tests do in a page is in `tests.e2e.browser`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.environment import CHROMIUM, REQUIRE_REAL_SERVICES


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if REQUIRE_REAL_SERVICES:
            pytest.fail(f"Chromium is not installed at {CHROMIUM}")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


# Runs in every page before its own scripts (through the DevTools protocol, which the page's CSP does not govern):
# each Content-Security-Policy violation is written to the console, where the fixture below collects it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked} on ${location.pathname}`);
});
"""


@pytest.fixture
def new_page(browser, live_server):
    """Make a fresh browser context (its own cookies) and page; closed after the test.

    The service's Content-Security-Policy is enforced as in production, and the test fails if any page it
    visited broke it (the browser reports each violation; they are collected from every page of the test)."""
    contexts = []
    violations: list[str] = []

    def collect(message) -> None:
        if message.type == "error" and ("Content Security Policy" in message.text or "CSP violation" in message.text):
            violations.append(message.text)

    def _new_page():
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", collect)
        return page

    yield _new_page
    for context in contexts:
        context.close()
    assert violations == [], f"pages broke the Content-Security-Policy: {violations}"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Pages keep rendered parts in the cache (the dashboard, the public pages); start each test without any."""
    from django.core.cache import cache

    cache.clear()
