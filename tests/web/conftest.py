from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.web.browser import Site, demo_site, require_chromium


@pytest.fixture(scope="session")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(scope="session")
def site(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server with the small demo loaded, shared by every browser test."""
    with demo_site(tmp_path_factory.mktemp("web-site")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """A Chromium for one test module. Playwright's sync API keeps its event loop marked as
    running in this thread while it runs, which would stop every later ``asyncio.run`` and async
    test: it is stopped when the module's tests are done."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        yield launched
        launched.close()
