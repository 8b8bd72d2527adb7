"""The aidev pack's channels: ``aidev.metrics`` (the KPIs) and ``aidev.sessions`` (changes)."""

from __future__ import annotations

from vantage.core.realtime import ChannelSpec

METRICS_CHANNEL = "aidev.metrics"
SESSIONS_CHANNEL = "aidev.sessions"

CHANNELS = (
    # Cache mode: a new subscriber gets the latest KPIs at once.
    ChannelSpec(
        METRICS_CHANNEL,
        cache=True,
        history_size=100,
        description="The 7-day KPIs, after ingest commits (at most once per interval)",
    ),
    ChannelSpec(
        SESSIONS_CHANNEL,
        history_size=1000,
        description="Sessions changed by each ingest commit: their ids and the new requests",
    ),
)
