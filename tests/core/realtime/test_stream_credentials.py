"""Open WebSocket and SSE streams end when their credential stops working; re-auth extends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest

from tests.core.realtime.test_sse import EventStream
from tests.support.auth import (
    access_token_for,
    api_key_id,
    bearer,
    create_api_key,
    create_user,
    headers_for,
)
from tests.support.realtime import (
    REALTIME_TEST_PACK,
    LiveServer,
    close_code,
    open_socket,
    receive,
    serve,
    subscribe,
)
from vantage.app import create_app
from vantage.config import Settings
from vantage.core.auth.models import Role, User
from vantage.core.auth.principal import Scope
from vantage.core.auth.service.tokens import AccessTokens
from vantage.core.db import utcnow


@asynccontextmanager
async def _server(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> AsyncIterator[tuple[LiveServer, dict[str, str]]]:
    """A served app with real credentials (checked every half second) and an admin's headers."""
    app = create_app(
        make_settings(database_url=sqlite_url, auth_cache_seconds=1), packs=[REALTIME_TEST_PACK]
    )
    async with serve(app) as server:
        admin = await create_user(app, Role.ADMIN)
        yield server, headers_for(app, admin)


def _expiring_token(server: LiveServer, user: User, seconds: float) -> str:
    settings: Settings = server.app.state.settings
    issued = utcnow() - timedelta(seconds=settings.access_token_ttl_seconds - seconds)
    return AccessTokens(settings).issue(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role=Role(user.role),
        token_version=user.token_version,
        now=issued,
    )


async def _revoke_key(server: LiveServer, admin: dict[str, str], key: str) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        path = f"/api/v1/admin/api-keys/{await api_key_id(server.app, key)}"
        assert (await http.delete(path, headers=admin)).status_code == 204


async def _disable_user(server: LiveServer, admin: dict[str, str], user: User) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        response = await http.delete(f"/api/v1/admin/users/{user.id}", headers=admin)
        assert response.status_code == 204, response.text


@asynccontextmanager
async def _sse(server: LiveServer, credential: str) -> AsyncIterator[EventStream]:
    async with (
        httpx.AsyncClient(base_url=server.http_url, timeout=30) as http,
        http.stream("GET", "/api/v1/stream/rtt.feed", headers=bearer(credential)) as response,
    ):
        assert response.status_code == 200
        events = EventStream(response)
        assert (await events.next())["event"] == "subscribed"
        yield events


async def _sse_ends_refused(events: EventStream) -> None:
    while True:
        event = await events.next(within=20)
        if event.get("event") == "error":
            assert event["data"]["code"] == "UNAUTHORIZED"
            break
    with pytest.raises(EOFError):
        await events.next(within=20)


async def test_a_revoked_key_ends_its_streams(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with _server(make_settings, sqlite_url) as (server, admin):
        key = await create_api_key(server.app, [Scope.READ])
        ws = await open_socket(server.ws_url, as_user=key)
        await subscribe(ws, "rtt.feed")
        async with _sse(server, key) as events:
            await _revoke_key(server, admin, key)
            await _sse_ends_refused(events)
        assert await close_code(ws, within=20) == 4001


async def test_a_disabled_user_loses_its_streams(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with _server(make_settings, sqlite_url) as (server, admin):
        user = await create_user(server.app, Role.VIEWER)
        token = access_token_for(server.app, user)
        ws = await open_socket(server.ws_url, as_user=token)
        await subscribe(ws, "rtt.feed")
        async with _sse(server, token) as events:
            await _disable_user(server, admin, user)
            await _sse_ends_refused(events)
        assert await close_code(ws, within=20) == 4001


async def test_an_expired_token_ends_its_streams(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with _server(make_settings, sqlite_url) as (server, _):
        user = await create_user(server.app, Role.VIEWER)
        token = _expiring_token(server, user, seconds=1)
        ws = await open_socket(server.ws_url, as_user=token)
        await subscribe(ws, "rtt.feed")
        async with _sse(server, token) as events:
            await _sse_ends_refused(events)
        assert await close_code(ws, within=20) == 4001


async def test_authenticating_again_extends_a_websocket_session(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    async with _server(make_settings, sqlite_url) as (server, _):
        user = await create_user(server.app, Role.VIEWER)
        ws = await open_socket(server.ws_url, as_user=_expiring_token(server, user, seconds=1))
        await subscribe(ws, "rtt.feed")
        fresh = access_token_for(server.app, user)
        await ws.send(json.dumps({"op": "auth", "token": fresh}))
        assert (await receive(ws))["op"] == "authenticated"
        stranger = access_token_for(server.app, await create_user(server.app, Role.VIEWER))
        await ws.send(json.dumps({"op": "auth", "token": stranger}))
        assert (await receive(ws))["code"] == "UNAUTHORIZED"  # a session keeps its identity
        # Well past the first token's expiry (and its clock-skew allowance) the socket serves on.
        for _ in range(25):
            await ws.send(json.dumps({"op": "ping"}))
            assert (await receive(ws))["op"] == "pong"
            await asyncio.sleep(0.3)
        await server.app.state.hub.publish(1, "rtt.feed", {"n": 1})
        message = await receive(ws)
        assert (message["op"], message["data"]) == ("message", {"n": 1})
        await ws.close()
