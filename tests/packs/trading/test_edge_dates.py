"""Timestamps at the edges of the calendar: refused alone over HTTP and the WebSocket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.packs.trading.api.test_routes import trading_settings
from tests.packs.trading.support import tick
from tests.packs.trading.test_websocket import trading_server
from tests.support.auth import create_api_key, sign_in_as
from tests.support.realtime import open_socket, receive
from vantage.config import Settings
from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope
from vantage.packs.trading.pack import create_pack

EVENTS = "/api/v1/trading/events"
EDGE = "9999-12-31T23:59:59-01:00"
EDGES = [EDGE, "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00"]
WINDOWED = [
    "/api/v1/trading/trades",
    "/api/v1/trading/trades/stats/summary",
    "/api/v1/trading/trades/execution/quality",
    "/api/v1/trading/system/stats",
]


@pytest.fixture
async def api(client_for: ClientFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url, packs=[create_pack(trading_settings())]) as client:
        await sign_in_as(client, Role.ADMIN)
        yield client


def _batch_with_one_edge_event(now: datetime) -> dict[str, object]:
    return {
        "events": [
            tick("good-1", 0, last=100, size=1, base=now),
            {**tick("edge", 1, base=now), "ts": EDGE},
            tick("good-2", 2, last=100, size=1, base=now),
        ]
    }


async def test_reads_refuse_edge_datetimes(api: httpx.AsyncClient) -> None:
    for path in WINDOWED:
        for edge in EDGES:
            for name in ("from", "to"):
                response = await api.get(path, params={name: edge})
                assert response.status_code == 422, (path, name, edge, response.text)
                assert response.json()["errors"][0]["loc"] == ["query", name]
    for edge in EDGES:
        logs = await api.get("/api/v1/trading/system/logs/recent", params={"since": edge})
        assert logs.status_code == 422, logs.text
        assert logs.json()["errors"][0]["loc"] == ["query", "since"]
        history = await api.post(
            "/api/v1/trading/metrics/history", json={"symbols": ["AAPL"], "from": edge}
        )
        assert history.status_code == 422, history.text
        assert history.json()["errors"][0]["loc"] == ["body", "from"]


async def test_an_edge_event_is_refused_alone_over_http(api: httpx.AsyncClient) -> None:
    now = datetime.now(UTC) - timedelta(minutes=5)
    response = await api.post(EVENTS, json=_batch_with_one_edge_event(now))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)
    assert [(e["index"], e["id"], e["loc"]) for e in body["errors"]] == [(1, "edge", ["ts"])]
    alone = await api.post(EVENTS, json={"events": [{**tick("edge", 0), "ts": EDGE}]})
    assert alone.status_code == 422, alone.text
    assert alone.json()["errors"][0]["loc"][:4] == ["body", "events", 0, "ts"]


async def test_an_edge_event_is_refused_alone_over_the_websocket(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    async with trading_server(make_settings, database_url) as (server, _, _):
        key = await create_api_key(server.app, [Scope.INGEST])
        ws = await open_socket(server.ws_url, as_user=key)
        batch = _batch_with_one_edge_event(datetime.now(UTC) - timedelta(minutes=5))
        await ws.send(json.dumps({"op": "publish", "channel": "trading.events", "data": batch}))
        reply = await receive(ws)
        assert reply["op"] == "published", reply
        assert (reply["result"]["accepted"], reply["result"]["rejected"]) == (2, 1)
        assert reply["result"]["errors"][0]["loc"] == ["ts"]
        await ws.send(json.dumps({"op": "ping"}))
        assert (await receive(ws))["op"] == "pong"  # the socket stays open
        await ws.close()


async def test_quotes_beyond_the_amount_bound_are_refused_and_live_figures_stay_readable(
    api: httpx.AsyncClient,
) -> None:
    now = datetime.now(UTC)
    huge_quote = {**tick("huge-quote", 1, base=now), "bid": 1e307, "ask": 1e308}
    huge_trade = tick("huge-trade", 2, last=100, size=1e308, base=now)
    batch = {"events": [tick("fine", 0, base=now), huge_quote, huge_trade]}
    response = await api.post(EVENTS, json=batch)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 2)
    assert [(error["index"], error["loc"]) for error in body["errors"]] == [
        (1, ["bid"]),
        (2, ["size"]),
    ]
    for path in ("/api/v1/trading/metrics/symbols", "/api/v1/trading/metrics/summary"):
        assert (await api.get(path)).status_code == 200, path
