"""Where rate-limit counters live: this process's memory, or Redis shared by every process."""

from __future__ import annotations

from limits.aio.storage import Storage
from limits.storage import storage_from_string

from vantage.config import Settings

REDIS_LIMIT_TIMEOUT_SECONDS = 0.5


def limit_storage_uri(settings: Settings) -> str:
    """The `limits` storage URI for these settings (async variants only)."""
    if not settings.redis_url:
        return "async+memory://"
    scheme, rest = settings.redis_url.split("://", 1)
    return f"async+{scheme}://{rest}"


def create_limit_storage(settings: Settings) -> Storage:
    """One storage per application; Redis calls time out fast so an outage cannot hang requests."""
    uri = limit_storage_uri(settings)
    if uri.startswith("async+memory"):
        storage = storage_from_string(uri)
    else:
        storage = storage_from_string(
            uri,
            socket_timeout=REDIS_LIMIT_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_LIMIT_TIMEOUT_SECONDS,
            implementation="redispy",
        )
    assert isinstance(storage, Storage)
    return storage
