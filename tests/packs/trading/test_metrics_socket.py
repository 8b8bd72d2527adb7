"""``WS /ws/metrics``: the older dashboard's socket of plain snapshots, driven the way its
JavaScript client drives it (open, send ``{"token": ...}``, read JSON messages)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.packs.trading.api.test_routes import trading_settings
from tests.packs.trading.support import tick
from tests.support.auth import access_token_for, create_user, headers_for
from tests.support.realtime import LiveServer, close_code, receive, serve
from vantage.app import create_app
from vantage.config import Settings
from vantage.core.auth.models import Role
from vantage.packs.trading.pack import create_pack


@asynccontextmanager
async def dashboard_server(
    make_settings: Callable[..., Settings], database_url: str, **trading: Any
) -> AsyncIterator[tuple[LiveServer, str]]:
    """A served app with trading data of tenant 1; the base URL and a viewer's token."""
    app = create_app(
        make_settings(database_url=database_url), packs=[create_pack(trading_settings(**trading))]
    )
    async with serve(app) as server, httpx.AsyncClient(base_url=server.http_url) as api:
        admin = await create_user(app, Role.ADMIN)
        viewer = await create_user(app, Role.VIEWER)
        events = {"events": [tick("t1", -1, last=100, size=7, base=datetime.now(UTC))]}
        answer = await api.post(
            "/api/v1/trading/events", json=events, headers=headers_for(app, admin)
        )
        assert answer.status_code == 200, answer.text
        yield server, access_token_for(app, viewer)


def _metrics_url(server: LiveServer, query: str = "") -> str:
    return f"ws://127.0.0.1:{server.port}/ws/metrics{query}"


async def _collect(ws: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        frames.append(await receive(ws, within=3))
    return frames


async def test_snapshots_arrive_unwrapped_at_about_ten_hertz(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with (
        dashboard_server(make_settings, sqlite_url, compat_metrics_heartbeat_seconds=0.5) as (
            server,
            token,
        ),
        connect(_metrics_url(server), open_timeout=5) as ws,
    ):
        await ws.send(json.dumps({"token": token}))  # what the dashboard sends on open
        frames = await _collect(ws, 2.0)

    snapshots = [frame for frame in frames if "sequence" in frame]
    heartbeats = [frame for frame in frames if frame.get("type") == "heartbeat"]
    assert 12 <= len(snapshots) <= 26, len(snapshots)
    assert {"market", "strategies", "execution", "system", "ts"} <= set(snapshots[-1])
    assert "op" not in snapshots[-1]  # no realtime envelope
    assert snapshots[-1]["market"][0]["volume"] == 7
    sequences = [snapshot["sequence"] for snapshot in snapshots]
    assert sequences == sorted(set(sequences))
    assert len(heartbeats) >= 2


async def test_the_auth_op_and_the_token_parameter_are_accepted(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with dashboard_server(make_settings, sqlite_url) as (server, token):
        async with connect(_metrics_url(server), open_timeout=5) as ws:
            await ws.send(json.dumps({"op": "auth", "token": token}))
            by_op = await receive(ws)
        async with connect(_metrics_url(server, f"?token={token}"), open_timeout=5) as ws:
            by_query = await receive(ws)

    assert "sequence" in by_op
    assert "sequence" in by_query


async def test_a_bad_token_closes_with_4001(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with (
        dashboard_server(make_settings, sqlite_url) as (server, _),
        connect(_metrics_url(server), open_timeout=5) as ws,
    ):
        await ws.send(json.dumps({"token": "not-a-token"}))
        error = await receive(ws)
        code = await close_code(ws)

    assert error == {"type": "error", "code": "UNAUTHORIZED", "message": error["message"]}
    assert code == 4001


async def test_a_source_whose_pack_is_not_enabled_is_refused_clearly(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with (
        dashboard_server(make_settings, sqlite_url) as (server, token),
        connect(_metrics_url(server, "?source=aidev"), open_timeout=5) as ws,
    ):
        await ws.send(json.dumps({"token": token}))
        error = await receive(ws)
        code = await close_code(ws)

    assert error["type"] == "error" and error["code"] == "NOT_FOUND"
    assert "aidev" in error["message"]
    assert code == 4004


async def test_the_default_source_setting_is_honoured(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with (
        dashboard_server(make_settings, sqlite_url, compat_metrics_source="aidev") as (
            server,
            token,
        ),
        connect(_metrics_url(server, "?source=trading"), open_timeout=5) as explicit,
        connect(_metrics_url(server), open_timeout=5) as by_default,
    ):
        await explicit.send(json.dumps({"token": token}))
        await by_default.send(json.dumps({"token": token}))
        snapshot = await receive(explicit)
        refused = await receive(by_default)

    assert "sequence" in snapshot
    assert refused["code"] == "NOT_FOUND"


async def test_a_trusted_tenant_is_served_without_credentials(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with (
        dashboard_server(make_settings, sqlite_url, compat_metrics_trusted_tenant="default") as (
            server,
            _,
        ),
        connect(_metrics_url(server), open_timeout=5) as ws,
    ):
        snapshot = await receive(ws)

    assert snapshot["market"][0]["volume"] == 7


async def test_the_socket_sends_what_metrics_current_serves(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with (
        dashboard_server(make_settings, sqlite_url) as (server, token),
        connect(_metrics_url(server), open_timeout=5) as ws,
        httpx.AsyncClient(base_url=server.http_url) as api,
    ):
        await ws.send(json.dumps({"token": token}))
        snapshot = await receive(ws)
        current = await api.get(
            "/api/v1/trading/metrics/current", headers={"Authorization": f"Bearer {token}"}
        )

    body = current.json()
    assert set(snapshot) == set(body)
    assert snapshot["market"] == body["market"]  # no event came in between: the same figures
    assert snapshot["strategies"] == body["strategies"]
