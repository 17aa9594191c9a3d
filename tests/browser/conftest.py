"""Playwright with the system's Chromium (no browser download), against pytest-django's live server.

Outside CI, a machine without Chromium skips these tests with a message saying how to get it;
CI sets GLF_REQUIRE_BROWSER=1 so that a missing browser fails instead.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = (
            f"Browser tests need Chromium at {CHROMIUM}. On Debian or Ubuntu: "
            "sudo apt-get install chromium (or set CHROMIUM_PATH to another Chromium)."
        )
        if os.environ.get("GLF_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# Chromium logs every 4xx response as a console error. 409 and 422 are answers the app gives
# on purpose (a conflict to show, a form to correct) and htmx swaps them in, so those two are
# not errors; anything else (a 404 for a script, a CSP refusal, an exception) still is.
EXPECTED_STATUS_MESSAGES = (
    "Failed to load resource: the server responded with a status of 409 (Conflict)",
    "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)",
)


def console_error(message) -> str | None:
    if message.type != "error" or message.text in EXPECTED_STATUS_MESSAGES:
        return None
    return message.text


# Assertions wait up to 10 s, like actions: the default 5 s is too short for an autosave's
# 2 s debounce and round trip when CI shares a loaded 2-core machine.
expect.set_options(timeout=10_000)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(console_error(message)) if console_error(message) else None,
    )
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def log_in(page):
    """Log in through the real form, as a user would."""

    def log_in_as(user, password: str = TEST_PASSWORD):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    return log_in_as
