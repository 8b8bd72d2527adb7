"""The pack's realtime channels, and an in-process stand-in for the hub's latest-value cache."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic_core import to_json

METRICS_CHANNEL = "trading.metrics"
TRADES_CHANNEL = "trading.trades"
ALERTS_CHANNEL = "trading.alerts"


class Publisher(Protocol):
    """What the pack needs from the realtime hub."""

    async def publish(self, tenant_id: int, channel: str, data: Any) -> Any: ...

    async def latest_json(self, tenant_id: int, channel: str) -> bytes | None:
        """The newest message's data as JSON, or None."""
        ...


class LocalPublisher:
    """Keeps the latest value per (tenant, channel) in this process; delivers nowhere."""

    def __init__(self) -> None:
        self._latest: dict[tuple[int, str], bytes] = {}
        self.published: dict[str, int] = {}

    async def publish(self, tenant_id: int, channel: str, data: Any) -> None:
        self._latest[(tenant_id, channel)] = to_json(data)
        self.published[channel] = self.published.get(channel, 0) + 1

    async def latest_json(self, tenant_id: int, channel: str) -> bytes | None:
        return self._latest.get((tenant_id, channel))
