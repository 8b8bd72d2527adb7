"""The trading routes over HTTP: ingest with per-event errors, trades, statistics, history."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from tests.conftest import ClientFactory
from tests.packs.trading.support import fill, order, tick
from tests.support.auth import (
    api_key_headers,
    app_of,
    bare_client,
    create_api_key,
    create_tenant,
    sign_in_as,
    user_headers,
)
from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope
from vantage.packs.trading.ingest.events import MAX_BATCH_EVENTS, EventBatch
from vantage.packs.trading.pack import create_pack
from vantage.packs.trading.settings import TradingSettings

EVENTS = "/api/v1/trading/events"


def trading_settings(**overrides: Any) -> TradingSettings:
    values: dict[str, Any] = {
        "system_sample_seconds": 0.2,
        "lease_ttl_seconds": 3.0,
        "simulator": False,
    }
    values.update(overrides)
    return TradingSettings(_env_file=None, **values)


@pytest.fixture
async def api(client_for: ClientFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app serving the trading pack, signed in as an admin of tenant 1."""
    async with client_for(database_url, packs=[create_pack(trading_settings())]) as client:
        await sign_in_as(client, Role.ADMIN)
        yield client


def base() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=5)


async def eventually(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Retry ``probe`` (plain or async) until it returns something truthy; returns that."""
    async with asyncio.timeout(timeout):
        while True:
            found = probe()
            if inspect.isawaitable(found):
                found = await found
            if found:
                return found
            await asyncio.sleep(0.05)


async def test_ingest_keeps_good_events_and_reports_bad_ones(api: httpx.AsyncClient) -> None:
    at = base()
    response = await api.post(
        EVENTS,
        json={
            "events": [
                tick("t1", 0, last=100, size=5, base=at),
                tick("t2", 1, bid=101, ask=100, base=at),
                order("s1", "o1", 2, base=at),
                fill("f1", "o1", 3, "100", "100.5", base=at),
                fill("f2", "o1", 4, "1", "100.5", base=at),
            ]
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (3, 0, 2)
    assert [(e["index"], e["id"], e["loc"]) for e in body["errors"]] == [
        (1, "t2", ["ask"]),
        (4, "f2", ["qty"]),
    ]
    again = await api.post(EVENTS, json={"events": [tick("t1", 0, last=100, size=5, base=at)]})
    assert again.json() == {"accepted": 0, "duplicates": 1, "rejected": 0, "errors": []}


async def test_a_batch_with_nothing_acceptable_is_a_problem(api: httpx.AsyncClient) -> None:
    response = await api.post(
        EVENTS, json={"events": [{"type": "tick", "id": "x"}, fill("f9", "nope", 0, "1", "1")]}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert [error["loc"][:3] for error in problem["errors"]] == [
        ["body", "events", 0],
        ["body", "events", 1],
    ]
    for body in (b"not json", b'{"events": 5}', b'{"ticks": []}'):
        refused = await api.post(EVENTS, content=body, headers={"content-type": "application/json"})
        assert refused.status_code == 422, body
        assert refused.json()["code"] == "VALIDATION_ERROR"


async def test_ingest_needs_the_ingest_scope(api: httpx.AsyncClient) -> None:
    app = app_of(api)
    viewer = await user_headers(app, Role.VIEWER)
    event = {"events": [tick("t1", 0, base=base())]}
    assert (await api.post(EVENTS, json=event, headers=viewer)).status_code == 403
    key = await create_api_key(app, [Scope.INGEST])
    async with bare_client(app) as machine:
        accepted = await machine.post(EVENTS, json=event, headers=api_key_headers(key))
    assert accepted.status_code == 200 and accepted.json()["accepted"] == 1


async def _seed_trades(api: httpx.AsyncClient) -> datetime:
    at = base()
    events = [tick("t0", 0, last=100, size=1, base=at)]
    for n in range(7):
        strategy = "momentum" if n % 2 == 0 else "reversion"
        side = "buy" if n < 4 else "sell"
        qty = "10" if side == "buy" else "5"
        events.append(
            order(f"s{n}", f"o{n}", 10 + n, base=at, strategy=strategy, side=side, qty=qty)
        )
        events.append(fill(f"f{n}", f"o{n}", 10.5 + n, qty, str(100 + n), fee="0.1", base=at))
    response = await api.post(EVENTS, json={"events": events})
    assert response.json()["rejected"] == 0
    return at


async def test_trades_filter_and_page_with_cursors(api: httpx.AsyncClient) -> None:
    await _seed_trades(api)
    first = (await api.get("/api/v1/trading/trades", params={"limit": 3})).json()
    assert first["pagination"]["total"] == 7
    ids = [t["id"] for t in first["data"]]
    cursor = first["pagination"]["next_cursor"]
    while cursor:
        params = {"limit": 3, "cursor": cursor}
        page = (await api.get("/api/v1/trading/trades", params=params)).json()
        ids += [t["id"] for t in page["data"]]
        cursor = page["pagination"]["next_cursor"]
    assert ids == [f"f{n}" for n in reversed(range(7))]  # newest first, no repeats

    sells = (await api.get("/api/v1/trading/trades", params={"side": "sell"})).json()
    assert {t["id"] for t in sells["data"]} == {"f4", "f5", "f6"}
    mine = await api.get(
        "/api/v1/trading/trades", params={"strategy": "reversion", "sort": "ts", "days": 1}
    )
    assert [t["id"] for t in mine.json()["data"]] == ["f1", "f3", "f5"]
    assert (await api.get("/api/v1/trading/trades", params={"limit": 501})).status_code == 422
    forged = await api.get("/api/v1/trading/trades", params={"cursor": "abc.def"})
    assert forged.status_code == 422


async def test_trade_detail_and_statistics(api: httpx.AsyncClient) -> None:
    await _seed_trades(api)
    detail = (await api.get("/api/v1/trading/trades/f4")).json()
    assert detail["order"]["order_id"] == "o4" and detail["order"]["status"] == "filled"
    assert [f["id"] for f in detail["order_fills"]] == ["f4"]
    # momentum bought 10 @ 100 and 10 @ 102 (fee 0.1 each): average cost 101.01
    assert detail["realized_pnl"] == "14.8500000000"  # (104 - 101.01) * 5 - 0.1
    assert (await api.get("/api/v1/trading/trades/nope")).status_code == 404

    stats = await api.get("/api/v1/trading/trades/stats/summary")
    assert stats.status_code == 200
    overall = stats.json()["overall"]
    assert (overall["trades"], overall["closing_trades"], overall["winning_trades"]) == (7, 3, 3)
    assert overall["profit_factor"] is None  # no losing trade
    again = await api.get(
        "/api/v1/trading/trades/stats/summary", headers={"If-None-Match": stats.headers["ETag"]}
    )
    assert again.status_code == 304

    quality = (await api.get("/api/v1/trading/trades/execution/quality")).json()
    assert quality["overall"]["orders"] == 7 and quality["overall"]["fill_rate"] == 1.0
    assert {row["strategy"] for row in quality["by_strategy"]} == {"momentum", "reversion"}
    assert quality["overall"]["latency_ms"]["count"] == 7


async def test_current_metrics_and_history(api: httpx.AsyncClient) -> None:
    at = await _seed_trades(api)

    async def populated() -> dict[str, Any] | None:
        snapshot = (await api.get("/api/v1/trading/metrics/current")).json()
        return snapshot if snapshot["strategies"] else None

    snapshot = await eventually(populated)
    assert {s["strategy"] for s in snapshot["strategies"]} == {"momentum", "reversion"}
    summary = (await api.get("/api/v1/trading/metrics/summary")).json()
    assert summary["strategies"] == 2 and summary["orders_submitted"] == 7
    symbols = (await api.get("/api/v1/trading/metrics/symbols")).json()
    assert [s["symbol"] for s in symbols["symbols"]] == ["AAPL"]

    history = await api.post(
        "/api/v1/trading/metrics/history",
        json={
            "symbols": ["AAPL"],
            "fields": ["close", "vwap", "fill_qty", "fills"],
            "from": (at - timedelta(minutes=1)).isoformat(),
            "interval": "1h",
        },
    )
    assert history.status_code == 200, history.text
    body = history.json()
    assert body["resolution"] == "1h"
    points = body["series"][0]["points"]
    assert sum(p["values"]["fills"] or 0 for p in points) == 7
    assert sum(p["values"]["fill_qty"] or 0 for p in points) == 4 * 10 + 3 * 5
    too_fine = await api.post(
        "/api/v1/trading/metrics/history",
        json={"symbols": ["AAPL"], "from": "2020-01-01T00:00:00Z", "interval": "1s"},
    )
    assert too_fine.status_code == 422


async def test_another_tenant_sees_none_of_it(api: httpx.AsyncClient) -> None:
    await _seed_trades(api)
    other = await create_tenant(app_of(api))
    intruder = await user_headers(app_of(api), Role.ADMIN, tenant_id=other.id)
    trades = await api.get("/api/v1/trading/trades", headers=intruder)
    assert trades.json()["data"] == []
    assert (await api.get("/api/v1/trading/trades/f1", headers=intruder)).status_code == 404
    current = (await api.get("/api/v1/trading/metrics/current", headers=intruder)).json()
    assert current["strategies"] == [] and current["market"] == []
    stats = (await api.get("/api/v1/trading/trades/stats/summary", headers=intruder)).json()
    assert stats["overall"]["trades"] == 0


async def test_an_idempotency_key_replays_the_first_answer(api: httpx.AsyncClient) -> None:
    at = base()
    batch = {"events": [tick("k1", 0, base=at), tick("k2", 1, bid=2, ask=1, base=at)]}
    headers = {"Idempotency-Key": "batch-0001"}
    first = await api.post(EVENTS, json=batch, headers=headers)
    again = await api.post(EVENTS, json=batch, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content  # the first answer, not "1 duplicate"
    assert first.json()["accepted"] == 1
    other = await api.post(EVENTS, json={"events": [tick("k3", 2, base=at)]}, headers=headers)
    assert other.status_code == 422  # one key names one request

    refused = {"events": [tick("k4", 0, bid=2, ask=1, base=at)]}
    bad = {"Idempotency-Key": "batch-0002"}
    assert (await api.post(EVENTS, json=refused, headers=bad)).status_code == 422
    replay = await api.post(EVENTS, json=refused, headers=bad)
    assert replay.status_code == 422 and replay.json()["errors"][0]["loc"][:3] == [
        "body",
        "events",
        0,
    ]


async def test_a_full_batch_fits_the_body_limit(api: httpx.AsyncClient) -> None:
    at = base()
    events = [tick(f"big{n}", n / 1000, last=100.5, size=1, base=at) for n in range(10_000)]
    response = await api.post(EVENTS, json={"events": events})
    assert response.status_code == 200, response.text[:200]
    assert response.json()["accepted"] == 10_000
    too_many = await api.post(EVENTS, json={"events": [*events, tick("x", 0, base=at)]})
    assert too_many.status_code == 422


async def test_an_oversized_batch_is_refused_before_its_events_are_checked(
    api: httpx.AsyncClient,
) -> None:
    """Past the schema's ceiling the events are not validated one by one: one error only."""
    body = '{"events":[' + ",".join(["{}"] * (MAX_BATCH_EVENTS + 1)) + "]}"
    response = await api.post(EVENTS, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert [(e["loc"], e["message"]) for e in response.json()["errors"]] == [
        (["body", "events"], "a batch holds at most 10000 events")
    ]
    with pytest.raises(ValidationError) as refused:
        EventBatch.model_validate_json(body)
    assert refused.value.error_count() == 1  # not one per event


async def test_the_openapi_document_describes_the_event_batch(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    text = json.dumps(document)
    referenced = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text))
    assert referenced <= document["components"]["schemas"].keys()
    body = document["paths"]["/api/v1/trading/events"]["post"]["requestBody"]
    members = body["content"]["application/json"]["schema"]["properties"]["events"]["items"]
    assert {m["properties"]["type"]["const"] for m in members["oneOf"]} == {
        "tick",
        "order",
        "fill",
        "strategy_update",
        "log",
        "heartbeat",
    }
