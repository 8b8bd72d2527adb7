"""The delivery, aidev and assist pages in a real headless Chromium: the numbers they show equal
the API's answer for the same window, the figures follow their live channel, and the SQL console
validates, repairs and runs queries."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.browser import SCREENSHOTS, Site, open_page

pytestmark = pytest.mark.timeout(900)


def _token(page: Page) -> str:
    token: str = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))["access"]
    return token


def _shown(page: Page, key: str) -> tuple[str | None, str]:
    value = page.locator(f"[data-kpi={key}] dd")
    return value.get_attribute("data-value"), value.inner_text()


def _percent(ratio: float) -> str:
    """A ratio as en-US ``Intl.NumberFormat`` shows it with at most one decimal."""
    return f"{ratio * 100:.1f}".removesuffix(".0") + "%"


def _date(moment: datetime) -> str:
    """A date as en-US ``toLocaleDateString`` shows it (``Nov 5, 2026``)."""
    return f"{moment:%b} {moment.day}, {moment.year}"


def _get(site: Site, page: Page, path: str, **params: Any) -> Any:
    with site.api(_token(page)) as api:
        answer = api.get(path, params=params)
    answer.raise_for_status()
    return answer.json()


def test_delivery_figures_equal_the_apis_answer_for_the_same_window(
    browser: Browser, site: Site
) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/delivery")
    page.get_by_label("Window", exact=True).select_option("90")
    answer = _get(site, page, "/api/v1/delivery/dora", days=90)
    start = datetime.fromisoformat(answer["window"]["from"])
    expect(page.locator("#delivery-as-of")).to_contain_text(_date(start))
    page.wait_for_load_state("networkidle")
    frequency = answer["deployment_frequency"]
    assert frequency["deployments"] > 0
    deployments, deployments_text = _shown(page, "deployments")
    assert (deployments, deployments_text) == (str(frequency["deployments"]),
                                               f"{frequency['deployments']:,}")  # fmt: skip
    per_day, _ = _shown(page, "deployment_frequency")
    assert per_day is not None and float(per_day) == frequency["per_day"]
    rate, rate_text = _shown(page, "change_failure_rate")
    assert rate is not None and float(rate) == answer["change_failure_rate"]["rate"]
    assert rate_text == _percent(answer["change_failure_rate"]["rate"])
    bands = page.locator("#dora-bands tbody tr", has_text="Overall")
    for year in ("2021", "2023", "2024"):
        assert answer["bands"][year]["overall"] in bands.inner_text()
    merged = _get(site, page, "/api/v1/delivery/pulls", days=90, limit=1)["summary"]["merged"]
    assert _shown(page, "merged") == (str(merged), f"{merged:,}")
    assert page.locator("#pulls tbody tr").count() == 20
    assert watch.errors == []
    page.context.close()


def test_delivery_figures_follow_a_new_deployment_live(browser: Browser, site: Site) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/delivery")
    deployments = page.locator("[data-kpi=deployments] dd")
    expect(deployments).not_to_be_empty()
    page.wait_for_load_state("networkidle")
    before = int(deployments.get_attribute("data-value") or "0")
    deployment = {"id": f"web-{uuid.uuid4()}", "service": "web-live", "environment": "production",
                  "status": "success", "at": datetime.now(UTC).isoformat()}  # fmt: skip
    with site.api(_token(page)) as api:
        stored = api.post("/api/v1/delivery/deployments", json={"deployments": [deployment]})
    assert stored.json()["accepted"] == 1
    expect(deployments).to_have_attribute("data-value", str(before + 1), timeout=15_000)
    assert watch.errors == []
    page.context.close()


def test_aidev_figures_equal_the_apis_answer_for_the_same_window(
    browser: Browser, site: Site
) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/aidev")
    page.get_by_label("Window", exact=True).select_option("14")
    answer = _get(site, page, "/api/v1/aidev/metrics", days=14)
    start = datetime.fromisoformat(answer["window"]["from"])
    caption = page.locator("#aidev-kpi-table caption")
    expect(caption).to_contain_text(_date(start))
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-kpi]").count() == 9
    for kpi in answer["kpis"]:
        value, _ = _shown(page, kpi["key"])
        if kpi["value"] is None:
            assert value == ""
        else:
            assert value is not None and float(value) == kpi["value"], kpi["key"]
    acceptance = next(k for k in answer["kpis"] if k["key"] == "acceptance_rate")
    assert acceptance["value"] > 0
    assert _shown(page, "acceptance_rate")[1].startswith(_percent(acceptance["value"]))
    first = page.locator("#sessions tbody tr:first-child td:nth-child(2)")
    sessions = _get(site, page, "/api/v1/aidev/sessions", limit=20)
    assert first.inner_text() == sessions["data"][0]["developer"]
    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#sessions-page")).to_contain_text("Page 2")
    assert watch.errors == []
    page.context.close()


def test_assist_figures_equal_the_apis_answer_and_the_console_runs_queries(
    browser: Browser, site: Site
) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/assist")
    expect(page.locator("#performance table")).to_be_visible()
    page.wait_for_load_state("networkidle")
    performance = _get(site, page, "/api/v1/ml/performance", days=7)
    predictions = sum(model["predictions"] for model in performance["models"])
    assert predictions > 0
    assert _shown(page, "predictions") == (str(predictions), f"{predictions:,}")
    assert page.locator("#performance tbody tr").count() == len(performance["models"])
    found = _get(site, page, "/api/v1/ml/anomalies", days=14)["anomalies"]
    days = len({anomaly["day"] for anomaly in found})
    assert len(found) > days > 0  # the demo's bad day is anomalous in several series
    assert _shown(page, "anomalous_days") == (str(days), f"{days:,}")
    assert _shown(page, "anomalies") == (str(len(found)), f"{len(found):,}")
    indexed = _get(site, page, "/api/v1/search/index")["items_indexed"]
    assert indexed > 0  # the demo's learning entries, work items and pull requests
    assert _shown(page, "items_indexed") == (str(indexed), f"{indexed:,}")

    expect(page.locator("#sql-scope-note")).to_be_hidden()  # an admin may analyze
    sql = page.get_by_label("SQL", exact=True)
    sql.fill("SELECT statuss\nFROM commerce_order")
    page.get_by_label("Checks", exact=True).select_option("sql-semantics")
    page.get_by_role("button", name="Validate").click()
    finding = page.locator("#sql-findings tr", has_text="SQL_UNKNOWN_TABLE")
    expect(finding).to_contain_text("commerce_orders")
    assert finding.locator("td").nth(0).inner_text() == "2"  # line
    assert finding.locator("td").nth(1).inner_text() == "6"  # column
    suggestions = page.locator("#sql-suggestions li")
    page.get_by_role("button", name="Suggest fixes").click()
    expect(suggestions.first).to_be_visible()
    page.get_by_role("button", name="Validate").click()  # a later check empties the fixes
    expect(suggestions).to_have_count(0)
    expect(finding).to_be_visible()
    page.get_by_role("button", name="Suggest fixes").click()
    expect(page.locator("#sql-findings tr")).to_have_count(0)
    page.get_by_role("button", name="Use suggestion 1").click()
    expect(sql).to_have_value("SELECT status FROM commerce_orders LIMIT 100")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#sql-status")).to_contain_text("100 rows")
    assert page.locator("#sql-result [data-truncated]").get_attribute("data-truncated") == "false"
    assert page.locator("#sql-result tbody tr").count() == 100
    everything = "SELECT order_id FROM commerce_orders"
    with site.api(_token(page)) as api:
        ran = api.post("/api/v1/ai/query", json={"sql": everything}).json()
    assert ran["truncated"] is True
    sql.fill("SELECT statuss FROM commerce_orders LIMIT 5")
    page.get_by_role("button", name="Suggest fixes").click()
    expect(suggestions.first).to_be_visible()
    sql.fill(everything)
    page.get_by_role("button", name="Run").click()
    expect(suggestions).to_have_count(0)  # fixes of the query before are no longer shown
    expect(page.locator("#sql-status")).to_contain_text(f"{ran['row_count']:,} rows")
    expect(page.locator("#sql-status")).to_contain_text("truncated")
    assert page.locator("#sql-result [data-truncated]").get_attribute("data-truncated") == "true"
    assert page.locator("#sql-result tbody tr").count() == ran["row_count"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#console-title").locator("..").screenshot(path=SCREENSHOTS / "assist-console.png")
    assert watch.errors == []
    # Run after a syntax-level check: the full checks refuse the query, and the console says why.
    page.get_by_label("Checks", exact=True).select_option("sql-syntax")
    sql.fill("SELECT nosuchcol FROM commerce_orders LIMIT 1")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#sql-findings tr", has_text="SQL_UNKNOWN_COLUMN")).to_contain_text("1")
    expect(page.locator("#sql-status")).to_contain_text("Not valid: 1 finding")
    page.context.close()


def test_assist_estimates_story_points_and_searches_by_kind(browser: Browser, site: Site) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/assist")
    expect(page.locator("#performance table")).to_be_visible()
    title = "Add pagination to the orders endpoint"
    with site.api(_token(page)) as api:
        estimate = api.post("/api/v1/ai/estimate/story-points", json={"title": title}).json()
        found = api.post(
            "/api/v1/search/similar", json={"text": "checkout", "k": 10, "kinds": ["work_item"]}
        ).json()
    assert estimate["n"] > 0 and estimate["story_points"] is not None
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_role("button", name="Estimate").click()
    expect(page.locator("#estimate-status")).to_contain_text(
        f"About {estimate['story_points']:.1f} points"
    )
    expect(page.locator("#estimate-status")).to_contain_text(f"over {estimate['n']:,} finished")
    rows = page.locator("#estimate-neighbours tbody tr")
    expect(rows).to_have_count(len(estimate["neighbours"]))
    assert rows.first.locator("td").nth(0).inner_text().endswith(estimate["neighbours"][0]["title"])
    page.get_by_label("Text", exact=True).fill("checkout")
    page.get_by_label("Kind", exact=True).select_option("work_item")
    page.get_by_role("button", name="Search").click()
    hits = page.locator("#search-results tbody tr")
    expect(hits).to_have_count(len(found["results"]))
    assert found["results"] and hits.first.locator("td").nth(0).inner_text() == "work item"
    assert watch.errors == []
    page.context.close()


def test_a_viewer_sees_the_console_disabled_and_why(browser: Browser, site: Site) -> None:
    email, password = f"viewer-{uuid.uuid4().hex[:8]}@demo.example", "a long enough password"
    site.cli("users", "create", email, "--role", "viewer", "--password-stdin", stdin=password)
    answer = httpx.post(f"{site.url}/api/v1/auth/token",
                        json={"email": email, "password": password})  # fmt: skip
    answer.raise_for_status()
    page, watch = open_page(browser, site, tokens=answer.json())
    page.goto("/ui/packs/assist")
    expect(page.locator("#performance table")).to_be_visible()
    note = page.locator("#sql-scope-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("analyze")
    for name in ("Validate", "Run", "Suggest fixes"):
        button = page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_disabled()
        assert button.get_attribute("aria-describedby") == "sql-scope-note"
    expect(page.get_by_role("button", name="Estimate")).to_be_enabled()  # read is enough
    assert watch.errors == []
    page.context.close()
