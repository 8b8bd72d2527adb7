"""The commerce pack's channels: the live dashboard."""

from __future__ import annotations

from vantage.core.realtime import ChannelSpec

DASHBOARD_CHANNEL = "commerce.dashboard"

CHANNELS = (
    # Cache mode: a new subscriber gets the latest dashboard at once.
    ChannelSpec(
        DASHBOARD_CHANNEL,
        cache=True,
        history_size=100,
        description="The default dashboard, after each ingest commit (at most 1/s)",
    ),
)
