"""How the UI behaves around its data: refreshing tokens, problems, empty data, the theme, and
jobs' live progress and cancel."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, WebSocketRoute, expect

from tests.web.browser import Site, open_page, with_ui_modules

pytestmark = pytest.mark.timeout(900)


def _stored_session(page: Any) -> dict[str, Any]:
    session: dict[str, Any] = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))
    return session


def test_a_token_about_to_expire_is_refreshed_before_use(browser: Browser, site: Site) -> None:
    tokens = site.tokens()
    page, watch = open_page(browser, site, tokens=tokens, lifetime_seconds=30)
    page.goto("/ui/packs/commerce")
    expect(page.locator("[data-kpi=revenue] dd")).not_to_be_empty()
    session = _stored_session(page)
    assert session["access"] != tokens["access_token"]
    assert session["refresh"] != tokens["refresh_token"]
    assert watch.errors == []
    page.context.close()


def test_a_refused_token_is_refreshed_and_the_call_repeated(browser: Browser, site: Site) -> None:
    tokens = {**site.tokens(), "access_token": "not-a-token"}
    page, _ = open_page(browser, site, tokens=tokens)
    page.goto("/ui/packs/commerce")
    expect(page.locator("[data-kpi=revenue] dd")).not_to_be_empty()
    assert page.url.endswith("/ui/packs/commerce")
    assert _stored_session(page)["refresh"] != tokens["refresh_token"]
    page.context.close()


def test_an_api_problem_shows_its_title_and_request_id(browser: Browser, site: Site) -> None:
    problem = {"type": "https://vantage.dev/problems/unavailable", "title": "Service unavailable",
               "status": 503, "detail": "The database is not answering.", "code": "UNAVAILABLE",
               "request_id": "req-web-123"}  # fmt: skip
    page, _ = open_page(browser, site)

    def unavailable(route: Route) -> None:
        route.fulfill(
            status=503, json=problem, headers={"Content-Type": "application/problem+json"}
        )

    def invalid(route: Route) -> None:
        errors = [{"loc": ["query", "from"], "message": f"bad {n}", "type": "x"} for n in range(12)]
        refused = {**problem, "status": 422, "title": "Request validation failed", "errors": errors}
        headers = {"Content-Type": "application/problem+json"}
        route.fulfill(status=422, json=refused, headers=headers)

    page.route("**/api/v1/commerce/rfm*", unavailable)
    page.route("**/api/v1/commerce/cohorts*", invalid)
    page.goto("/ui/packs/commerce")
    shown = page.locator("#rfm .problem")
    expect(shown).to_contain_text("Service unavailable")
    expect(shown).to_contain_text("The database is not answering.")
    expect(shown).to_contain_text("req-web-123")
    listed = page.locator("#cohorts .problem li")  # each field named, ten at the most
    expect(listed).to_have_text([*(f"from: bad {n}" for n in range(10)), "and 2 more"])
    expect(page.locator("[data-kpi=revenue] dd")).not_to_be_empty()
    page.context.close()


def test_aidev_findings_list_as_many_rows_as_the_anomalies(browser: Browser, site: Site) -> None:
    """The demo's own insights answer, given 40 findings: a table of every one would run for
    thousands of pixels, so the findings are capped like the anomalies beside them."""
    page, watch = open_page(browser, site)

    def many_findings(route: Route) -> None:
        answer = route.fetch().json()
        finding = {"usage": "requests", "outcome": "acceptance_rate", "lag_days": 2,
                   "method": "pearson", "n": 40, "r": 0.61, "p": 0.0001, "q": 0.002}  # fmt: skip
        answer["findings"] = [{**finding, "lag_days": lag % 15} for lag in range(40)]
        route.fulfill(json=answer)

    page.route("**/api/v1/aidev/insights*", many_findings)
    page.goto("/ui/packs/aidev")
    findings = page.locator("#findings table")
    expect(findings.locator("caption")).to_contain_text("strongest first (15 of 40)")
    expect(findings.locator("tbody tr")).to_have_count(15)
    assert watch.errors == []
    page.context.close()


def test_a_tenant_without_data_sees_empty_states(browser: Browser, site: Site) -> None:
    slug = f"empty-{uuid.uuid4().hex[:8]}"
    email, password = f"owner@{slug}.example", "a long enough password"
    site.cli("tenants", "create", slug)
    site.cli("users", "create", email, "--role", "admin", "--tenant", slug, "--password-stdin",
             stdin=password)  # fmt: skip
    answer = httpx.post(f"{site.url}/api/v1/auth/token",
                        json={"email": email, "password": password, "tenant": slug})  # fmt: skip
    page, watch = open_page(browser, site, tokens=answer.json())
    page.goto("/ui/packs/commerce")
    expect(page.locator("#customers .empty")).to_have_text("No customer has bought yet.")
    expect(page.locator("#top-products .empty").first).to_be_visible()
    expect(page.locator("#revenue-chart .empty").first).to_be_visible()
    expect(page.locator("[data-kpi=transactions] dd")).to_have_text("0")
    assert watch.errors == []
    page.context.close()


def test_the_theme_toggle_is_kept_across_pages(browser: Browser, site: Site) -> None:
    page, _ = open_page(browser, site)
    page.emulate_media(color_scheme="light")
    page.goto("/")
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.goto("/ui/admin/users")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("button", name="Light theme")).to_have_attribute("aria-pressed", "true")
    page.context.close()


def _job(percent: float, *, cancel_requested: bool = False) -> dict[str, Any]:
    return {"id": "job-web-1", "kind": "testing.count", "status": "running",
            "progress": {"done": int(percent), "total": 100, "percent": percent},
            "eta_seconds": 12.0, "message": None, "error": None, "attempts": 1, "max_attempts": 3,
            "cancel_requested": cancel_requested, "created_at": "2026-01-01T00:00:00Z",
            "started_at": "2026-01-01T00:00:01Z", "finished_at": None}  # fmt: skip


def test_jobs_show_live_progress_and_can_be_cancelled(browser: Browser, site: Site) -> None:
    """The jobs API and the job's channel are played by the test: the demo has no job to run."""
    state = {"job": _job(40)}
    cancelled: list[str] = []
    sockets: list[WebSocketRoute] = []
    page, _ = open_page(browser, site)

    def jobs(route: Route) -> None:
        page_of_jobs = {"data": [state["job"]], "pagination": {"limit": 50, "offset": 0,
                        "total": 1, "next_cursor": None}}  # fmt: skip
        route.fulfill(json=page_of_jobs)

    def cancel(route: Route) -> None:
        cancelled.append(route.request.method)
        state["job"] = _job(80, cancel_requested=True)
        route.fulfill(json=state["job"])

    page.route("**/api/v1/jobs?*", jobs)
    page.route("**/api/v1/jobs/job-web-1/cancel", cancel)

    def relay(socket: WebSocketRoute) -> None:
        sockets.append(socket)
        socket.connect_to_server()

    page.route_web_socket("**/ws", relay)
    page.goto("/ui/admin/jobs")
    progress = page.get_by_label("Progress of testing.count job-web-1")
    expect(progress).to_have_js_property("value", 40)
    state["job"] = _job(65)
    sockets[0].send(json.dumps({"op": "message", "channel": "core.jobs:job-web-1", "epoch": "e",
                                "offset": 1, "ts": 0, "data": {"id": "job-web-1"}}))  # fmt: skip
    expect(progress).to_have_js_property("value", 65)
    page.get_by_role("button", name="Cancel job job-web-1").click()
    expect(page.locator("#jobs")).to_contain_text("cancelling")
    assert cancelled == ["POST"]
    page.context.close()


