"""Debian's headless Chromium under Playwright, shared by the browser tests.

Playwright is only the driver: no browser is downloaded (never run `playwright install`);
scripts/test installs Debian's chromium. Without it a browser test skips, except under CI
(env CI set), where a skipped browser test would hide a broken page, so it fails.
Import the fixtures into a test module: ``from browser_support import browser, site``.
"""
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# --no-sandbox: the suite runs as root. The rest keep Chromium off the network: this machine
# has none, and background fetches (updates, sync, QUIC probes) only slow the start down.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--lang=zh-CN"]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR") or Path(__file__).with_name("artifacts"))
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN", "accept_downloads": True}


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright; skipped when it is not installed (failed under CI)."""
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} not found: install Debian's chromium package (scripts/test does)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; under CI the browser test must run", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def app(live_app):
    """Every fixture (world, codes) on the app that live_server serves."""
    return live_app


@pytest.fixture
def site(app, live_server):
    """The served app's base URL; printed codes point there (plain http, so no Secure cookie)."""
    app.config["PUBLIC_BASE_URL"] = live_server
    return live_server


def screenshot(page, name, full_page=True):
    """Save a screenshot under the artifacts folder; returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


def console_login(browser, site, username, password, **context_options):
    """A desktop browser page signed in to the admin console as ``username``."""
    from server.extensions import db

    db.session.rollback()  # end this thread's read: the server writes the session next
    context = browser.new_context(base_url=site, **{**DESKTOP, **context_options})
    page = context.new_page()
    page.goto("/admin/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert not re.search(r"/admin/login", page.url), page.locator("main").inner_text()
    return page
