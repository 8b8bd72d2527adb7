"""A WebSocket connection may send only so many messages a second."""

from __future__ import annotations

import json

from tests.core.realtime.conftest import ServerFactory
from tests.support.realtime import close_code, open_socket, receive


async def test_a_websocket_sending_too_fast_gets_errors_then_1008(
    live_server: ServerFactory,
) -> None:
    async with live_server(realtime_max_messages_per_second=5) as server:
        ws = await open_socket(server.ws_url)
        for _ in range(6):
            await ws.send(json.dumps({"op": "ping"}))
        answers = [await receive(ws) for _ in range(6)]
        assert [a["op"] for a in answers].count("pong") == 5
        refused = next(a for a in answers if a["op"] == "error")
        assert refused["code"] == "RATE_LIMITED"
        for _ in range(20):
            await ws.send(json.dumps({"op": "ping"}))
        assert await close_code(ws) == 1008
