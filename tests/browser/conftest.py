"""Headless Chromium for the citizen-path tests: one browser, a fresh context per test.

Debian's Chromium is used (no browser download). Playwright's sync API keeps an
asyncio loop running in the main thread while it is started, so Django's ORM
(demo data, the transactional flush) needs DJANGO_ALLOW_ASYNC_UNSAFE during these
tests only, and the browser is shut down as soon as the last browser test of a run
has finished, so the tests that follow see no running event loop.
"""

import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import require_tool

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_DIR = Path(__file__).resolve().parent
ARTIFACTS = BROWSER_DIR.parents[1] / "test-artifacts" / "browser"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "de-DE",
}


class _Chromium:
    """Playwright and the browser, started on first use and stopped after the last browser test."""

    def __init__(self):
        self.playwright = None
        self.browser = None

    def get(self):
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        return self.browser

    def stop(self):
        if self.browser is not None:
            self.browser.close()
            self.browser = None
        if self.playwright is not None:
            self.playwright.stop()
            self.playwright = None


_chromium = _Chromium()


def _is_browser_item(item) -> bool:
    return item is not None and BROWSER_DIR in Path(str(item.path)).resolve().parents


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    # Called for every test of the session (config.hook), so filter on this folder.
    if not _is_browser_item(item):
        return (yield)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        return (yield)
    finally:
        if not _is_browser_item(nextitem):
            _chromium.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser():
    """The one Chromium of the test session; skipped (failed on CI) when it is not installed."""
    require_tool(
        os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK),
        f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests",
    )
    yield _chromium
    _chromium.stop()


@pytest.fixture
def demo(live_server, transactional_db):
    """The demo county with its published assistants, visible to the live server."""
    call_command("demo", cockpit_scale=0.01, case_scale=0.1, stdout=StringIO())
    return live_server


def _context(browser, **options):
    context = browser.get().new_context(**PHONE, **options)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    return context


@pytest.fixture
def phone(browser):
    """A phone-sized browser context with JavaScript."""
    context = _context(browser)
    yield context
    context.close()


@pytest.fixture
def phone_without_js(browser):
    """A phone-sized browser context with JavaScript switched off."""
    context = _context(browser, java_script_enabled=False)
    yield context
    context.close()


@pytest.fixture
def axe_context(browser):
    """A context with JavaScript for running axe on pages captured from a JavaScript-free context."""
    context = _context(browser)
    yield context
    context.close()


@pytest.fixture
def artifacts():
    """A fresh folder test-artifacts/browser/<journey>/ for the test's screenshots."""

    def make(journey: str) -> Path:
        folder = ARTIFACTS / journey
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    return make
