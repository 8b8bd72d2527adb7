"""A stream's life besides its chunks: keep-alives while the upstream is silent, and the end the
server gives streams still running when it stops (a last event, and a ``shutdown`` usage row)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.packs.gateway.conftest import GatewayFactory, Upstreams
from tests.packs.gateway.identities import api_key, bearer
from tests.packs.gateway.sse import Event, events_of
from tests.packs.gateway.support import usage_rows

KEEPALIVE = ": keep-alive"


async def test_a_silent_upstream_gets_keep_alives_and_the_stream_still_completes(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    upstreams.openai.reply_words = 4
    upstreams.openai.stall_after, upstreams.openai.stall_seconds = 2, 0.5
    async with gateway_for(sqlite_url, upstreams, stream_ping_seconds=0.1) as gateway:
        headers = bearer(await api_key(gateway.app))
        body = {"message": "q", "model": "oa/gpt-4o-mini"}
        async with (
            gateway.client() as http,
            http.stream("POST", "/api/v1/chat/stream", json=body, headers=headers) as response,
        ):
            lines = [line async for line in response.aiter_lines()]

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    keepalives = [i for i, line in enumerate(lines) if line == KEEPALIVE]
    chunks = [i for i, line in enumerate(lines) if line == "event: chunk"]
    # The pause came after some words and before the rest: the keep-alives fill it.
    assert len(keepalives) >= 2
    assert chunks[0] < keepalives[0] and keepalives[-1] < chunks[-1]
    assert "event: done" in lines


async def _stream_until_interrupted(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str], runtime: Any
) -> tuple[str, list[Event]]:
    """Open a stream, interrupt the gateway's streams once the first event is in, read the rest."""
    events: list[Event] = []
    async with http.stream("POST", path, json=body, headers=headers) as response:
        assert response.status_code == 200
        async for event in events_of(response):
            if not events:
                await runtime.streams.interrupt_streams_later()
            events.append(event)
    return response.headers["X-Vantage-Usage-Id"], events


async def test_streams_running_past_the_grace_end_with_a_shutdown_event_and_row(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    upstreams.openai.stall_after, upstreams.openai.stall_seconds = 2, 60
    async with gateway_for(
        sqlite_url, upstreams, stream_shutdown_grace_seconds=0.2, disconnect_drain_seconds=0.3
    ) as gateway:
        runtime = gateway.runtime
        headers = bearer(await api_key(gateway.app))
        async with gateway.client() as http:
            openai_id, openai_events = await _stream_until_interrupted(
                http,
                "/v1/chat/completions",
                {"model": "oa/gpt-4o-mini", "messages": [{"role": "user", "content": "q"}],
                 "stream": True},
                headers,
                runtime,
            )  # fmt: skip
            chat_id, chat_events = await _stream_until_interrupted(
                http, "/api/v1/chat/stream", {"message": "q", "model": "oa/gpt-4o-mini"},
                headers, runtime,
            )  # fmt: skip
        await runtime.streams.wait_for_streams(5)
        await runtime.writer.flush()
        rows = {row.request_id: row for row in await usage_rows(runtime.database)}

    # OpenAI's clients raise on an ``error`` object; there is no [DONE] after it.
    last = json.loads(openai_events[-1].data)
    assert last["error"]["type"] == "server_shutdown" and last["error"]["code"] == "UNAVAILABLE"
    assert all(event.data != "[DONE]" for event in openai_events)
    assert chat_events[-1].name == "error"
    problem = chat_events[-1].json()
    assert (problem["status"], problem["code"]) == (503, "UNAVAILABLE")
    assert not any(event.name == "done" for event in chat_events)
    for usage_id in (openai_id, chat_id):
        row = rows[usage_id]
        assert (row.status, row.error_code, row.streamed) == ("error", "shutdown", True)
        # The upstream never finished: its usage is the tokenizer's estimate, flagged.
        assert row.estimated and row.output_tokens > 0


async def test_a_stream_that_ends_within_the_grace_is_not_interrupted(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    upstreams.openai.reply_words, upstreams.openai.chunk_delay = 6, 0.02
    async with gateway_for(sqlite_url, upstreams, stream_shutdown_grace_seconds=5) as gateway:
        headers = bearer(await api_key(gateway.app))
        body = {"message": "q", "model": "oa/gpt-4o-mini"}
        async with gateway.client() as http:
            usage_id, events = await _stream_until_interrupted(
                http, "/api/v1/chat/stream", body, headers, gateway.runtime
            )
        await gateway.runtime.streams.wait_for_streams(5)
        await gateway.runtime.writer.flush()
        rows = {row.request_id: row for row in await usage_rows(gateway.runtime.database)}

    assert events[-1].name == "done"
    assert (rows[usage_id].status, rows[usage_id].error_code) == ("ok", None)


async def test_the_openai_role_chunk_leaves_with_the_first_words(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    upstreams.openai.reply_words, upstreams.openai.chunk_delay = 3, 0.05
    async with gateway_for(sqlite_url, upstreams) as gateway:
        headers = bearer(await api_key(gateway.app))
        body = {
            "model": "oa/gpt-4o-mini",
            "messages": [{"role": "user", "content": "q"}],
            "stream": True,
        }
        async with (
            gateway.client() as http,
            http.stream("POST", "/v1/chat/completions", json=body, headers=headers) as response,
        ):
            # One part per HTTP chunk, that is per write of the gateway.
            parts = [part async for part in response.aiter_raw()]

    first = parts[0].decode()
    assert '"role":"assistant"' in first
    assert '"content":"alpha"' in first.replace(" ", "")


async def _asgi_messages(
    app: Any, path: str, body: dict[str, Any], headers: dict[str, str]
) -> list[dict[str, Any]]:
    """Call the app as the server would, and keep every message it sends."""
    payload = json.dumps(body).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80), "state": {},
        "headers": [(b"host", b"gateway"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    *((k.lower().encode(), v.encode()) for k, v in headers.items())],
    }  # fmt: skip
    requests = [{"type": "http.request", "body": payload, "more_body": False}]
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client never leaves
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages


@pytest.mark.parametrize(
    ("path", "body", "last"),
    [
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "q"}], "stream": True},
         b"data: [DONE]"),
        ("/api/v1/chat/stream", {"message": "q"}, b"event: done"),
    ],
)  # fmt: skip
async def test_the_last_frames_end_the_body_in_the_same_message(
    sqlite_url: str,
    upstreams: Upstreams,
    gateway_for: GatewayFactory,
    path: str,
    body: dict[str, Any],
    last: bytes,
) -> None:
    upstreams.openai.reply_words, upstreams.openai.chunk_delay = 3, 0.05
    async with gateway_for(sqlite_url, upstreams) as gateway:
        headers = bearer(await api_key(gateway.app))
        messages = await _asgi_messages(
            gateway.app, path, {**body, "model": "oa/gpt-4o-mini"}, headers
        )

    start, *bodies = messages
    assert (start["type"], start["status"]) == ("http.response.start", 200)
    assert [m["more_body"] for m in bodies] == [True] * (len(bodies) - 1) + [False]
    # The words came apart, so the end shares its message with the last frames, not an empty one.
    assert len(bodies) >= 2 and last in bodies[-1]["body"]
