"""Both backends against the same expectations: offsets, epochs, bounded history, fan-out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.support.realtime import bound_socket
from vantage.core.errors import Unavailable
from vantage.core.realtime.backends.base import Backend
from vantage.core.realtime.backends.memory import MemoryBackend
from vantage.core.realtime.backends.redis import RedisBackend
from vantage.core.realtime.channels import ChannelSpec
from vantage.core.realtime.messages import Message, Position
from vantage.core.realtime.recovery import Outcome, plan_recovery

FEED = ChannelSpec("rtt.feed")
SHORT = ChannelSpec("rtt.short", history_size=5)
KEY = "t1:rtt.feed"


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, Message]] = []
        self.arrived = asyncio.Event()

    def __call__(self, key: str, message: Message) -> None:
        self.messages.append((key, message))
        self.arrived.set()

    async def wait_for(self, count: int) -> list[Message]:
        async with asyncio.timeout(5):
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return [message for _, message in self.messages]


@pytest.fixture
async def store(backend: dict[str, Any]) -> AsyncIterator[tuple[Backend, Recorder]]:
    recorder = Recorder()
    if not backend:
        memory = MemoryBackend()
        await memory.start(recorder)
        yield memory, recorder
        await memory.stop()
        return
    client = Redis.from_url(backend["redis_url"])
    shared = RedisBackend(client, backend["realtime_redis_prefix"])
    await shared.start(recorder)
    yield shared, recorder
    await shared.stop()
    await client.aclose()


async def _publish(
    store: Backend, count: int, spec: ChannelSpec = FEED, key: str = KEY
) -> list[Message]:
    channel = key.split(":", 1)[1]
    return [
        await store.publish(key, channel, spec, f'{{"n":{n}}}', time.time()) for n in range(count)
    ]


async def test_offsets_count_up_by_one_within_an_epoch(store: tuple[Backend, Recorder]) -> None:
    backend, recorder = store
    await backend.listen(KEY, "rtt.feed")
    first = await backend.read(KEY, "rtt.feed", FEED, None, False)
    published = await _publish(backend, 5)
    assert [m.offset for m in published] == [1, 2, 3, 4, 5]
    assert {m.epoch for m in published} == {first.position.epoch}
    delivered = await recorder.wait_for(5)
    assert [(m.offset, m.data()) for m in delivered] == [(n + 1, {"n": n}) for n in range(5)]


async def test_read_returns_exactly_the_missed_messages(store: tuple[Backend, Recorder]) -> None:
    backend, _ = store
    published = await _publish(backend, 8)
    epoch = published[0].epoch
    read = await backend.read(KEY, "rtt.feed", FEED, Position(epoch, 3), latest=True)
    assert read.position == Position(epoch, 8)
    assert [(m.offset, m.data_json) for m in read.missed] == [
        (o, f'{{"n":{o - 1}}}') for o in range(4, 9)
    ]
    assert read.latest is not None and read.latest.offset == 8
    other_epoch = await backend.read(KEY, "rtt.feed", FEED, Position("other", 3), latest=False)
    assert other_epoch.missed == [] and other_epoch.latest is None


async def test_history_is_bounded_by_the_channel_size(store: tuple[Backend, Recorder]) -> None:
    backend, _ = store
    key = "t1:rtt.short"
    published = await _publish(backend, 20, SHORT, key)
    epoch = published[0].epoch
    too_old = await backend.read(key, "rtt.short", SHORT, Position(epoch, 10), False)
    assert plan_recovery(too_old, Position(epoch, 10), SHORT, time.time()).outcome is Outcome.GAP
    recent = await backend.read(key, "rtt.short", SHORT, Position(epoch, 16), False)
    plan = plan_recovery(recent, Position(epoch, 16), SHORT, time.time())
    assert plan.recovered and [m.offset for m in plan.replay] == [17, 18, 19, 20]


async def test_tenants_have_separate_histories(store: tuple[Backend, Recorder]) -> None:
    backend, _ = store
    one = await _publish(backend, 3, key="t1:rtt.feed")
    two = await _publish(backend, 1, key="t2:rtt.feed")
    assert two[0].offset == 1 and two[0].epoch != one[0].epoch


async def test_an_idle_history_expires_and_starts_a_new_epoch(
    store: tuple[Backend, Recorder],
) -> None:
    backend, _ = store
    fleeting = ChannelSpec("rtt.fleeting", history_ttl_seconds=0.2)
    key = "t1:rtt.fleeting"
    before = await _publish(backend, 2, fleeting, key)
    await asyncio.sleep(0.35)
    backend.sweep(time.time())
    after = await _publish(backend, 1, fleeting, key)
    assert after[0].epoch != before[0].epoch and after[0].offset == 1


async def test_the_memory_backend_starts_new_epochs_after_a_restart() -> None:
    first, second = MemoryBackend(), MemoryBackend()
    before = await _publish(first, 3)
    after = await _publish(second, 1)
    assert after[0].epoch != before[0].epoch and after[0].offset == 1


@pytest.fixture
async def redis_store(
    redis_url: str | None, redis_prefix: str
) -> AsyncIterator[tuple[RedisBackend, Redis, Recorder]]:
    if not redis_url:
        pytest.skip("VANTAGE_TEST_REDIS_URL is not set")
    client = Redis.from_url(redis_url)
    recorder = Recorder()
    backend = RedisBackend(client, redis_prefix)
    await backend.start(recorder)
    yield backend, client, recorder
    await backend.stop()
    await client.aclose()


@pytest.mark.redis
async def test_redis_starts_a_new_epoch_when_the_stream_is_gone(
    redis_store: tuple[RedisBackend, Redis, Recorder], redis_prefix: str
) -> None:
    backend, client, _ = redis_store
    before = await _publish(backend, 3)
    await client.delete(f"{redis_prefix}{{{KEY}}}:h")
    after = await _publish(backend, 1)
    assert after[0].epoch != before[0].epoch and after[0].offset == 1
    await client.delete(f"{redis_prefix}{{{KEY}}}:m")
    again = await _publish(backend, 2)
    assert again[0].epoch not in {before[0].epoch, after[0].epoch}
    assert [m.offset for m in again] == [1, 2]


@pytest.mark.redis
async def test_redis_history_outlives_the_process_that_wrote_it(
    redis_store: tuple[RedisBackend, Redis, Recorder], redis_url: str, redis_prefix: str
) -> None:
    backend, _, _ = redis_store
    published = await _publish(backend, 4)
    client = Redis.from_url(redis_url)
    other = RedisBackend(client, redis_prefix)
    try:
        read = await other.read(KEY, "rtt.feed", FEED, Position(published[0].epoch, 1), False)
    finally:
        await client.aclose()
    assert read.position == published[-1].position
    assert [m.offset for m in read.missed] == [2, 3, 4]


@pytest.mark.redis
async def test_redis_listeners_are_reference_counted(
    redis_store: tuple[RedisBackend, Redis, Recorder],
) -> None:
    backend, _, recorder = redis_store
    await backend.listen(KEY, "rtt.feed")
    await backend.listen(KEY, "rtt.feed")
    await backend.unlisten(KEY)
    await _publish(backend, 1)
    assert len(await recorder.wait_for(1)) == 1
    await backend.unlisten(KEY)
    await _publish(backend, 1)
    await asyncio.sleep(0.2)
    assert len(recorder.messages) == 1


@pytest.mark.redis
async def test_redis_fills_a_gap_left_by_lost_pubsub_messages_from_the_stream(
    redis_store: tuple[RedisBackend, Redis, Recorder], redis_prefix: str
) -> None:
    backend, _, recorder = redis_store
    await backend.listen(KEY, "rtt.feed")
    await _publish(backend, 1)
    await recorder.wait_for(1)
    pubsub = backend._pubsub
    assert pubsub is not None
    topic = f"{redis_prefix}{KEY}".encode()
    # Messages published while the subscription is (as after a dropped connection) missing ...
    await pubsub.unsubscribe(topic)
    await asyncio.sleep(0.1)
    await _publish(backend, 3)
    await pubsub.subscribe(topic)
    await asyncio.sleep(0.1)
    # ... are read from the stream as soon as the next one shows the hole.
    await _publish(backend, 1)
    delivered = await recorder.wait_for(5)
    assert [m.offset for m in delivered] == [1, 2, 3, 4, 5]


async def test_redis_that_cannot_be_reached_is_reported_unavailable() -> None:
    closed = bound_socket()  # bound but not listening: connections are refused
    port = closed.getsockname()[1]
    client = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.5)
    backend = RedisBackend(client, "vtest:down:", subscribe_timeout=0.5)
    await backend.start(Recorder())
    try:
        with pytest.raises(Unavailable):
            await backend.publish(KEY, "rtt.feed", FEED, "{}", time.time())
        with pytest.raises(Unavailable):
            await backend.read(KEY, "rtt.feed", FEED, None, False)
        with pytest.raises(Unavailable):
            await backend.listen(KEY, "rtt.feed")
    finally:
        await backend.stop()
        await client.aclose()
        closed.close()
