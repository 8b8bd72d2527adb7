"""The pack's realtime channels, their specs, and an in-process stand-in for the hub's latest-value
cache."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from pydantic_core import to_json

from vantage.core.auth.principal import Scope
from vantage.core.realtime import ChannelSpec

if TYPE_CHECKING:
    from vantage.core.realtime import Hub

METRICS_CHANNEL = "trading.metrics"
TRADES_CHANNEL = "trading.trades"
ALERTS_CHANNEL = "trading.alerts"
EVENTS_CHANNEL = "trading.events"  # clients publish batches; the ingest path takes them
KEPT_PER_CHANNEL = 100

CHANNELS = (
    ChannelSpec(
        METRICS_CHANNEL,
        cache=True,
        history_size=100,
        history_ttl_seconds=60,
        description="Snapshot of every collector, 10 times a second (cache mode)",
    ),
    ChannelSpec(
        TRADES_CHANNEL,
        history_size=1000,
        history_ttl_seconds=300,
        description='Fills as they are stored: {"trades": [...]} per committed batch',
    ),
    ChannelSpec(
        ALERTS_CHANNEL,
        history_size=1000,
        history_ttl_seconds=3600,
        description='{"action": "raised" | "acknowledged" | "resolved", "alert": {...}}',
    ),
    ChannelSpec(
        EVENTS_CHANNEL,
        subscribe_scope=Scope.INGEST,
        publish_scope=Scope.INGEST,
        history_size=1,
        history_ttl_seconds=60,
        description="Publish event batches here (the body of POST /api/v1/trading/events)",
    ),
)


class Publisher(Protocol):
    """What the pack needs from the realtime hub."""

    async def publish(self, tenant_id: int, channel: str, data: Any) -> Any: ...

    async def latest_json(self, tenant_id: int, channel: str) -> bytes | None:
        """The newest message's data as JSON, or None."""
        ...


class LocalPublisher:
    """Keeps the recent values per (tenant, channel) in this process; delivers nowhere."""

    def __init__(self) -> None:
        self.messages: dict[tuple[int, str], deque[bytes]] = {}

    async def publish(self, tenant_id: int, channel: str, data: Any) -> None:
        kept = self.messages.setdefault((tenant_id, channel), deque(maxlen=KEPT_PER_CHANNEL))
        kept.append(to_json(data))

    async def latest_json(self, tenant_id: int, channel: str) -> bytes | None:
        kept = self.messages.get((tenant_id, channel))
        return kept[-1] if kept else None


class HubPublisher:
    """Publishes through the core realtime hub; its history answers ``latest_json``."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def publish(self, tenant_id: int, channel: str, data: Any) -> Any:
        return await self.hub.publish(tenant_id, channel, data)

    async def latest_json(self, tenant_id: int, channel: str) -> bytes | None:
        message = await self.hub.latest(tenant_id, channel)
        return message.data_json.encode() if message is not None else None