def test_keyboard_users_skip_to_the_content_and_open_a_charts_table(
    browser: Browser, site: Site
) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/commerce")
    expect(page.locator("#revenue-chart canvas").first).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    toggle = page.locator("#revenue-chart .chart-head button")
    expect(toggle).to_have_text("Show table")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_have_text("Show chart")
    rows = page.locator("#revenue-chart .chart-table tbody tr")
    token = _stored_session(page)["access"]
    with site.api(token) as api:
        buckets = api.get("/api/v1/commerce/revenue", params={"days": 30}).json()["data"]
    expect(rows).to_have_count(len(buckets))
    newest = buckets[-1]
    expect(rows.first.locator("td").nth(1)).to_have_text(f"${Decimal(newest['revenue']):,.2f}")
    assert watch.errors == []
    page.context.close()


def _in_a_loaded_page(browser: Browser, site: Site, script: str) -> Any:
    """What ``script`` (see ``with_ui_modules``) returns in a loaded page of the UI."""
    page, _ = open_page(browser, site)
    page.goto("/ui/packs/delivery")
    expect(page.locator("[data-kpi=deployments] dd")).not_to_be_empty()
    try:
        return with_ui_modules(page, script)
    finally:
        page.context.close()


def test_a_chart_of_one_point_or_of_zeros_keeps_a_sensible_range(
    browser: Browser, site: Site
) -> None:
    """A week of data is one weekly point: a day either side of it, not years; all-zero rates
    span 0 to 1 (0-100 %), not uPlot's 0-100 (0-10,000 %)."""
    ranges = _in_a_loaded_page(
        browser,
        site,
        "const { timeRange, valueRange } = await load('chart.js');"
        " return [timeRange(null, 1e9, 1e9), timeRange(null, 1, 2), valueRange(null, 0, 0),"
        "         valueRange(null, null, null), valueRange(null, 0.2, 0.8)];",
    )
    day = 86_400
    assert ranges[:4] == [[1e9 - day, 1e9 + day], [1, 2], [0, 1], [None, None]]
    low, high = ranges[4]
    assert low <= 0.2 and 0.8 <= high <= 1


