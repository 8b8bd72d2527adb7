"""Helpers for rate-limit tests that use the shared test Redis."""

from __future__ import annotations

from redis.asyncio import Redis

# `limits` stores moving windows under "LIMITS:" + the item's key, which begins with its namespace.
LIMIT_KEY_PATTERN = "LIMITS:LIMITER/{prefix}/*"


async def delete_limit_keys(redis_url: str, prefix: str) -> None:
    """Remove the counters a test created under its own key prefix (never anyone else's)."""
    client = Redis.from_url(redis_url)
    try:
        keys = [
            key async for key in client.scan_iter(match=LIMIT_KEY_PATTERN.format(prefix=prefix))
        ]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
