"""Resuming with ``since``: exactly the missed messages, or ``recovered:false`` and a snapshot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.core.realtime.conftest import ServerFactory
from tests.support.realtime import (
    LiveServer,
    build_app,
    open_socket,
    receive,
    receive_messages,
    serve,
    subscribe,
)
from vantage.config import Settings


async def _disconnect_publish_resume(server: LiveServer, pause_seconds: float, missed: int) -> None:
    ws = await open_socket(server.ws_url)
    await subscribe(ws, "rtt.feed")
    for n in range(3):
        await server.hub.publish(1, "rtt.feed", {"seq": n})
    seen = await receive_messages(ws, 3)
    since = {"epoch": seen[-1]["epoch"], "offset": seen[-1]["offset"]}
    await ws.close()

    for n in range(missed):  # published at an even pace while the client is away
        await server.hub.publish(1, "rtt.feed", {"seq": 3 + n})
        await asyncio.sleep(pause_seconds / missed)

    ws = await open_socket(server.ws_url)
    answer = await subscribe(ws, "rtt.feed", since)
    assert answer["recovered"] is True
    assert (answer["epoch"], answer["offset"]) == (since["epoch"], since["offset"] + missed)
    replayed = await receive_messages(ws, missed)
    assert [m["offset"] for m in replayed] == list(range(since["offset"] + 1, answer["offset"] + 1))
    assert [m["data"]["seq"] for m in replayed] == list(range(3, 3 + missed))
    # Live delivery continues right after the replay: no gap, no duplicate.
    await server.hub.publish(1, "rtt.feed", {"seq": 3 + missed})
    [live] = await receive_messages(ws, 1)
    assert live["offset"] == answer["offset"] + 1 and live["data"]["seq"] == 3 + missed
    await ws.close()


async def test_a_short_disconnect_recovers_every_missed_message(server: LiveServer) -> None:
    await _disconnect_publish_resume(server, pause_seconds=0.25, missed=50)


async def test_a_five_second_disconnect_recovers_50_of_50_messages(
    make_settings: Callable[..., Settings], redis_url: str | None, redis_prefix: str
) -> None:
    # The one test that really waits: on Redis when configured (as in production), else memory.
    shared = {"redis_url": redis_url, "realtime_redis_prefix": redis_prefix} if redis_url else {}
    async with serve(build_app(make_settings(**shared))) as server:
        await _disconnect_publish_resume(server, pause_seconds=5.0, missed=50)


async def test_resubscribing_while_messages_keep_coming_has_no_gap_and_no_duplicate(
    server: LiveServer,
) -> None:
    total = 400
    done = asyncio.Event()

    async def publish_continuously() -> None:
        for n in range(total):
            await server.hub.publish(1, "rtt.feed", {"seq": n})
            await asyncio.sleep(0.001 if n % 3 else 0)
        done.set()

    ws = await open_socket(server.ws_url)
    await subscribe(ws, "rtt.feed")
    publisher = asyncio.create_task(publish_continuously())
    received: list[dict[str, Any]] = []
    resumes = 0
    while not received or received[-1]["data"]["seq"] < total - 1:
        frame = await receive(ws)
        if frame["op"] != "message":
            continue
        received.append(frame)
        if len(received) % 40 == 0 and not done.is_set():
            # Drop the connection abruptly and resume from the last message, mid-stream.
            ws.transport.abort()
            ws = await open_socket(server.ws_url)
            last = received[-1]
            answer = await subscribe(
                ws, "rtt.feed", {"epoch": last["epoch"], "offset": last["offset"]}
            )
            assert answer["recovered"] is True
            resumes += 1
    await publisher
    await ws.close()
    assert resumes >= 3
    assert [m["data"]["seq"] for m in received] == list(range(total))
    assert [m["offset"] for m in received] == list(range(1, total + 1))


async def test_a_cache_channel_sends_its_latest_value_to_a_new_subscriber(
    server: LiveServer,
) -> None:
    for n in range(3):
        await server.hub.publish(1, "rtt.snapshot", {"price": n})
    ws = await open_socket(server.ws_url)
    answer = await subscribe(ws, "rtt.snapshot")
    assert answer["recovered"] is False and answer["offset"] == 3
    [snapshot] = await receive_messages(ws, 1)
    assert snapshot["data"] == {"price": 2} and snapshot["offset"] == 3
    latest = await server.hub.latest(1, "rtt.snapshot")
    assert latest is not None and latest.data() == {"price": 2}
    await ws.close()


async def _forget_redis_history(settings: dict[str, Any]) -> None:
    client = Redis.from_url(settings["redis_url"])
    try:
        keys = [
            key async for key in client.scan_iter(match=f"{settings['realtime_redis_prefix']}*")
        ]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_after_the_history_is_lost_a_resume_gets_recovered_false_and_the_latest_snapshot(
    live_server: ServerFactory, backend: dict[str, Any]
) -> None:
    async with live_server() as server:
        ws = await open_socket(server.ws_url)
        await subscribe(ws, "rtt.snapshot")
        for n in range(3):
            await server.hub.publish(1, "rtt.snapshot", {"price": n})
        seen = await receive_messages(ws, 3)
        await ws.close()
    since = {"epoch": seen[-1]["epoch"], "offset": seen[-1]["offset"]}
    if backend:
        await _forget_redis_history(backend)  # Redis restarted empty, or the keys expired
    async with live_server() as restarted:  # the memory backend loses everything here
        position = await restarted.hub.publish(1, "rtt.snapshot", {"price": 100})
        assert position.epoch != since["epoch"] and position.offset == 1
        ws = await open_socket(restarted.ws_url)
        answer = await subscribe(ws, "rtt.snapshot", since)
        assert answer["recovered"] is False
        assert (answer["epoch"], answer["offset"]) == (position.epoch, 1)
        [snapshot] = await receive_messages(ws, 1)
        assert snapshot["data"] == {"price": 100} and snapshot["epoch"] == position.epoch
        await ws.send(json.dumps({"op": "ping"}))
        assert (await receive(ws))["op"] == "pong"  # nothing else was queued
        await ws.close()


@pytest.mark.redis
async def test_with_redis_the_history_survives_a_server_restart(
    make_settings: Callable[..., Settings], redis_url: str | None, redis_prefix: str
) -> None:
    if not redis_url:
        pytest.skip("VANTAGE_TEST_REDIS_URL is not set")
    settings = make_settings(redis_url=redis_url, realtime_redis_prefix=redis_prefix)
    async with serve(build_app(settings)) as server:
        for n in range(5):
            await server.hub.publish(1, "rtt.feed", {"seq": n})
        position = await server.hub.publish(1, "rtt.feed", {"seq": 5})
    async with serve(build_app(settings)) as restarted:
        ws = await open_socket(restarted.ws_url)
        answer = await subscribe(ws, "rtt.feed", {"epoch": position.epoch, "offset": 2})
        assert answer["recovered"] is True and answer["offset"] == position.offset
        assert [m["data"]["seq"] for m in await receive_messages(ws, 4)] == [2, 3, 4, 5]
        await ws.close()
