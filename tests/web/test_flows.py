"""What a user does in the UI, in a real headless Chromium against a real server: sign in and
out, read the commerce figures, watch trading live, stream a chat answer, import orders."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, FilePayload, Page, WebSocketRoute, expect

from tests.web.browser import SCREENSHOTS, Site, open_page, with_ui_modules

pytestmark = pytest.mark.timeout(900)


def _sign_in_through_the_form(page: Page, site: Site) -> None:
    page.get_by_label("Email").fill(site.email)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()


def _wait_until(page: Page, condition: Callable[[], bool], seconds: float = 15) -> bool:
    """Poll ``condition``; the handlers of routed sockets run while Playwright waits."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(50)
    return True


def test_signing_in_leads_back_to_the_page_asked_for(browser: Browser, site: Site) -> None:
    page, _ = open_page(browser, site, signed_in=False)
    page.goto("/ui/packs/commerce?from=link")
    expect(page).to_have_url("/ui/sign-in?next=%2Fui%2Fpacks%2Fcommerce%3Ffrom%3Dlink")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_label("Email").fill(site.email)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Incorrect email or password")
    _sign_in_through_the_form(page, site)
    expect(page).to_have_url(f"{site.url}/ui/packs/commerce?from=link")
    expect(page.locator("[data-kpi=revenue] dd")).not_to_be_empty()
    page.context.close()


def test_signing_in_never_leads_to_another_site(browser: Browser, site: Site) -> None:
    """Browsers drop tabs and newlines from URLs and read a backslash as a slash."""
    page, _ = open_page(browser, site, signed_in=False)
    page.goto("/ui/sign-in?next=%2F%09%2Fexample.com")
    leaving = ["/\t/example.com", "/\n/example.com", "/\\example.com", "//x.org", "https://x.org"]
    staying = ["/ui/packs/gateway?days=7#top", "/"]
    chosen = with_ui_modules(
        page,
        "const { safeNext } = await load('auth.js'); return arg.map(safeNext);",
        leaving + staying,
    )
    assert chosen == ["/"] * len(leaving) + staying
    _sign_in_through_the_form(page, site)
    expect(page).to_have_url(f"{site.url}/")
    page.context.close()


def test_an_expired_session_goes_to_sign_in_and_back(browser: Browser, site: Site) -> None:
    page, _ = open_page(browser, site, signed_in=False)
    page.goto("/ui/sign-in")
    stale = {"access": "expired", "refresh": "spent", "expiresAt": time.time() * 1000 + 3_600_000}
    page.evaluate("s => sessionStorage.setItem('vantage.session', JSON.stringify(s))", stale)
    page.goto("/ui/packs/gateway")
    expect(page).to_have_url("/ui/sign-in?next=%2Fui%2Fpacks%2Fgateway&expired=1")
    expect(page.get_by_text("Your session ended")).to_be_visible()
    _sign_in_through_the_form(page, site)
    expect(page).to_have_url(f"{site.url}/ui/packs/gateway")
    page.context.close()


def test_sign_out_ends_the_sign_in_on_the_server(browser: Browser, site: Site) -> None:
    page, watch = open_page(browser, site, signed_in=False)
    page.goto("/ui/sign-in")
    _sign_in_through_the_form(page, site)
    expect(page.locator("#pack-cards [data-pack]").first).to_be_visible()
    session = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{site.url}/ui/sign-in")
    assert page.evaluate("sessionStorage.getItem('vantage.session')") is None
    with site.api(session["access"]) as api:
        refused = api.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh"]})
    assert refused.status_code == 401
    assert watch.errors == []
    page.context.close()


