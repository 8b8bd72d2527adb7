"""The in-process API: record events from a trading engine running next to Vantage.

``record()`` never waits: it validates the event and queues it. A background task writes the
queue in batches through the same ingest pipeline as the HTTP API (several batches in flight,
so validation of the next overlaps the database work of the current). ``await flush()`` waits
until everything recorded so far is stored.

Inside the server process use the runtime's ``recorder(tenant_id)``; from another process
open one on the same database (and Redis, so the server's collectors see the events)::

    async with TradingRecorder.open(database_url=..., redis_url=..., tenant_id=1) as recorder:
        recorder.tick("AAPL", bid=189.99, ask=190.01, last=190.0, size=100)
        await recorder.flush()
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from vantage.config import Settings
from vantage.core.db import Database
from vantage.packs.trading.ingest.events import (
    Event,
    EventError,
    FillEvent,
    Heartbeat,
    LogEvent,
    OrderEvent,
    OrderStatus,
    StrategyUpdate,
    Tick,
)
from vantage.packs.trading.ingest.pipeline import IngestPipeline
from vantage.packs.trading.settings import TradingSettings

KEPT_ERRORS = 1000


class BufferFull(RuntimeError):
    """More events are waiting than ``max_pending``: slow down, or ``await put()``."""


@dataclass
class RecorderStats:
    recorded: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    batches: int = 0
    version: int = 0  # the newest data version a stored batch produced


class TradingRecorder:
    def __init__(
        self,
        pipeline: IngestPipeline,
        tenant_id: int = 1,
        *,
        batch_size: int = 5000,
        flush_interval: float = 0.05,
        max_pending: int = 500_000,
        concurrency: int = 2,
    ) -> None:
        self.pipeline = pipeline
        self.tenant_id = tenant_id
        self.batch_size = min(batch_size, pipeline.settings.max_batch_events)
        self.flush_interval = flush_interval
        self.max_pending = max_pending
        self.stats = RecorderStats()
        self.errors: deque[EventError] = deque(maxlen=KEPT_ERRORS)
        self._queue: deque[Event] = deque()
        prefix = f"rec-{secrets.token_hex(4)}"
        self._ids = (f"{prefix}-{n}" for n in itertools.count(1))
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._failure: BaseException | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._drain_forever(), name="trading-recorder")

    async def close(self) -> None:
        """Store what is queued, then stop."""
        await self.flush()
        if self._task is not None:
            # Stopped by the flag: a cancel racing wait_for's own timeout can be lost.
            self._closing = True
            self._wake.set()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
            self._closing = False

    async def __aenter__(self) -> TradingRecorder:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- recording ----------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._queue)

    def record(self, event: Event) -> None:
        """Queue one validated event; raises BufferFull instead of growing without bound."""
        if self._failure is not None:
            raise RuntimeError("the recorder stopped after a storage error") from self._failure
        if len(self._queue) >= self.max_pending:
            self._room.clear()
            raise BufferFull(f"{len(self._queue)} events are waiting to be stored")
        self._queue.append(event)
        self.stats.recorded += 1
        if len(self._queue) >= self.batch_size:
            self._wake.set()

    async def put(self, event: Event) -> None:
        """Queue one event, waiting for room when the queue is full."""
        while len(self._queue) >= self.max_pending:
            self._room.clear()
            self._wake.set()
            await self._room.wait()
        self.record(event)

    def next_id(self) -> str:
        return next(self._ids)

    def tick(
        self,
        symbol: str,
        bid: float,
        ask: float,
        last: float | None = None,
        size: float = 0.0,
        *,
        ts: datetime | None = None,
        id: str | None = None,
    ) -> None:
        self.record(
            Tick(
                id=id or self.next_id(),
                ts=ts or datetime.now(UTC),
                symbol=symbol,
                bid=bid,
                ask=ask,
                last=last,
                size=size,
            )
        )

    def order(
        self,
        order_id: str,
        status: OrderStatus,
        *,
        ts: datetime | None = None,
        id: str | None = None,
        **terms: Any,
    ) -> None:
        self.record(
            OrderEvent(
                id=id or self.next_id(),
                ts=ts or datetime.now(UTC),
                order_id=order_id,
                status=status,
                **terms,
            )
        )

    def fill(
        self,
        order_id: str,
        qty: Decimal | str | float,
        price: Decimal | str | float,
        fee: Decimal | str | float = 0,
        *,
        ts: datetime | None = None,
        id: str | None = None,
    ) -> None:
        self.record(
            FillEvent(
                id=id or self.next_id(),
                ts=ts or datetime.now(UTC),
                order_id=order_id,
                qty=qty,  # type: ignore[arg-type]
                price=price,  # type: ignore[arg-type]
                fee=fee,  # type: ignore[arg-type]
            )
        )

    def strategy_update(self, strategy: str, *, ts: datetime | None = None, **state: Any) -> None:
        self.record(
            StrategyUpdate(
                id=self.next_id(), ts=ts or datetime.now(UTC), strategy=strategy, **state
            )
        )

    def log(self, level: str, component: str, message: str, **fields: Any) -> None:
        self.record(
            LogEvent(
                id=self.next_id(),
                ts=datetime.now(UTC),
                level=level,  # type: ignore[arg-type]
                component=component,
                message=message,
                fields=fields,
            )
        )

    def heartbeat(self, component: str, status: str = "ok", **details: Any) -> None:
        self.record(
            Heartbeat(
                id=self.next_id(),
                ts=datetime.now(UTC),
                component=component,
                status=status,  # type: ignore[arg-type]
                details=details,
            )
        )

    # -- storing ------------------------------------------------------------------------------

    async def flush(self) -> RecorderStats:
        """Wait until every event recorded so far is stored; returns the running totals."""
        while self._queue or self._in_flight:
            if self._queue:
                await self._send_next()
            elif self._in_flight:
                await asyncio.wait(set(self._in_flight))
        if self._failure is not None:
            raise RuntimeError("storing recorded events failed") from self._failure
        return self.stats

    async def _drain_forever(self) -> None:
        while not self._closing:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_interval)
            self._wake.clear()
            while self._queue:
                await self._send_next()

    async def _send_next(self) -> None:
        await self._slots.acquire()
        batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
        if not batch:  # another sender took them while this one waited for a slot
            self._slots.release()
            return
        if len(self._queue) < self.max_pending:
            self._room.set()
        task = asyncio.create_task(self._store(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _store(self, batch: list[Event]) -> None:
        try:
            outcome = await self.pipeline.ingest_events(self.tenant_id, batch)
        except Exception as error:  # kept and re-raised by flush(): nothing is lost silently
            self._failure = error
            return
        finally:
            self._slots.release()
        self.stats.batches += 1
        self.stats.accepted += outcome.accepted
        self.stats.duplicates += outcome.duplicates
        self.stats.refused += len(outcome.errors)
        if outcome.applied is not None:
            self.stats.version = max(self.stats.version, outcome.applied.version)
        self.errors.extend(outcome.errors)

    # -- standalone ---------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        *,
        database_url: str | None = None,
        redis_url: str | None = None,
        tenant_id: int = 1,
        settings: TradingSettings | None = None,
        **options: Any,
    ) -> AsyncIterator[TradingRecorder]:
        """A recorder in a process of its own, writing to the deployment's database."""
        from vantage.core.redis import create_redis
        from vantage.packs.trading.live.feed import LocalFeed, RedisFeed

        core = Settings(database_url=database_url) if database_url else Settings()
        trading = settings or TradingSettings()
        database = Database(core)
        redis_location = redis_url or core.redis_url
        redis = create_redis(redis_location) if redis_location else None
        feed = (
            RedisFeed(redis, f"{trading.redis_key_prefix}trading:feed", trading.feed_max_length)
            if redis is not None
            else LocalFeed()
        )
        recorder = cls(IngestPipeline(database, trading, sink=feed.publish), tenant_id, **options)
        try:
            async with recorder:
                yield recorder
        finally:
            if redis is not None:
                await redis.aclose()
            await database.dispose()
