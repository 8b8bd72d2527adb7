"""The usage writer: a bounded queue, batched inserts, a spool for outages, a drain on stop.

``submit`` never blocks a request and never drops a row: when the queue is full the row goes
straight to the spool file. A batch the database refuses is spooled whole; a replay loop feeds
spooled rows back once the database answers again. Inserts are idempotent by request id, so a
row written twice (a commit whose acknowledgement was lost, overlapping replays) is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge

from vantage.core.db import Database
from vantage.core.suppressed import SuppressedErrors
from vantage.packs.gateway.repository.usage_writes import insert_usage
from vantage.packs.gateway.usage.record import UsageRecord
from vantage.packs.gateway.usage.spool import UsageSpool

logger = structlog.get_logger("vantage.gateway.usage")
WRITE_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class WriterOptions:
    queue_size: int
    batch_size: int
    flush_interval: float
    drain_seconds: float
    replay_interval: float


class UsageMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.written = Counter(
            "vantage_gateway_usage_rows_written", "Usage rows stored", registry=registry
        )
        self.spooled = Counter(
            "vantage_gateway_usage_rows_spooled",
            "Usage rows written to the local spool",
            registry=registry,
        )
        self.replayed = Counter(
            "vantage_gateway_usage_rows_replayed",
            "Spooled usage rows fed back to the database",
            registry=registry,
        )
        self.queued = Gauge(
            "vantage_gateway_usage_queue_depth",
            "Usage rows waiting in memory",
            registry=registry,
            multiprocess_mode="livesum",
        )


class UsageWriter:
    """Owns the queue, the batching task and the replay task of one process."""

    def __init__(
        self,
        database: Database,
        spool: UsageSpool,
        options: WriterOptions,
        metrics: UsageMetrics,
        errors: SuppressedErrors,
    ) -> None:
        self._database = database
        self._spool = spool
        self._options = options
        self._metrics = metrics
        self._errors = errors
        self._queue: asyncio.Queue[UsageRecord] = asyncio.Queue(options.queue_size)
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._flush_now = asyncio.Event()
        self._overflowing = False  # warned that the queue is full; quiet until it drains
        self.database_ok = True
        # Called with the rows each transaction newly stored (the gateway's live feed).
        self.on_stored: Callable[[list[UsageRecord]], Awaitable[None]] | None = None

    def submit(self, record: UsageRecord) -> None:
        """Queue one row; spool it at once when the queue is full or the writer stopped."""
        if not self._closed:
            try:
                self._queue.put_nowait(record)
                self._idle.clear()
                return
            except asyncio.QueueFull:
                if not self._overflowing:  # once per episode, not once per row
                    self._overflowing = True
                    logger.warning(
                        "usage queue full; spooling rows until it drains",
                        queue_size=self._options.queue_size,
                    )
        self._spool.append([record])
        self._metrics.spooled.inc()

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._batch_loop(), name="gateway-usage-writer"),
            asyncio.create_task(self._replay_loop(), name="gateway-usage-replay"),
        ]

    async def _batch_loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            try:
                # Let a batch gather: one transaction per interval instead of one per request
                # (cut short by ``flush`` and ``close``).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._options.flush_interval):
                        await self._flush_now.wait()
                while len(batch) < self._options.batch_size and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                await self._store(batch)
            except asyncio.CancelledError:
                # Stopped mid-batch: the rows may or may not be committed; spooling them is
                # safe either way (the replay is idempotent), dropping them is not.
                self._spool.append(batch)
                self._metrics.spooled.inc(len(batch))
                raise
            if self._queue.empty():
                self._idle.set()
                self._overflowing = False

    async def _store(self, batch: Sequence[UsageRecord]) -> None:
        self._metrics.queued.set(self._queue.qsize())
        if not self.database_ok:
            # Known outage: spool at once; the replay loop probes the database.
            await self._to_spool(batch)
            return
        try:
            inserted = await self._write(batch)
        except Exception as error:  # every failure spools: a row is never dropped
            self._mark_down(error)
            await self._to_spool(batch)
            return
        self._metrics.written.inc(inserted)
        if not self.database_ok:
            logger.info("usage database reachable again")
        self.database_ok = True

    async def _write(self, batch: Sequence[UsageRecord]) -> int:
        async with asyncio.timeout(WRITE_TIMEOUT_SECONDS):
            async with self._database.transaction() as session:
                stored = await insert_usage(session, batch)
        if stored and self.on_stored is not None:
            # A live feed never fails the writer: the rows are stored whatever it does.
            with self._errors.passing_over(
                "gateway.usage.live_feed", "stored usage rows not published", rows=len(stored)
            ):
                await self.on_stored(stored)
        return len(stored)

    def _mark_down(self, error: BaseException) -> None:
        if self.database_ok:
            logger.warning(
                "usage rows go to the spool until the database answers",
                error=f"{type(error).__name__}: {error}"[:300],
            )
        self.database_ok = False

    async def _to_spool(self, batch: Sequence[UsageRecord]) -> None:
        await asyncio.to_thread(self._spool.append, batch)
        self._metrics.spooled.inc(len(batch))

    async def _replay_loop(self) -> None:
        while True:
            await asyncio.sleep(self._options.replay_interval)
            with self._errors.passing_over("gateway.usage.replay", "spooled usage replay failed"):
                await self.replay()

    async def replay(self) -> int:
        """Feed spooled segments (ours and orphans) to the database; returns rows sent."""
        await asyncio.to_thread(self._spool.seal)
        sent = 0
        while True:
            segment = await asyncio.to_thread(self._spool.claim)
            if segment is None:
                return sent
            try:
                for start in range(0, len(segment.records), self._options.batch_size):
                    chunk = segment.records[start : start + self._options.batch_size]
                    await self._write(chunk)
                    sent += len(chunk)
            except Exception as error:
                self._mark_down(error)
                segment.release()
                return sent
            segment.remove()
            self._metrics.replayed.inc(len(segment.records))
            self.database_ok = True
            logger.info("spooled usage replayed", rows=len(segment.records))

    async def flush(self, timeout: float = 10.0) -> None:
        """Store (or spool) every queued row now, and wait until that is done."""
        self._flush_now.set()
        try:
            async with asyncio.timeout(timeout):
                while not self._queue.empty() or not self._idle.is_set():
                    await self._idle.wait()
                    await asyncio.sleep(0)
        finally:
            if not self._closed:
                self._flush_now.clear()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def close(self) -> None:
        """Stop: store what is queued (within the drain budget), spool the rest, replay once."""
        self._closed = True
        batch_task, replay_task = self._tasks or (None, None)
        if replay_task is not None:
            replay_task.cancel()
        deadline = time.monotonic() + self._options.drain_seconds
        with contextlib.suppress(TimeoutError):
            await self.flush(timeout=max(self._options.drain_seconds, 0.01))
        if batch_task is not None:
            batch_task.cancel()
            with (
                contextlib.suppress(asyncio.CancelledError),
                self._errors.passing_over("gateway.usage.batch_loop", "usage batch loop failed"),
            ):
                await batch_task
        leftovers: list[UsageRecord] = []
        while not self._queue.empty():
            leftovers.append(self._queue.get_nowait())
        if leftovers:
            await self._to_spool(leftovers)
        if time.monotonic() < deadline:
            with self._errors.passing_over(
                "gateway.usage.replay_on_close", "spooled usage replay failed"
            ):
                async with asyncio.timeout(max(deadline - time.monotonic(), 0.01)):
                    await self.replay()
        self._spool.close()