def _us_dollars(amount: str) -> str:
    value = Decimal(amount)
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def test_commerce_figures_equal_the_apis_answer_for_the_same_window(
    browser: Browser, site: Site
) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/commerce")
    page.get_by_label("Window").select_option("90")
    revenue = page.locator("[data-kpi=revenue] dd")
    expect(revenue).not_to_be_empty()
    page.wait_for_load_state("networkidle")
    token = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))["access"]
    with site.api(token) as api:
        answer = api.get("/api/v1/commerce/dashboard", params={"days": 90}).json()
    assert answer["currency"] == "USD" and Decimal(answer["revenue"]) > 0
    shown = {
        key: (page.locator(f"[data-kpi={key}] dd").get_attribute("data-value"),
              page.locator(f"[data-kpi={key}] dd").inner_text())
        for key in ("revenue", "transactions", "aov", "units", "refunds")
    }  # fmt: skip
    assert shown == {
        "revenue": (answer["revenue"], _us_dollars(answer["revenue"])),
        "transactions": (str(answer["transactions"]), f"{answer['transactions']:,}"),
        "aov": (answer["aov"], _us_dollars(answer["aov"])),
        "units": (str(answer["units"]), f"{answer['units']:,}"),
        "refunds": (answer["refunds"], _us_dollars(answer["refunds"])),
    }
    assert watch.errors == []
    page.context.close()


def test_customers_page_forward_and_back_by_cursor(browser: Browser, site: Site) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/commerce")
    first_row = page.locator("#customers tbody tr:first-child td:first-child")
    expect(first_row).to_be_visible()
    first = first_row.inner_text()
    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#customers-page")).to_have_text("Page 2")
    expect(first_row).not_to_have_text(first)
    page.get_by_role("button", name="Previous page").click()
    expect(first_row).to_have_text(first)
    assert watch.errors == []
    page.context.close()


def _tick(symbol: str, last: float) -> dict[str, object]:
    return {"id": f"web-{uuid.uuid4()}", "ts": datetime.now(UTC).isoformat(), "type": "tick",
            "symbol": symbol, "bid": last - 0.01, "ask": last + 0.01, "last": last}  # fmt: skip


def test_trading_shows_an_ingested_tick_live(browser: Browser, site: Site) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/trading")
    expect(page.locator("[data-kpi=daily_pnl] dd")).not_to_be_empty()
    fixed = "const f = await load('format.js'); return [-134, 0.5, null].map((v) => f.fixed(v));"
    assert with_ui_modules(page, fixed) == ["-134.00", "0.50", "\N{EN DASH}"]
    for key in ("daily_pnl", "realized_pnl", "unrealized_pnl"):  # amounts: always two decimals
        expect(page.locator(f"[data-kpi={key}] dd")).to_have_text(re.compile(r"^-?[\d,]+\.\d\d$"))
    page.evaluate("window.stillTheSameDocument = true")
    last_price = page.locator('[data-symbol="WEBTEST"][data-field=last]')
    token = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))["access"]
    with site.api(token) as api:
        for price, shown in ((42.5, "42.5"), (43.1234, "43.1234")):
            answer = api.post("/api/v1/trading/events", json={"events": [_tick("WEBTEST", price)]})
            assert answer.json()["accepted"] == 1
            # How soon is the benchmark's question (bench.trading); here: it arrives unasked.
            expect(last_price).to_have_text(shown)
    assert page.evaluate("window.stillTheSameDocument") is True
    assert watch.errors == []
    page.context.close()