def test_value_axes_take_only_steps_their_labels_tell_apart(browser: Browser, site: Site) -> None:
    """Between $0.13 and $0.15, ticks half a cent apart would read $0.13, $0.14, $0.14, $0.15:
    money at two decimals steps by a cent at least, whole numbers by one, percentages without
    decimals by a point."""
    smallest = _in_a_loaded_page(
        browser,
        site,
        "const { distinctSteps } = await load('chart.js'); const f = await load('format.js');"
        " const usd = (v) => f.money(v, 'USD');"
        " return [distinctSteps(usd, 0.127, 0.148)[0], distinctSteps(f.integer, 0, 3)[0],"
        "         distinctSteps((v) => f.percent(v, 0), 0, 0.04)[0],"
        "         distinctSteps((v) => f.number(v, 2), 189.93, 189.97)[0],"
        "         distinctSteps(f.compact, 8000, 8400)[0], distinctSteps(usd, 5, 5).length];",
    )
    assert smallest[:5] == [0.01, 1, 0.01, 0.01, 100]
    assert smallest[5] > 50  # an empty range leaves uPlot every step


def _first_window_held(browser: Browser, site: Site, path: str) -> tuple[Page, Route]:
    """The commerce page switched to 90 days while its first 30-day answer from ``path`` is
    held back; returns the page and the held request."""
    page, _ = open_page(browser, site)
    held: list[Route] = []

    def hold_the_first_window(route: Route) -> None:
        if "days=30" in route.request.url and not held:
            held.append(route)  # answered only after the 90-day window is shown
        else:
            route.continue_()

    page.route(f"**{path}*", hold_the_first_window)
    with page.expect_request(f"**{path}?days=30*"):
        page.goto("/ui/packs/commerce")
    expect(page.get_by_label("Window")).to_be_enabled()
    page.get_by_label("Window").select_option("90")
    return page, held[0]


def _answer_late(page: Page, held: Route) -> None:
    with page.expect_response(lambda response: response.request == held.request):
        held.continue_()
    page.wait_for_timeout(300)  # time for the late answer to be (wrongly) shown


def _get(page: Page, site: Site, path: str, days: int) -> Any:
    token = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))["access"]
    with site.api(token) as api:
        return api.get(path, params={"days": days}).json()


def test_an_earlier_windows_late_answer_does_not_replace_the_later_one(
    browser: Browser, site: Site
) -> None:
    page, held = _first_window_held(browser, site, "/api/v1/commerce/dashboard")
    shown = page.locator("[data-kpi=transactions] dd")
    expect(shown).not_to_be_empty()
    ninety = shown.get_attribute("data-value")
    _answer_late(page, held)
    assert shown.get_attribute("data-value") == ninety
    assert ninety == str(_get(page, site, "/api/v1/commerce/dashboard", 90)["transactions"])
    page.context.close()


def test_a_late_answer_drawn_outside_a_container_fill_is_dropped_too(
    browser: Browser, site: Site
) -> None:
    """The RFM summary is written by its loader itself, not by fill()."""
    page, held = _first_window_held(browser, site, "/api/v1/commerce/rfm")
    summary = page.locator("#rfm-summary")
    expect(summary).to_contain_text("customers")
    ninety = summary.text_content()
    _answer_late(page, held)
    assert summary.text_content() == ninety
    counts = [_get(page, site, "/api/v1/commerce/rfm", days)["customers"] for days in (30, 90)]
    assert counts[0] != counts[1]  # else the late answer would look like the right one
    assert ninety is not None and ninety.replace(",", "").startswith(f"{counts[1]} customers")
    page.context.close()
