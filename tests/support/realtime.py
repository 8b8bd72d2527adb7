"""Realtime test support: a pack declaring test channels, a fixed-token authenticator (a test
double standing in for the real credential verifier), an app factory that subprocess servers
load with ``uvicorn --factory``, an in-process uvicorn server, and WebSocket helpers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from vantage.app import create_app
from vantage.config import Settings, load_settings
from vantage.core.auth.principal import Principal, Scope
from vantage.core.errors import Unauthorized
from vantage.core.packs import Pack
from vantage.core.realtime import ChannelSpec, Hub


def _principal(tenant_id: int, subject_id: int, *scopes: Scope) -> Principal:
    return Principal(
        kind="user", subject_id=subject_id, tenant_id=tenant_id, scopes=frozenset(scopes)
    )


TEST_TOKENS: dict[str, Principal] = {
    "t1-reader": _principal(1, 1, Scope.READ),
    "t1-ingest": _principal(1, 2, Scope.READ, Scope.INGEST),
    "t1-no-scopes": _principal(1, 3),
    "t2-reader": _principal(2, 4, Scope.READ),
    "t2-ingest": _principal(2, 5, Scope.READ, Scope.INGEST),
}


async def fixed_token_authenticator(credential: str) -> Principal:
    """Test double for the credential verifier: a few fixed tokens; anything else is refused."""
    principal = TEST_TOKENS.get(credential)
    if principal is None:
        raise Unauthorized("unknown test token")
    return principal


CHANNELS = [
    ChannelSpec("rtt.feed", publish_scope=Scope.INGEST),
    ChannelSpec("rtt.feed:*", publish_scope=Scope.INGEST),
    ChannelSpec("rtt.snapshot", cache=True, publish_scope=Scope.INGEST),
    ChannelSpec("rtt.server"),
    ChannelSpec("rtt.admin", subscribe_scope=Scope.ADMIN),
    ChannelSpec("rtt.short", history_size=5),
]
REALTIME_TEST_PACK = Pack(
    name="rtt", title="Realtime test pack", version="1.0.0", channels=CHANNELS
)


def build_app(settings: Settings) -> FastAPI:
    """The application with the test channels and the fixed-token authenticator."""
    app = create_app(settings, packs=[REALTIME_TEST_PACK])
    app.state.hub.authenticator = fixed_token_authenticator
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` in multi-process tests: settings from the environment."""
    return build_app(load_settings())


def bound_socket() -> socket.socket:
    """A listening-ready socket on a free port of 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class LiveServer:
    app: FastAPI
    server: uvicorn.Server
    port: int

    @property
    def hub(self) -> Hub:
        hub: Hub = self.app.state.hub
        return hub

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class SmallSendBufferProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol with a fixed 16 KiB kernel send buffer per connection.

    Linux grows a socket's send buffer up to megabytes, so a client that stops reading would
    absorb thousands of messages before the server's writes block. A fixed buffer reaches that
    point after a few dozen; what the server does then is unchanged.
    """

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16_384)
        super().connection_made(transport)


@asynccontextmanager
async def serve(app: FastAPI, small_send_buffers: bool = False) -> AsyncIterator[LiveServer]:
    """Run ``app`` on a real uvicorn server in this event loop, on a free port."""
    sock = bound_socket()
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=3,
        ws=SmallSendBufferProtocol if small_send_buffers else "auto",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield LiveServer(app, server, sock.getsockname()[1])
    finally:
        server.should_exit = True
        await task
        sock.close()


async def open_socket(
    url: str, as_user: str | None = "t1-reader", **options: Any
) -> ClientConnection:
    """A WebSocket that has sent the auth message of the test token ``as_user`` (if any)."""
    ws = await connect(url, open_timeout=5, **options)
    if as_user is not None:
        await ws.send(json.dumps({"op": "auth", "token": as_user}))
    return ws


async def receive(ws: ClientConnection, within: float = 5.0) -> dict[str, Any]:
    """The next server op, decoded."""
    async with asyncio.timeout(within):
        frame = await ws.recv()
    decoded: dict[str, Any] = json.loads(frame)
    return decoded


async def subscribe(
    ws: ClientConnection, channel: str, since: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Send a subscribe op and return the ``subscribed`` answer."""
    op: dict[str, Any] = {"op": "subscribe", "channel": channel}
    if since is not None:
        op["since"] = since
    await ws.send(json.dumps(op))
    answer = await receive(ws)
    assert answer["op"] == "subscribed", answer
    return answer


async def receive_messages(
    ws: ClientConnection, count: int, within: float = 10.0
) -> list[dict[str, Any]]:
    """The next ``count`` message ops (other ops in between are an error)."""
    messages: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while len(messages) < count:
            frame = await receive(ws, within)
            assert frame["op"] == "message", frame
            messages.append(frame)
    return messages


async def close_code(ws: ClientConnection, within: float = 10.0) -> int | None:
    """Read until the server closes the connection; the close code it sent."""
    async with asyncio.timeout(within):
        with contextlib.suppress(ConnectionClosed):
            async for _ in ws:
                pass
    return ws.close_code