def test_a_lost_connection_shows_a_banner_and_resumes_where_it_stopped(
    browser: Browser, site: Site
) -> None:
    page, _ = open_page(browser, site)
    sent: list[dict[str, object]] = []
    acknowledged: set[object] = set()
    sockets: list[WebSocketRoute] = []

    def relay(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()
        sockets.append(socket)

        def to_server(message: str | bytes) -> None:
            sent.append(json.loads(message))
            server.send(message)

        def to_page(message: str | bytes) -> None:
            reply = json.loads(message)
            if reply.get("op") == "subscribed":
                acknowledged.add(reply["channel"])
            socket.send(message)

        socket.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket("**/ws", relay)
    page.goto("/ui/packs/trading")
    expect(page.locator("#trading-as-of")).to_contain_text("Snapshot")
    # A channel has a position to resume from only once its subscription was acknowledged;
    # the first snapshot can arrive before the second channel's acknowledgement.
    assert _wait_until(page, lambda: {"trading.metrics", "trading.trades"} <= acknowledged)
    page.evaluate("window.stillTheSameDocument = true")
    sockets[0].close(code=1012, reason="restart")
    banner = page.locator("#live-banner")
    expect(banner).to_contain_text("connection was lost")
    expect(banner).to_be_hidden(timeout=10_000)
    resumed = [m for m in sent if m.get("op") == "subscribe" and "since" in m]
    assert {m["channel"] for m in resumed} >= {"trading.metrics", "trading.trades"}
    assert len(sockets) == 2
    assert page.evaluate("window.stillTheSameDocument") is True
    page.context.close()


def test_the_chat_playground_streams_an_answer(browser: Browser, site: Site) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/gateway")
    page.get_by_label("Specialist", exact=True).select_option("quick-answers")
    page.evaluate(
        """() => { window.answerUpdates = 0;
        new MutationObserver(() => { window.answerUpdates += 1; })
          .observe(document.getElementById("chat-output"), { childList: true }); }"""
    )
    page.get_by_label("Message", exact=True).fill("What drove revenue last week?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-meta")).to_contain_text("output tokens", timeout=30_000)
    expect(page.locator("#chat-meta")).to_contain_text("cost $")
    assert page.locator("#chat-output").inner_text().strip()
    assert page.evaluate("window.answerUpdates") >= 2, "the answer arrived in one piece"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    playground = page.locator("#playground-title").locator("..")
    playground.screenshot(path=SCREENSHOTS / "gateway-chat.png")
    assert watch.errors == []
    page.context.close()


def test_the_chat_playgrounds_stop_ends_the_stream(browser: Browser, site: Site) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/gateway")
    page.get_by_label("Specialist", exact=True).select_option("finance-analyst")
    token = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))["access"]
    query = {"status": "client_disconnect", "specialist": "finance-analyst", "days": "1"}
    with site.api(token) as api:
        before = api.get("/api/v1/usage", params=query).json()["pagination"]["total"]
    # Stop is pressed as soon as the first words are shown, long before the answer's end.
    page.evaluate(
        """() => { const output = document.getElementById("chat-output");
        const observer = new MutationObserver(() => {
          observer.disconnect(); document.getElementById("chat-stop").click(); });
        observer.observe(output, { childList: true }); }"""
    )
    page.get_by_label("Message", exact=True).fill(
        "Walk me through every driver of revenue, cost and margin for each region this year."
    )
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-meta")).to_have_text("Stopped.", timeout=30_000)
    expect(page.locator("#chat-send")).to_be_enabled()
    expect(page.locator("#chat-stop")).to_be_disabled()
    shown = page.locator("#chat-output").inner_text()
    assert shown.strip()
    with site.api(token) as api:
        for _ in range(300):
            rows = api.get("/api/v1/usage", params=query).json()
            if rows["pagination"]["total"] > before:
                break
            page.wait_for_timeout(100)
    assert rows["pagination"]["total"] == before + 1, rows
    row = rows["data"][0]
    assert (row["streamed"], row["status"]) == (True, "client_disconnect"), row
    # The upstream answer is over by now: nothing more reached the page after Stop.
    assert page.locator("#chat-output").inner_text() == shown
    assert "output tokens" not in page.locator("#chat-meta").inner_text()
    assert watch.errors == []
    page.context.close()


def _orders_csv(customer: str, orders: int) -> bytes:
    """Orders of yesterday, so the page's default window (30 days) counts them."""
    day = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    header = "order_id,customer_id,placed_at,status,product_id,quantity,unit_price\n"
    rows = [
        f"web-{customer}-{n},{customer},{day}T{n % 24:02d}:00:00Z,completed,p-{line},"
        f"{1 + line},{9.5 + line:.2f}\n"
        for n in range(orders)
        for line in range(2)
    ]
    return (header + "".join(rows)).encode()


