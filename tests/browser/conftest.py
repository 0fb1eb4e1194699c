"""A real browser (Debian's chromium through playwright) against a real ``hub serve``."""

from __future__ import annotations

import os

import pytest

from tests.browser.journey import CHROMIUM, FakeKlaviyo, chromium_missing_reason, start_hub


@pytest.fixture(scope="module")
def browser():
    reason = chromium_missing_reason()
    if reason:
        if os.environ.get("HUB_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Never `playwright install`: the system's chromium is the browser under test.
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def klaviyo():
    fake = FakeKlaviyo().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory, browser):
    hub = start_hub(tmp_path_factory.mktemp("browser") / "data")
    yield hub
    hub.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
