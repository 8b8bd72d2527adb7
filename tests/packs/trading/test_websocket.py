"""The trading channels over a real server: 10 Hz snapshots, trades, ingest by WebSocket."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.packs.trading.api.test_routes import trading_settings
from tests.packs.trading.support import fill, order, tick
from tests.support.auth import access_token_for, create_api_key, create_user, headers_for
from tests.support.realtime import LiveServer, close_code, open_socket, receive, serve, subscribe
from vantage.app import create_app
from vantage.config import Settings
from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope
from vantage.packs.trading.pack import create_pack
from vantage.packs.trading.runtime import TradingRuntime


@asynccontextmanager
async def trading_server(
    make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[tuple[LiveServer, httpx.AsyncClient, str]]:
    """A served app with the trading pack; an admin's HTTP client and access token."""
    app = create_app(
        make_settings(database_url=database_url), packs=[create_pack(trading_settings())]
    )
    async with serve(app) as server, httpx.AsyncClient(base_url=server.http_url) as api:
        # Trades are published by the collectors' lease holder: wait until it is live.
        runtime = app.state.core.runtimes.get("trading", TradingRuntime)
        await asyncio.wait_for(runtime.leading.wait(), 15)
        admin = await create_user(app, Role.ADMIN)
        api.headers.update(headers_for(app, admin))
        yield server, api, access_token_for(app, admin)


async def test_a_client_receives_ten_snapshots_a_second_with_increasing_offsets(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    async with trading_server(make_settings, database_url) as (server, api, token):
        now = datetime.now(UTC)
        await api.post(
            "/api/v1/trading/events", json={"events": [tick("t1", -1, last=100, size=7, base=now)]}
        )
        ws = await open_socket(server.ws_url, as_user=token)
        await subscribe(ws, "trading.metrics")
        first = await receive(ws)  # cache mode: the latest snapshot at once
        assert first["op"] == "message"

        frames: list[dict[str, Any]] = []
        began = time.monotonic()
        while time.monotonic() - began < 2.0:
            frame = await receive(ws, within=2)
            if frame["op"] == "message":
                frames.append(frame)
        await ws.close()

    # A 10 Hz schedule: about 20 in two seconds, with margins for a busy machine.
    assert 15 <= len(frames) <= 25, len(frames)
    offsets = [frame["offset"] for frame in [first, *frames]]
    assert offsets == list(range(offsets[0], offsets[0] + len(offsets)))  # +1 each, no gaps
    assert len({frame["epoch"] for frame in frames}) == 1
    sequences = [frame["data"]["sequence"] for frame in frames]
    assert sequences == sorted(sequences)
    assert frames[-1]["data"]["market"][0]["volume"] == 7


async def test_trades_are_published_as_they_are_stored(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    async with trading_server(make_settings, database_url) as (server, api, token):
        ws = await open_socket(server.ws_url, as_user=token)
        await subscribe(ws, "trading.trades")
        now = datetime.now(UTC)
        stored = await api.post(
            "/api/v1/trading/events",
            json={
                "events": [
                    order("s1", "o1", -2, base=now, qty="10"),
                    fill("f1", "o1", -1.5, "4", "100.25", base=now),
                    fill("f2", "o1", -1, "6", "100.5", base=now),
                ]
            },
        )
        assert stored.status_code == 200 and stored.json()["accepted"] == 3, stored.text
        frame = await receive(ws, within=10)
        await ws.close()
    assert frame["op"] == "message" and frame["channel"] == "trading.trades"
    trades = frame["data"]["trades"]
    assert [(t["id"], t["qty"], t["price"]) for t in trades] == [
        ("f1", "4.0000000000", "100.2500000000"),
        ("f2", "6.0000000000", "100.5000000000"),
    ]


async def test_events_published_over_the_websocket_are_ingested(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    async with trading_server(make_settings, database_url) as (server, api, _):
        app = server.app
        key = await create_api_key(app, [Scope.INGEST])
        ws = await open_socket(server.ws_url, as_user=key)
        now = datetime.now(UTC)
        batch = {
            "events": [
                tick("w1", -1, last=101, size=3, base=now),
                tick("w2", -1, bid=102, ask=101, base=now),  # crossed
            ]
        }
        await ws.send(json.dumps({"op": "publish", "channel": "trading.events", "data": batch}))
        reply = await receive(ws)
        assert reply["op"] == "published" and reply["channel"] == "trading.events"
        assert (reply["result"]["accepted"], reply["result"]["rejected"]) == (1, 1)
        assert reply["result"]["errors"][0]["loc"] == ["ask"]

        await ws.send(json.dumps({"op": "publish", "channel": "trading.events", "data": batch}))
        again = await receive(ws)
        assert again["result"]["duplicates"] == 1  # the same ids: nothing new
        await ws.send(json.dumps({"op": "publish", "channel": "trading.events", "data": 5}))
        assert (await receive(ws))["op"] == "error"
        await ws.close()
        stored = (await api.get("/api/v1/trading/trades/stats/summary")).json()
        assert stored["window"]  # the ingest committed (its tick shows in the bars below)
        # The accepted tick was stored like any other: its trade print is in the bars.
        history = await api.post(
            "/api/v1/trading/metrics/history",
            json={
                "symbols": ["AAPL"],
                "fields": ["volume"],
                "from": (now - timedelta(hours=1)).isoformat(),
                "interval": "1h",
            },
        )
        assert history.status_code == 200, history.text
        assert sum(p["values"]["volume"] or 0 for p in history.json()["series"][0]["points"]) == 3

        viewer_key = await create_api_key(app, [Scope.READ])
        viewer = await open_socket(server.ws_url, as_user=viewer_key)
        await viewer.send(json.dumps({"op": "publish", "channel": "trading.events", "data": batch}))
        assert await close_code(viewer) == 4003  # publishing needs the ingest scope
