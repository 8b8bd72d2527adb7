from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry

from vantage.core.auth.principal import Principal, Scope
from vantage.core.realtime.clients import CLOSE_SLOW_CONSUMER, Client, Replayed
from vantage.core.realtime.messages import Message
from vantage.core.realtime.metrics import HubMetrics


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
