"""The gateway's realtime channels: their names and their ``ChannelSpec``s."""

from __future__ import annotations

from vantage.core.realtime.channels import ChannelSpec

USAGE_CHANNEL = "gateway.usage"
CHANNELS = (
    ChannelSpec(
        USAGE_CHANNEL,
        history_size=200,
        history_ttl_seconds=600,
        description="gateway usage rows as they are stored (totals and rows of each batch)",
    ),
)
