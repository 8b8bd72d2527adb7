"""A client that stops reading is closed with 4008 and never holds the others back."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.core.realtime.conftest import ServerFactory
from tests.support.realtime import close_code, open_socket, receive_messages, subscribe

pytestmark = pytest.mark.serial

HEALTHY_CLIENTS = 100
MESSAGES = 150


async def _stalled_socket(port: int) -> ClientConnection:
    """A client that will not read: a tiny receive buffer and a client-side queue of one frame,
    without compression (which would shrink the test's payloads to nothing)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    ws = await connect(f"ws://127.0.0.1:{port}/ws", sock=sock, max_queue=1, compression=None)
    await ws.send(json.dumps({"op": "auth", "token": "t1-reader"}))
    return ws


async def test_a_stalled_client_is_closed_4008_while_100_healthy_clients_get_every_message(
    live_server: ServerFactory,
) -> None:
    async with live_server(
        small_send_buffers=True, realtime_queue_size=32, realtime_send_timeout_seconds=0.5
    ) as server:
        healthy = await asyncio.gather(
            *[open_socket(server.ws_url, compression=None) for _ in range(HEALTHY_CLIENTS)]
        )
        await asyncio.gather(*[subscribe(ws, "rtt.feed") for ws in healthy])
        stalled = await _stalled_socket(server.port)
        await subscribe(stalled, "rtt.feed")
        collectors = [
            asyncio.create_task(receive_messages(ws, MESSAGES, within=60)) for ws in healthy
        ]

        for seq in range(MESSAGES):
            await server.hub.publish(1, "rtt.feed", {"seq": seq, "pad": secrets.token_hex(2048)})
            await asyncio.sleep(0.005)

        received = await asyncio.gather(*collectors)
        for messages in received:
            assert [m["data"]["seq"] for m in messages] == list(range(MESSAGES))
        registry = server.app.state.metrics_registry
        slow = registry.get_sample_value(
            "vantage_realtime_slow_consumer_disconnects_total", {"transport": "ws"}
        )
        assert slow == 1
        # Reading again, the stalled client finds the frames it had, then the 4008 close.
        assert await close_code(stalled) == 4008
        assert stalled.close_reason == "slow consumer"
        for ws in healthy:
            await ws.close()
