"""Every page in a real headless Chromium: it renders without console errors, axe-core finds
no serious or critical violation, its scripts and styles stay within budget, in both themes, and
at 1280 px no table needs scrolling sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.web.browser import SCREENSHOTS, Site, axe_violations, open_page

pytestmark = pytest.mark.timeout(900)

# Path -> an element that appears once the page has its data.
PAGES = {
    "overview": ("/", "#pack-cards [data-pack]"),
    "commerce": ("/ui/packs/commerce", "[data-kpi=revenue] dd"),
    "trading": ("/ui/packs/trading", "[data-kpi=daily_pnl] dd"),
    "gateway": ("/ui/packs/gateway", "#specialists table"),
    "delivery": ("/ui/packs/delivery", "[data-kpi=deployments] dd"),
    "aidev": ("/ui/packs/aidev", "[data-kpi=ai_velocity] dd"),
    "assist": ("/ui/packs/assist", "#performance table"),
    "users": ("/ui/admin/users", "#users table"),
    "api-keys": ("/ui/admin/api-keys", "#api-keys table, #api-keys .empty"),
    "jobs": ("/ui/admin/jobs", "#jobs table, #jobs .empty"),
}
BUDGET_BYTES = 150 * 1024
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
PHONE_WIDTH = 390


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_accessibly_within_budget_in_both_themes(
    browser: Browser, site: Site, name: str
) -> None:
    path, ready = PAGES[name]
    page, watch = open_page(browser, site)
    page.goto(path)
    expect(page.locator(ready).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for theme in ("light", "dark"):
        page.emulate_media(color_scheme=theme)
        page.screenshot(path=SCREENSHOTS / f"{name}-{theme}.png", full_page=True)
        assert axe_violations(page) == [], f"{name} in the {theme} theme"
    print(f"{name}: scripts and styles {watch.gzipped_bytes() / 1024:.1f} KiB gzipped;"
          f" screenshots in {SCREENSHOTS.resolve()}")  # fmt: skip
    assert watch.gzipped_bytes() <= BUDGET_BYTES
    assert watch.errors == []
    assert page.evaluate(SIDEWAYS_TABLES) == [], "tables that scroll sideways at 1280 px"
    page.context.close()


# The labels of the table frames whose table is wider than the frame (they scroll sideways).
SIDEWAYS_TABLES = """[...document.querySelectorAll('.table-wrap')]
    .filter((frame) => frame.scrollWidth > frame.clientWidth + 1)
    .map((frame) => frame.getAttribute('aria-label'))"""


@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_a_phone_screen(browser: Browser, site: Site, name: str) -> None:
    """At 390 px nothing is wider than the screen, so no control is cut off at its edge."""
    path, ready = PAGES[name]
    page, watch = open_page(browser, site)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    page.goto(path)
    expect(page.locator(ready).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert watch.errors == []
    page.context.close()


def test_sign_in_page_renders_accessibly(browser: Browser, site: Site) -> None:
    page, watch = open_page(browser, site, signed_in=False)
    page.goto("/ui/sign-in")
    expect(page.get_by_label("Email")).to_be_focused()
    page.screenshot(path=SCREENSHOTS / "sign-in-light.png")
    assert axe_violations(page) == []
    assert watch.errors == []
    page.context.close()


@pytest.mark.parametrize(
    ("path", "rendered"),
    [("/docs", ".swagger-ui .opblock-summary-path"), ("/redoc", "[role=search] input")],
)
def test_api_documentation_renders_from_this_server_alone(
    browser: Browser, site: Site, path: str, rendered: str
) -> None:
    """Requests for any other origin are refused here, as where no CDN can be reached."""
    page, watch = open_page(browser, site, signed_in=False)
    others: list[str] = []

    def refuse_other_origins(route: Route) -> None:
        others.append(route.request.url)
        route.abort()

    page.route(re.compile(rf"^(?!{re.escape(site.url)}/).*"), refuse_other_origins)
    page.goto(path)
    expect(page.locator(rendered).first).to_be_visible(timeout=30_000)
    page.screenshot(path=SCREENSHOTS / f"api{path.replace('/', '-')}.png")
    assert others == []
    # ReDoc's "API docs by Redocly" logo is its one request elsewhere: the policy refuses it, and
    # ReDoc then leaves the logo out.
    assert [error for error in watch.errors if REDOCLY_LOGO not in error] == []
    page.context.close()
