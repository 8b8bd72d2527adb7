"""Short-lived in-process copies of rows that many requests read and few change.

A copy lives at most ``ttl_seconds``; the process that changes a row drops its copy once the
change commits. ``remember`` with a stale ``generation`` is ignored: a read that started before
a ``forget`` must not put back what the forget removed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from cachetools import TTLCache

Key = TypeVar("Key")
Row = TypeVar("Row")

DEFAULT_MAX_ENTRIES = 10_000


class Copies(Generic[Key, Row]):
    """Copies by key; a lifetime of 0 keeps nothing (every read goes to the database)."""

    def __init__(self, ttl_seconds: float, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._rows: TTLCache[Key, Row] | None = (
            TTLCache(max_entries, ttl_seconds) if ttl_seconds > 0 else None
        )
        self.generation = 0

    def get(self, key: Key) -> Row | None:
        return self._rows.get(key) if self._rows is not None else None

    def remember(self, key: Key, row: Row, generation: int) -> None:
        if self._rows is not None and generation == self.generation:
            self._rows[key] = row

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
