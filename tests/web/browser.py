"""A real Vantage with demo data and a headless Chromium driven by Playwright, for UI tests."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response

from tests.support.servers import running_vantage

AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"
# Written by every run, for people to look at the pages (.vantage/ is not committed).
SCREENSHOTS = Path(".vantage/screenshots")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DEMO_TIMEOUT_SECONDS = 600
# What the server needs for a browser test run: many sign-ins from one address and account.
SERVER_ENV = {
    "VANTAGE_LOG_LEVEL": "WARNING",
    "VANTAGE_LOGIN_LIMIT_PER_ACCOUNT": "1000/minute",
    "VANTAGE_LOGIN_LIMIT_PER_IP": "1000/minute",
}


def chromium_executable() -> str | None:
    """The Chromium to drive: ``VANTAGE_TEST_CHROMIUM``, else the first one on the PATH."""
    named = os.environ.get("VANTAGE_TEST_CHROMIUM")
    if named:
        return named
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


def require_chromium() -> str:
    """The Chromium path; without one, skip (or fail under CI, where it must be installed)."""
    executable = chromium_executable()
    if executable is None:
        reason = "no Chromium found (install it, or name it in VANTAGE_TEST_CHROMIUM)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the browser tests")
        pytest.skip(reason)
    return executable


@dataclass(frozen=True)
class Site:
    """A running server with demo data and its demo admin's login."""

    url: str
    email: str
    password: str
    env: dict[str, str]
    workdir: Path

    def tokens(self) -> dict[str, Any]:
        """A fresh sign-in of the demo admin through the API."""
        answer = httpx.post(
            f"{self.url}/api/v1/auth/token", json={"email": self.email, "password": self.password}
        )
        answer.raise_for_status()
        tokens: dict[str, Any] = answer.json()
        return tokens

    def api(self, token: str) -> httpx.Client:
        """An API client acting with ``token``."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"})

    def cli(self, *args: str, stdin: str = "") -> None:
        """Run ``vantage ARGS`` against the site's data directory."""
        subprocess.run(
            [sys.executable, "-m", "vantage", *args], input=stdin, text=True, check=True,
            env={**os.environ, **self.env}, cwd=self.workdir, capture_output=True,
        )  # fmt: skip


@contextmanager
def demo_site(workdir: Path) -> Iterator[Site]:
    """Load the small demo into a fresh data directory, then serve it."""
    env = {**SERVER_ENV, "VANTAGE_DATA_DIR": str(workdir / "data")}
    subprocess.run(
        [sys.executable, "-m", "vantage", "demo", "--no-serve", "--scale", "small"],
        env={**os.environ, **env}, cwd=workdir, check=True, capture_output=True,
        timeout=DEMO_TIMEOUT_SECONDS,
    )  # fmt: skip
    login = json.loads((workdir / "data" / "demo-admin.json").read_text())
    with running_vantage(["serve"], env, workdir, workdir / "server.log") as (url, _, _):
        yield Site(url, login["email"], login["password"], env, workdir)


@dataclass
class PageWatch:
    """What a page did while it loaded: console errors and the scripts and styles it fetched."""

    errors: list[str] = field(default_factory=list)
    assets: dict[str, int] = field(default_factory=dict)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_response(self, response: Response) -> None:
        if response.request.resource_type in ("script", "stylesheet") and response.ok:
            self.assets[response.url] = len(gzip.compress(response.body()))

    def gzipped_bytes(self) -> int:
        return sum(self.assets.values())


def open_page(
    browser: Browser,
    site: Site,
    *,
    signed_in: bool = True,
    tokens: dict[str, Any] | None = None,
    lifetime_seconds: float | None = None,
) -> tuple[Page, PageWatch]:
    """A new context (locale en-US) with axe-core loaded in every document.

    Signed in (with ``tokens``, else a fresh sign-in of the demo admin) by storing the tokens
    where the UI keeps them, as if they had ``lifetime_seconds`` left (default: their own).
    """
    context = browser.new_context(base_url=site.url, locale="en-US",
                                  viewport={"width": 1280, "height": 900})  # fmt: skip
    context.add_init_script(path=str(AXE_SCRIPT))
    page = context.new_page()
    watch = PageWatch()
    page.on("console", watch.on_console)
    page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
    page.on("response", watch.on_response)
    if signed_in:
        tokens = tokens or site.tokens()
        session = {
            "access": tokens["access_token"],
            "refresh": tokens["refresh_token"],
            "lifetime": lifetime_seconds or tokens["expires_in"],
        }
        # Only into a tab without a session, so tokens the page has refreshed are kept.
        context.add_init_script(
            "if (!sessionStorage.getItem('vantage.session')) {"
            f"const s = {json.dumps(session)}; s.expiresAt = Date.now() + s.lifetime * 1000;"
            "sessionStorage.setItem('vantage.session', JSON.stringify(s)); }"
        )
    return page, watch


SERIOUS_VIOLATIONS = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target).join(" ")}`);
}"""


def axe_violations(page: Page) -> list[str]:
    """Serious and critical accessibility violations axe-core finds in the page as it is."""
    found: list[str] = page.evaluate(SERIOUS_VIOLATIONS)
    return found


def with_ui_modules(page: Page, body: str, arg: Any = None) -> Any:
    """Run ``body`` in an async function of the page where ``load(name)`` imports one of the UI's
    static modules (``chart.js``, ``auth.js`` ...) as the page loaded it, and ``arg`` is given."""
    return page.evaluate(
        "async (arg) => {"
        " const base = [...document.scripts].find(s => s.src.includes('/ui/static/')).src;"
        f" const load = (name) => import(new URL(name, base)); {body} }}",
        arg,
    )
