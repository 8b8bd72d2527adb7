"""Short-lived in-process copies of rows that many requests read and few change.

A copy lives at most ``ttl_seconds``; the process that changes a row drops its copy once the
change commits. ``remember`` with a stale ``generation`` is ignored: a read that started before
a ``forget`` must not put back what the forget removed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import structlog
from cachetools import TTLCache

Key = TypeVar("Key")
Row = TypeVar("Row")

DEFAULT_MAX_ENTRIES = 10_000
# A copy this far into its lifetime is re-read in the background while it is still served.
REFRESH_AT_FRACTION_OF_TTL = 0.5
# How long closing waits for reads in flight (each has the database's own timeouts).
CLOSE_GRACE_SECONDS = 5.0

logger = structlog.get_logger("vantage.copies")


class Copies(Generic[Key, Row]):
    """Copies by key; a lifetime of 0 keeps nothing (every read goes to the database)."""

    def __init__(self, ttl_seconds: float, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        # Each copy is kept with the moment it was read (the cache's own clock).
        self._rows: TTLCache[Key, tuple[Row, float]] | None = (
            TTLCache(max_entries, ttl_seconds, timer=time.monotonic) if ttl_seconds > 0 else None
        )
        self.ttl_seconds = ttl_seconds
        self.generation = 0

    def get(self, key: Key) -> Row | None:
        copy = self._copy(key)
        return copy[0] if copy is not None else None

    def _copy(self, key: Key) -> tuple[Row, float] | None:
        return self._rows.get(key) if self._rows is not None else None

    def remember(self, key: Key, row: Row, generation: int) -> None:
        if self._rows is not None and generation == self.generation:
            self._rows[key] = (row, time.monotonic())

    def forget(self, key: Key) -> None:
        self.generation += 1
        if self._rows is not None:
            self._rows.pop(key, None)

    async def get_or_read(self, key: Key, read: Callable[[], Awaitable[Row | None]]) -> Row | None:
        """The copy of ``key``, else what ``read`` returns (kept unless forgotten meanwhile)."""
        row = self.get(key)
        if row is not None:
            return row
        generation = self.generation
        row = await read()
        if row is not None:
            self.remember(key, row, generation)
        return row


class SharedReadCopies(Copies[Key, Row]):
    """Copies whose reads stand alone (each opens its own session), so requests can share them.

    Requests that miss the same key together wait for one read instead of each making its own:
    when a busy credential's copy expired, every request of that moment used to queue for a
    database connection. A copy past half its lifetime is re-read in the background while it
    is still served, so a busy key never misses at all. Staleness stays bounded by the
    lifetime: a copy is never served longer than ``ttl_seconds`` after the read that made it.
    A read is shared only within one generation: a request that comes after a ``forget`` (a
    revocation that committed) never takes the result of a read that started before it.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        super().__init__(ttl_seconds, max_entries)
        self._reads: dict[Key, tuple[int, asyncio.Task[Row | None]]] = {}

    async def get_or_read(self, key: Key, read: Callable[[], Awaitable[Row | None]]) -> Row | None:
        copy = self._copy(key)
        if copy is not None:
            row, read_at = copy
            if time.monotonic() - read_at >= self.ttl_seconds * REFRESH_AT_FRACTION_OF_TTL:
                self._shared_read(key, read)
            return row
        # A caller that goes away must not cancel the read the others wait for.
        return await asyncio.shield(self._shared_read(key, read))

    def _shared_read(
        self, key: Key, read: Callable[[], Awaitable[Row | None]]
    ) -> asyncio.Task[Row | None]:
        in_flight = self._reads.get(key)
        if in_flight is not None and in_flight[0] == self.generation:
            return in_flight[1]
        generation = self.generation
        task = asyncio.create_task(self._read_and_keep(key, read, generation))
        task.add_done_callback(_log_failure)
        self._reads[key] = (generation, task)
        return task

    async def _read_and_keep(
        self, key: Key, read: Callable[[], Awaitable[Row | None]], generation: int
    ) -> Row | None:
        try:
            row = await read()
        finally:
            if self._reads.get(key, (None,))[0] == generation:
                del self._reads[key]
        if row is not None:
            self.remember(key, row, generation)
        elif generation == self.generation and self._rows is not None:
            self._rows.pop(key, None)  # the row is gone: the next request reads (and refuses)
        return row

    async def aclose(self, grace_seconds: float = CLOSE_GRACE_SECONDS) -> None:
        """Let the reads in flight finish, then cancel what is left (before the database goes).

        A read cancelled in the middle of a connect or a query leaves the driver (aiosqlite)
        closing its connection on its own thread after the caller has gone.
        """
        tasks = [task for _, task in self._reads.values()]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _log_failure(task: asyncio.Task[object]) -> None:
    # A background refresh has no caller to raise to; the copy simply expires on time.
    if not task.cancelled() and task.exception() is not None:
        logger.warning("copy refresh failed", error=repr(task.exception()))
