"""Leases for the deployment-wide singleton (the collectors, the snapshot ticker, retention).

Embedded: the one process holds it. With Redis: ``SET key token NX PX ttl``, renewed every
third of the TTL by a compare-and-extend script; a holder that cannot renew in time considers
the lease lost, and another process takes it over once the key expires.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Protocol

import structlog

from vantage.packs.trading.cancellation import raise_if_cancelling

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = structlog.get_logger("vantage.trading.lease")

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class Lease(Protocol):
    async def acquire(self) -> None:
        """Wait until this process holds the lease."""
        ...

    async def hold(self) -> None:
        """Keep the lease; returns when it is lost."""
        ...

    async def release(self) -> None: ...


class LocalLease:
    """The embedded default: this process is the only one."""

    async def acquire(self) -> None:
        return None

    async def hold(self) -> None:
        await asyncio.Event().wait()

    async def release(self) -> None:
        return None


class RedisLease:
    """A Redis lock with expiry, renewed by heartbeat."""

    def __init__(self, redis: Redis, key: str, ttl_seconds: float) -> None:
        self.redis = redis
        self.key = key
        self.ttl_ms = int(ttl_seconds * 1000)
        self.token = secrets.token_hex(16)
        self.interval = ttl_seconds / 3

    async def _try_acquire(self) -> bool:
        try:
            return bool(await self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms))
        except Exception as error:
            raise_if_cancelling()
            logger.warning("lease acquisition failed", error=str(error))
            return False

    async def acquire(self) -> None:
        while True:
            if await self._try_acquire():
                logger.info("lease acquired", key=self.key)
                return
            await asyncio.sleep(self.interval)

    async def _renew(self) -> bool | None:
        """True: extended; False: somebody else holds it; None: Redis did not answer."""
        try:
            held = await self.redis.eval(_RENEW, 1, self.key, self.token, str(self.ttl_ms))
        except Exception as error:
            raise_if_cancelling()
            logger.warning("lease renewal failed", error=str(error))
            return None
        return bool(held)

    async def hold(self) -> None:
        loop = asyncio.get_running_loop()
        renewed_at = loop.time()
        while True:
            await asyncio.sleep(self.interval)
            renewed = await self._renew()
            if renewed:
                renewed_at = loop.time()
                continue
            # Not renewed: it is gone, or it may expire (and be taken) before the next try.
            if renewed is False or loop.time() - renewed_at >= self.ttl_ms / 1000 - self.interval:
                logger.warning("lease lost", key=self.key)
                return

    async def release(self) -> None:
        try:
            await self.redis.eval(_RELEASE, 1, self.key, self.token)
        except Exception as error:
            logger.warning("lease release failed", error=str(error))
