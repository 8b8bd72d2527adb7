"""``WS /ws/sessions``: ProdLens's socket of session changes, as plain JSON (docs/COMPAT.md).

The socket subscribes its tenant to ``aidev.sessions`` in the hub and sends the data of each
message as it is, ``{"requests": <new requests>, "sessions": [<changed session ids>]}``,
without the realtime protocol's envelope. Credentials are those of ``/ws/metrics``; the
connection keeps proving them, and a client that falls behind is closed like one on ``/ws``.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

from starlette.websockets import WebSocket

from vantage.core.compat_sockets import (
    CLOSE_FORBIDDEN,
    CLOSE_UNAUTHORIZED,
    CLOSE_UNAVAILABLE,
    SocketRefused,
    credential_of,
    drain,
    opened,
    reader_of,
    refuse,
)
from vantage.core.context import CoreServices, core_of
from vantage.core.errors import Forbidden
from vantage.core.realtime import Hub
from vantage.core.realtime.clients import CLOSE_REASONS, Client, Replayed
from vantage.core.realtime.messages import Message
from vantage.core.realtime.recheck import keep_checking
from vantage.packs.aidev.channels import SESSIONS_CHANNEL
from vantage.packs.aidev.runtime import PACK_NAME, AidevRuntime


class _PlainClient(Client):
    """A subscriber whose frames are the messages' data alone."""

    transport = "ws"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.closed = asyncio.Event()

    def render_control(self, op: str, fields: dict[str, Any]) -> str:
        return ""  # the older client knows no control frames: nothing is sent for them

    def close(self, code: int) -> None:
        super().close(code)
        self.closed.set()


async def _send_messages(websocket: WebSocket, client: _PlainClient) -> None:
    loop = asyncio.get_running_loop()
    while (item := await client.next_item()) is not None:
        if type(item) is Message:
            client.observe(item)
            text = item.data_json
        elif type(item) is Replayed:
            text = item.message.data_json
        else:
            continue
        # Set while the send is under way: the hub closes a client stuck in one for too long.
        client.send_started = loop.time()
        await websocket.send_text(text)
        client.send_started = 0.0


async def _subscribed(core: CoreServices, websocket: WebSocket) -> tuple[_PlainClient, str]:
    hub = core.hub
    if not hub.accepting:
        raise SocketRefused(CLOSE_UNAVAILABLE, "UNAVAILABLE", "the server is shutting down")
    core.runtimes.get(PACK_NAME, AidevRuntime)  # Unavailable while the pack is not running
    credential = await credential_of(websocket, hub.config.auth_timeout_seconds)
    client = _PlainClient(await reader_of(core, credential), hub.config.queue_size, hub.metrics)
    hub.attach(client)
    try:
        await hub.subscribe(client, SESSIONS_CHANNEL, None)
    except Forbidden as error:
        await hub.detach(client)
        raise SocketRefused(CLOSE_FORBIDDEN, "FORBIDDEN", str(error)) from error
    except BaseException:
        await hub.detach(client)
        raise
    return client, credential


async def _serve(hub: Hub, websocket: WebSocket, client: _PlainClient, credential: str) -> None:
    tasks = [
        asyncio.create_task(drain(websocket)),
        asyncio.create_task(_send_messages(websocket, client)),
        asyncio.create_task(client.closed.wait()),
        asyncio.create_task(
            keep_checking(hub, client, lambda: credential, lambda: client.close(CLOSE_UNAUTHORIZED))
        ),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _close(hub: Hub, websocket: WebSocket, code: int) -> None:
    if code == CLOSE_UNAUTHORIZED:
        refused = SocketRefused(code, "UNAUTHORIZED", "the credential is no longer valid")
        await refuse(websocket, refused)
        return
    with suppress(Exception):  # the peer may be gone, or never read again
        async with asyncio.timeout(hub.config.close_timeout_seconds):
            await websocket.close(code, CLOSE_REASONS.get(code, ""))


async def sessions_socket(websocket: WebSocket) -> None:
    """Serve one ``/ws/sessions`` connection until the client leaves."""
    core = core_of(websocket)
    subscribed = await opened(websocket, core, lambda: _subscribed(core, websocket))
    if subscribed is None:
        return
    client, credential = subscribed
    try:
        await _serve(core.hub, websocket, client, credential)
    finally:
        await core.hub.detach(client)
    if client.closing is not None:
        await _close(core.hub, websocket, client.closing)
