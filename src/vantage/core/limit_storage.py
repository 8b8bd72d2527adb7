"""Where rate-limit counters live: this process's memory, or Redis shared by every process."""

from __future__ import annotations

from typing import Any

from limits.aio.storage import Storage
from limits.storage import storage_from_string

from vantage.config import Settings

REDIS_LIMIT_TIMEOUT_SECONDS = 0.5
# Connections per process. A burst larger than this queues for a free connection instead of
# failing at once, as redis-py's default non-blocking pool would. Waiting for a connection is
# local contention, not an outage, so it may take longer than a Redis round trip may.
REDIS_LIMIT_POOL_SIZE = 16
REDIS_LIMIT_POOL_WAIT_SECONDS = 1.5


def limit_storage_uri(settings: Settings) -> str:
    """The `limits` storage URI for these settings (async variants only)."""
    if not settings.redis_url:
        return "async+memory://"
    scheme, rest = settings.redis_url.split("://", 1)
    return f"async+{scheme}://{rest}"


def create_limit_storage(settings: Settings) -> Storage:
    """One storage per application; Redis calls time out fast so an outage cannot hang requests."""
    uri = limit_storage_uri(settings)
    if not settings.redis_url:
        storage = storage_from_string(uri)
    else:
        from redis.asyncio import BlockingConnectionPool  # optional dependency

        pool = BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=REDIS_LIMIT_POOL_SIZE,
            timeout=REDIS_LIMIT_POOL_WAIT_SECONDS,
            socket_timeout=REDIS_LIMIT_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_LIMIT_TIMEOUT_SECONDS,
        )
        # `limits` passes the pool through to redis-py; its signature only admits scalars.
        options: dict[str, Any] = {"connection_pool": pool, "implementation": "redispy"}
        storage = storage_from_string(uri, **options)
    assert isinstance(storage, Storage)
    return storage
