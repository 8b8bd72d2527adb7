"""Run a singleton (scheduler, reaper ...) once per deployment, under a renewed lease."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from vantage.core.db import Database, utcnow
from vantage.core.lease import repository

Clock = Callable[[], datetime]

logger = structlog.get_logger("vantage.lease")


class Lease:
    """A named lease in the database: one holder at a time; it lapses ``ttl`` after renewal."""

    def __init__(
        self, database: Database, name: str, holder: str, ttl: float, clock: Clock = utcnow
    ) -> None:
        self.database = database
        self.name = name
        self.holder = holder
        self.ttl = timedelta(seconds=ttl)
        self.clock = clock

    async def acquire(self) -> bool:
        """Take or renew the lease; False while another live holder has it."""
        now = self.clock()
        async with self.database.transaction() as session:
            return await repository.acquire(session, self.name, self.holder, now, now + self.ttl)

    async def release(self) -> None:
        """Give the lease up so a successor need not wait for it to expire."""
        async with self.database.transaction() as session:
            await repository.release(session, self.name, self.holder)

    async def holder_now(self) -> str | None:
        """The current holder of this lease, if any."""
        async with self.database.reader() as session:
            return await repository.holder_of(session, self.name, self.clock())


class LeasedLoop:
    """Every ``interval`` seconds: renew (or take) the lease, then run ``tick`` while holding it.

    Renewing at an interval well under the lease's time to live keeps it; a holder that dies
    stops renewing and another process takes over once the lease has expired.
    """

    def __init__(
        self, lease: Lease, tick: Callable[[], Awaitable[object]], interval: float
    ) -> None:
        if interval >= lease.ttl.total_seconds():
            raise ValueError("the renewal interval must be shorter than the lease's time to live")
        self.lease = lease
        self.tick = tick
        self.interval = interval
        self.held = False
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop in the background."""
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=f"lease:{self.lease.name}")

    async def stop(self) -> None:
        """Stop the loop and release the lease when held.

        A round in progress finishes first (its database calls have timeouts). Cancelled in
        the middle of a connect or a query, the driver (aiosqlite) finishes and closes the
        connection on its own thread after the caller has gone, and then fails to report
        back if the event loop has closed meanwhile.
        """
        if self._task is not None:
            self._stopping.set()
            await self._task
            self._task = None
        if self.held:
            self.held = False
            try:
                await self.lease.release()
            except Exception:
                logger.warning("lease release failed", lease=self.lease.name, exc_info=True)

    async def run_once(self) -> bool:
        """Renew or take the lease and, when held, tick once. Returns whether it was held."""
        try:
            held = await self.lease.acquire()
        except Exception:
            # A database hiccup must not kill the loop; the next round tries again.
            logger.warning("lease renewal failed", lease=self.lease.name, exc_info=True)
            held = False
        if held != self.held:
            logger.info("lease taken" if held else "lease lost", lease=self.lease.name)
            self.held = held
        if held:
            try:
                await self.tick()
            except Exception:
                logger.exception("leased task failed", lease=self.lease.name)
        return held

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)
