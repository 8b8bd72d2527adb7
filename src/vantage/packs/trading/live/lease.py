"""The lease that makes the collectors a singleton per deployment.

It is the core database lease (one row per name, renewed by heartbeat, taken over once it
expires): the holder renews every third of its time to live and stops acting as holder as soon
as a renewal fails in a way that may let another process take it over.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket

import structlog

from vantage.core.db import Database
from vantage.core.lease import Lease
from vantage.packs.trading.live.cancellation import raise_if_cancelling

logger = structlog.get_logger("vantage.trading.lease")

LEASE_NAME = "trading.collectors"


def holder_name() -> str:
    return f"{socket.gethostname()[:150]}:{os.getpid()}:{secrets.token_hex(4)}"


class CollectorLease:
    """Wait for, keep and give up the collectors' lease."""

    def __init__(self, database: Database, ttl_seconds: float, name: str = LEASE_NAME) -> None:
        self.lease = Lease(database, name, holder_name(), ttl_seconds)
        self.ttl = ttl_seconds
        self.interval = ttl_seconds / 3

    async def _renew(self) -> bool | None:
        """True: held; False: another process holds it; None: the database did not answer."""
        try:
            return await self.lease.acquire()
        except Exception as error:
            raise_if_cancelling()
            logger.warning("lease renewal failed", error=str(error))
            return None

    async def acquire(self) -> None:
        """Wait until this process holds the lease."""
        while True:
            if await self._renew():
                logger.info("lease acquired", lease=self.lease.name, holder=self.lease.holder)
                return
            await asyncio.sleep(self.interval)

    async def hold(self) -> None:
        """Keep renewing; returns when the lease is (or may be) lost."""
        loop = asyncio.get_running_loop()
        renewed_at = loop.time()
        while True:
            await asyncio.sleep(self.interval)
            renewed = await self._renew()
            if renewed:
                renewed_at = loop.time()
                continue
            if renewed is False or loop.time() - renewed_at >= self.ttl - self.interval:
                logger.warning("lease lost", lease=self.lease.name)
                return

    async def release(self) -> None:
        try:
            await self.lease.release()
        except Exception as error:
            logger.warning("lease release failed", error=str(error))
