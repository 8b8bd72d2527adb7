"""``GET /api/v1/stream/{channel}`` over a real server: events, resume, pings, problems."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.core.realtime.conftest import ServerFactory
from tests.support.realtime import LiveServer


class EventStream:
    """Reads an SSE response event by event (comments included, as ``{"comment": ...}``)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, within: float = 5.0) -> dict[str, Any]:
        event: dict[str, Any] = {}
        async with asyncio.timeout(within):
            async for line in self._lines:
                if not line:
                    if event:
                        return event
                    continue
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "":
                    event["comment"] = value
                elif field == "data":
                    event["data"] = json.loads(value)
                else:
                    event[field] = value
        raise EOFError("the stream ended")

    async def messages(self, count: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while len(found) < count:
            event = await self.next()
            if "data" in event and event["data"]["op"] == "message":
                found.append(event)
        return found


@asynccontextmanager
async def stream(
    server: LiveServer, channel: str, headers: dict[str, str] | None = None
) -> AsyncIterator[EventStream]:
    sent = {"Authorization": "Bearer t1-reader", **(headers or {})}
    async with (
        httpx.AsyncClient(base_url=server.http_url, timeout=10) as http,
        http.stream("GET", f"/api/v1/stream/{channel}", headers=sent) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventStream(response)


async def test_events_carry_epoch_and_offset_ids(server: LiveServer) -> None:
    async with stream(server, "rtt.feed") as events:
        subscribed = await events.next()
        assert subscribed["event"] == "subscribed"
        assert subscribed["data"]["recovered"] is False
        assert subscribed["id"] == f"{subscribed['data']['epoch']}:0"
        positions = [await server.hub.publish(1, "rtt.feed", {"n": n}) for n in range(3)]
        received = await events.messages(3)
    assert [e["id"] for e in received] == [str(p) for p in positions]
    assert [e["data"]["data"] for e in received] == [{"n": n} for n in range(3)]
    assert {e["data"]["channel"] for e in received} == {"rtt.feed"}


async def test_last_event_id_resumes_exactly_after_the_last_event(server: LiveServer) -> None:
    async with stream(server, "rtt.feed") as events:
        await events.next()
        for n in range(3):
            await server.hub.publish(1, "rtt.feed", {"seq": n})
        last = (await events.messages(3))[-1]["id"]
    for n in range(3, 8):
        await server.hub.publish(1, "rtt.feed", {"seq": n})
    async with stream(server, "rtt.feed", {"Last-Event-ID": last}) as events:
        subscribed = await events.next()
        assert subscribed["data"]["recovered"] is True
        # A drop before the replay arrives resumes from the same place again.
        assert subscribed["id"] == last
        replayed = await events.messages(5)
        assert [e["data"]["data"]["seq"] for e in replayed] == [3, 4, 5, 6, 7]
        await server.hub.publish(1, "rtt.feed", {"seq": 8})
        [live] = await events.messages(1)
    epoch, offset = last.split(":")
    assert [e["id"] for e in replayed] == [f"{epoch}:{int(offset) + k}" for k in range(1, 6)]
    assert live["id"] == f"{epoch}:{int(offset) + 6}" and live["data"]["data"]["seq"] == 8


async def test_an_unknown_last_event_id_is_not_recovered(server: LiveServer) -> None:
    await server.hub.publish(1, "rtt.snapshot", {"price": 7})
    async with stream(
        server, "rtt.snapshot", {"Last-Event-ID": "old:41", "X-API-Key": "x"}
    ) as events:
        subscribed = await events.next()
        assert subscribed["data"]["recovered"] is False
        [snapshot] = await events.messages(1)
        assert snapshot["data"]["data"] == {"price": 7}


async def test_an_api_key_header_is_accepted(server: LiveServer) -> None:
    async with stream(
        server, "rtt.feed", {"Authorization": "", "X-API-Key": "t2-reader"}
    ) as events:
        assert (await events.next())["event"] == "subscribed"
        await server.hub.publish(1, "rtt.feed", {"tenant": 1})
        await server.hub.publish(2, "rtt.feed", {"tenant": 2})
        [own] = await events.messages(1)
        assert own["data"]["data"] == {"tenant": 2}


async def test_idle_streams_get_ping_comments(live_server: ServerFactory) -> None:
    async with (
        live_server(realtime_sse_ping_seconds=0.2) as server,
        stream(server, "rtt.feed") as events,
    ):
        await events.next()
        assert await events.next() == {"comment": "ping"}


async def test_stopping_the_hub_ends_streams(server: LiveServer) -> None:
    async with stream(server, "rtt.feed") as events:
        await events.next()
        await server.hub.stop()
        with pytest.raises(EOFError):
            await events.next()
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        refused = await http.get("/api/v1/stream/rtt.feed", headers={"X-API-Key": "t1-reader"})
    assert refused.status_code == 503
    await server.hub.start()


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        ("rtt.feed", {}, 401, "UNAUTHORIZED"),
        ("rtt.feed", {"Authorization": "Bearer nope"}, 401, "UNAUTHORIZED"),
        ("rtt.admin", {"Authorization": "Bearer t1-reader"}, 403, "FORBIDDEN"),
        ("rtt.missing", {"Authorization": "Bearer t1-reader"}, 404, "NOT_FOUND"),
        ("not a channel", {"Authorization": "Bearer t1-reader"}, 422, "VALIDATION_ERROR"),
        (
            "rtt.feed",
            {"Authorization": "Bearer t1-reader", "Last-Event-ID": "x"},
            422,
            "VALIDATION_ERROR",
        ),
    ],
)
async def test_refusals_are_problems(
    server: LiveServer, path: str, headers: dict[str, str], status: int, code: str
) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        response = await http.get(f"/api/v1/stream/{path}", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        text = (await http.get("/metrics")).text
    assert 'vantage_realtime_connections{transport="sse"} 0.0' in text
