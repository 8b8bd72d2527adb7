"""The pack's realtime channels."""

from __future__ import annotations

from vantage.core.realtime import ChannelSpec

EVENTS_CHANNEL = "delivery.events"
DORA_CHANNEL = "delivery.dora"

CHANNELS = (
    ChannelSpec(
        EVENTS_CHANNEL,
        history_size=1000,
        history_ttl_seconds=3600,
        description="Each processed webhook, deployment and incident: {source, event, ...}",
    ),
    ChannelSpec(
        DORA_CHANNEL,
        cache=True,
        history_size=100,
        history_ttl_seconds=3600,
        description="The tenant's DORA figures (default window) after each processed event",
    ),
)
