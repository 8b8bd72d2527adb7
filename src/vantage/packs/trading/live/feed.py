"""The feed from every ingesting process to the one that holds the collectors.

Embedded (one process): batches go straight to the consumer. With Redis: a stream (``XADD``
with an approximate ``MAXLEN``) that the lease holder reads. A batch lost between commit and
feed is not lost for good: the consumer sees the gap in versions and rebuilds from the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from vantage.packs.trading.ingest.changes import AppliedBatch, decode_batch, encode_batch
from vantage.packs.trading.live.cancellation import raise_if_cancelling

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = structlog.get_logger("vantage.trading.feed")

Handler = Callable[[AppliedBatch], Awaitable[None]]
READ_BLOCK_MS = 250  # below the Redis client's 1 s socket timeout; bounds the time to stop
READ_COUNT = 200


class Feed(Protocol):
    async def publish(self, batch: AppliedBatch) -> None: ...

    async def position(self) -> str:
        """Where a consumer that starts now should read from."""
        ...

    async def consume(self, start: str, handler: Handler, stopping: asyncio.Event) -> None:
        """Deliver every batch after ``start`` to ``handler`` until ``stopping`` is set."""
        ...


class LocalFeed:
    """In-process: publish hands the batch to the consumer's queue (dropped with none)."""

    def __init__(self, max_pending: int = 10_000) -> None:
        self._queue: asyncio.Queue[AppliedBatch] | None = None
        self._max_pending = max_pending

    async def publish(self, batch: AppliedBatch) -> None:
        queue = self._queue
        if queue is None:
            return  # nobody leads: the next leader rebuilds from the database
        try:
            queue.put_nowait(batch)
        except asyncio.QueueFull:
            # The consumer fell far behind; it will see a version gap and rebuild.
            logger.warning("local feed is full; dropping a batch", tenant_id=batch.tenant_id)

    async def position(self) -> str:
        self._queue = asyncio.Queue(self._max_pending)
        return "local"

    async def consume(self, start: str, handler: Handler, stopping: asyncio.Event) -> None:
        queue = self._queue
        if queue is None:
            queue = self._queue = asyncio.Queue(self._max_pending)
        stopped = asyncio.create_task(stopping.wait())
        try:
            while True:
                received = asyncio.create_task(queue.get())
                await asyncio.wait({received, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not received.done():
                    received.cancel()
                    return
                await handler(received.result())
        finally:
            stopped.cancel()
            self._queue = None


def _stream_entries(replies: Any) -> list[tuple[Any, list[tuple[Any, dict[Any, Any]]]]]:
    return list(replies or ())


class RedisFeed:
    """A Redis stream shared by every process; only the lease holder reads it."""

    def __init__(self, redis: Redis, key: str, max_length: int) -> None:
        self.redis = redis
        self.key = key
        self.max_length = max_length

    async def publish(self, batch: AppliedBatch) -> None:
        try:
            await self.redis.xadd(
                self.key, {"b": encode_batch(batch)}, maxlen=self.max_length, approximate=True
            )
        except Exception as error:  # the batch is committed; the consumer will rebuild
            logger.warning("feed publish failed", error=str(error), tenant_id=batch.tenant_id)

    async def position(self) -> str:
        newest = await self.redis.xrevrange(self.key, count=1)
        if not newest:
            return "0-0"
        entry_id = newest[0][0]
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def consume(self, start: str, handler: Handler, stopping: asyncio.Event) -> None:
        # Stopped by the flag, never by cancelling a blocked read: a cancel that lands inside
        # the client's blocking XREAD can leave it hanging.
        last = start
        while not stopping.is_set():
            try:
                replies = await self.redis.xread(
                    {self.key: last}, count=READ_COUNT, block=READ_BLOCK_MS
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:
                raise_if_cancelling()
                logger.warning("feed read failed; retrying", error=str(error))
                await asyncio.sleep(0.5)
                continue
            for _, entries in _stream_entries(replies):
                for entry_id, fields in entries:
                    last = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                    payload = fields.get(b"b") or fields.get("b")
                    if payload is None:
                        continue
                    try:
                        batch = decode_batch(payload)
                    except ValueError as error:
                        logger.warning("undecodable feed entry skipped", error=str(error))
                        continue
                    await handler(batch)