def test_a_csv_import_reaches_one_hundred_percent(browser: Browser, site: Site) -> None:
    customer = f"web-import-{uuid.uuid4().hex[:8]}"
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/commerce")
    expect(page.locator("[data-kpi=revenue] dd")).not_to_be_empty()
    upload = FilePayload(name="orders.csv", mimeType="text/csv", buffer=_orders_csv(customer, 1200))
    page.get_by_label("CSV file").set_input_files(files=[upload])
    with page.expect_response("**/api/v1/commerce/imports") as uploaded:
        page.get_by_role("button", name="Import").click()
    assert uploaded.value.status == 202
    job_id = uploaded.value.json()["job_id"]
    expect(page.locator("#import-status")).to_contain_text("1,200 of 1,200 orders imported (100 %)",
                                                           timeout=60_000)  # fmt: skip
    assert page.locator("#import-progress").evaluate("bar => bar.value") == 100
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#import-title").locator("..").screenshot(path=SCREENSHOTS / "commerce-import.png")
    token = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))["access"]
    with site.api(token) as api:
        stored = api.get(f"/api/v1/commerce/customers/{customer}").json()
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        transactions = api.get("/api/v1/commerce/dashboard", params={"days": 30}).json()[
            "transactions"
        ]
    assert stored["orders"] == 1200
    assert job["status"] == "succeeded" and job["progress"]["percent"] == 100.0
    # The figures reloaded after the import include it (no answer kept from before it).
    shown = page.locator("[data-kpi=transactions] dd")
    expect(shown).to_have_attribute("data-value", str(transactions))
    assert watch.errors == []
    page.context.close()


def test_an_api_keys_secret_is_shown_once(browser: Browser, site: Site) -> None:
    page, watch = open_page(browser, site)
    page.goto("/ui/admin/api-keys")
    page.get_by_label("Name", exact=True).fill("from the browser")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("New API key")
    expect(secret).to_have_value(re.compile(r"^vk_[a-z0-9]{8}_"))
    expect(page.locator("#api-keys")).to_contain_text("from the browser")
    page.reload()
    expect(page.locator("#api-keys")).to_contain_text("from the browser")
    expect(page.get_by_label("New API key")).to_be_hidden()
    assert watch.errors == []
    page.context.close()


def test_an_alert_raised_while_the_page_subscribes_is_shown(browser: Browser, site: Site) -> None:
    """The alert is raised after the page loaded its alerts but before its subscription took
    hold: no message carries it, so the page has to reload once subscribed."""
    component = f"web-{uuid.uuid4().hex[:6]}"
    page, watch = open_page(browser, site)
    held: list[tuple[WebSocketRoute, str | bytes]] = []

    def relay(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if json.loads(message).get("channel") == "trading.alerts" and not held:
                held.append((server, message))
            else:
                server.send(message)

        socket.on_message(to_server)

    page.route_web_socket("**/ws", relay)
    page.goto("/ui/packs/trading")
    expect(page.locator("#alerts table, #alerts .empty").first).to_be_visible()
    assert _wait_until(page, lambda: bool(held)), "the page never subscribed to trading.alerts"
    heartbeat = {"id": f"web-{uuid.uuid4()}", "ts": datetime.now(UTC).isoformat(),
                 "type": "heartbeat", "component": component, "status": "down"}  # fmt: skip
    token = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))["access"]
    with site.api(token) as api:
        assert api.post("/api/v1/trading/events", json={"events": [heartbeat]}).json()["accepted"]

        def raised() -> bool:
            alerts = api.get("/api/v1/trading/system/alerts").json()["data"]
            return any(component in alert["message"] for alert in alerts)

        assert _wait_until(page, raised), "the heartbeat raised no alert"
    rows = page.locator("#alerts tr", has_text=component)
    expect(rows).to_have_count(0)
    server, subscribe = held[0]
    server.send(subscribe)
    expect(rows.first).to_be_visible()
    assert watch.errors == []
    page.context.close()


