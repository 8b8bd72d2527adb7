from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry

from vantage.core.auth.principal import Principal, Scope
from vantage.core.realtime.backends.memory import MemoryBackend
from vantage.core.realtime.channels import ChannelRegistry, ChannelSpec
from vantage.core.realtime.clients import (
    CLOSE_INTERNAL_ERROR,
    CLOSE_SLOW_CONSUMER,
    Client,
    Replayed,
)
from vantage.core.realtime.hub import Hub, HubConfig
from vantage.core.realtime.messages import Message
from vantage.core.realtime.metrics import HubMetrics
from vantage.core.realtime.sse import SseClient


class QueueOnlyClient(Client):
    transport = "sse"

    def render_control(self, op: str, fields: dict[str, Any]) -> str:
        return op


def _client(capacity: int) -> tuple[QueueOnlyClient, CollectorRegistry]:
    registry = CollectorRegistry()
    principal = Principal(kind="user", subject_id=1, tenant_id=1, scopes=frozenset({Scope.READ}))
    return QueueOnlyClient(principal, capacity, HubMetrics(registry)), registry


def _message(offset: int) -> Message:
    return Message("rtt.feed", "e", offset, time.time(), "{}")


async def test_a_client_that_falls_capacity_frames_behind_is_closed_as_slow() -> None:
    client, registry = _client(capacity=3)
    for offset in range(1, 4):
        client.offer(_message(offset))
    assert client.closing is None and len(client.pending) == 3
    client.offer(_message(4))
    assert client.closing == CLOSE_SLOW_CONSUMER
    assert not client.pending and await client.next_item() is None
    slow = registry.get_sample_value(
        "vantage_realtime_slow_consumer_disconnects_total", {"transport": "sse"}
    )
    assert slow == 1


async def test_replays_and_control_frames_do_not_count_against_the_bound() -> None:
    client, _ = _client(capacity=2)
    client.push_control("subscribed")
    for offset in range(1, 6):
        client.push(Replayed(_message(offset)))
    client.offer(_message(6))
    assert client.closing is None
    assert await client.next_item() == "subscribed"
    first = await client.next_item()
    assert isinstance(first, Replayed) and first.message.offset == 1


class BrokenClient(QueueOnlyClient):
    def offer(self, message: Message) -> None:
        raise RuntimeError("a bug in one connection")


def _hub() -> Hub:
    return Hub(
        channels=ChannelRegistry([ChannelSpec("rtt.feed")]),
        backend=MemoryBackend(),
        config=HubConfig(),
        metrics=HubMetrics(CollectorRegistry()),
        origin_check=lambda connection: True,
    )


async def test_a_failing_client_does_not_cost_the_others_the_message() -> None:
    hub = _hub()
    async with hub.running():
        principal = Principal(
            kind="user", subject_id=1, tenant_id=1, scopes=frozenset({Scope.READ})
        )
        broken = BrokenClient(principal, 10, hub.metrics)
        healthy = QueueOnlyClient(principal, 10, hub.metrics)
        for client in (broken, healthy):
            hub.attach(client)
            await hub.subscribe(client, "rtt.feed", None)
        await hub.publish(1, "rtt.feed", {"n": 1})
        assert broken.closing == CLOSE_INTERNAL_ERROR
        assert await healthy.next_item() == "subscribed"
        delivered = await healthy.next_item()
        assert isinstance(delivered, Message) and delivered.data() == {"n": 1}
        for client in (broken, healthy):
            await hub.detach(client)


async def test_an_sse_stream_ends_when_its_client_is_closed() -> None:
    registry = CollectorRegistry()
    principal = Principal(kind="user", subject_id=1, tenant_id=1, scopes=frozenset({Scope.READ}))
    client = SseClient(principal, 1, HubMetrics(registry))
    client.offer(_message(1))
    client.offer(_message(2))  # one more than the queue holds: dropped as slow
    assert [frame async for frame in client.events()] == []
    slow = registry.get_sample_value(
        "vantage_realtime_slow_consumer_disconnects_total", {"transport": "sse"}
    )
    assert slow == 1
