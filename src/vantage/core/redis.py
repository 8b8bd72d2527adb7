"""The shared Redis client (when ``VANTAGE_REDIS_URL`` is set)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

REDIS_SOCKET_TIMEOUT_SECONDS = 1.0


def create_redis(url: str) -> Redis:
    """A pooled client whose calls fail fast (seconds, not minutes) when Redis is down."""
    from redis.asyncio import Redis  # optional dependency: imported only when configured

    return Redis.from_url(
        url,
        socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
    )