def _fill_of_a_new_order(strategy: str) -> list[dict[str, object]]:
    order_id, now = f"web-{uuid.uuid4()}", datetime.now(UTC).isoformat()
    return [
        {"type": "order", "id": f"web-{uuid.uuid4()}", "order_id": order_id, "ts": now,
         "status": "submitted", "strategy": strategy, "symbol": "WEBFILL", "side": "buy",
         "qty": "1"},
        {"type": "fill", "id": f"web-{uuid.uuid4()}", "order_id": order_id, "ts": now,
         "qty": "1", "price": "10"},
    ]  # fmt: skip


def test_a_fill_both_reloaded_and_received_live_is_shown_once(browser: Browser, site: Site) -> None:
    """The trades channel's acknowledgement reloads the trades; a fill published meanwhile is
    in that reload and then also arrives live."""
    strategy, later = f"web-{uuid.uuid4().hex[:6]}", f"web-{uuid.uuid4().hex[:6]}"
    page, watch = open_page(browser, site)
    held: list[str | bytes] = []
    holding = [True]
    sockets: list[WebSocketRoute] = []

    def relay(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()
        sockets.append(socket)
        socket.on_message(server.send)

        def to_page(message: str | bytes) -> None:
            if holding[0] and json.loads(message).get("channel") == "trading.trades":
                held.append(message)
            else:
                socket.send(message)

        server.on_message(to_page)

    def held_ops() -> list[object]:
        return [json.loads(frame).get("op") for frame in held]

    page.route_web_socket("**/ws", relay)
    page.goto("/ui/packs/trading")
    expect(page.locator("#trades table, #trades .empty").first).to_be_visible()
    assert _wait_until(page, lambda: "subscribed" in held_ops())
    token = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))["access"]
    with site.api(token) as api:
        posted = api.post("/api/v1/trading/events", json={"events": _fill_of_a_new_order(strategy)})
        assert posted.json()["accepted"] == 2
        assert _wait_until(page, lambda: any(strategy in str(frame) for frame in held))
        acknowledgement = held.pop(held_ops().index("subscribed"))
        sockets[0].send(acknowledgement)  # the reload it causes reads the fill
        rows = page.locator("#trades tr", has_text=strategy)
        expect(rows).to_have_count(1)
        holding[0] = False
        for frame in held:  # the fill's live message comes after the reload
            sockets[0].send(frame)
        api.post("/api/v1/trading/events", json={"events": _fill_of_a_new_order(later)})
        expect(page.locator("#trades tr", has_text=later)).to_have_count(1)
    expect(rows).to_have_count(1)
    assert watch.errors == []
    page.context.close()


def test_a_raised_alert_appears_live_and_can_be_acknowledged(browser: Browser, site: Site) -> None:
    component = f"web-{uuid.uuid4().hex[:6]}"
    page, watch = open_page(browser, site)
    page.goto("/ui/packs/trading")
    expect(page.locator("#alerts table, #alerts .empty").first).to_be_visible()
    heartbeat = {"id": f"web-{uuid.uuid4()}", "ts": datetime.now(UTC).isoformat(),
                 "type": "heartbeat", "component": component, "status": "down"}  # fmt: skip
    token = json.loads(page.evaluate("sessionStorage.getItem('vantage.session')"))["access"]
    with site.api(token) as api:
        assert api.post("/api/v1/trading/events", json={"events": [heartbeat]}).json()["accepted"]
    row = page.locator("#alerts tr", has_text=component).first
    expect(row).to_be_visible(timeout=15_000)
    row.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#alerts tr", has_text=component).first).to_contain_text("acknowledged by")
    assert watch.errors == []
    page.context.close()
