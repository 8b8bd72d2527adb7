"""The trading runtime of one process: the ingest pipeline everywhere, the collectors under lease.

Every process ingests (HTTP, WebSocket, in-process) and feeds what it committed to the feed; the
process holding the lease keeps the collectors live (``live.leader``). Others answer
``/metrics/current`` from the hub's latest value of ``trading.metrics``.

The lifespan publishes the runtime with ``context.core.runtimes.set("trading", runtime)``;
handlers take it as ``TradingRuntimeDep``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends
from starlette.requests import HTTPConnection

from vantage.core.auth.principal import Principal
from vantage.core.context import core_of
from vantage.core.db import Database
from vantage.core.errors import ValidationFailed
from vantage.core.idempotency import IdempotencyStore
from vantage.core.packs import PackContext
from vantage.core.suppressed import SuppressedErrors, unregistered
from vantage.packs.trading.channels import EVENTS_CHANNEL, METRICS_CHANNEL, HubPublisher, Publisher
from vantage.packs.trading.ingest.events import BatchShapeError
from vantage.packs.trading.ingest.pipeline import IngestPipeline
from vantage.packs.trading.ingest.recorder import TradingRecorder
from vantage.packs.trading.live.collectors.engine import TenantCollectors
from vantage.packs.trading.live.collectors.system import HostSampler
from vantage.packs.trading.live.feed import Feed, LocalFeed, RedisFeed
from vantage.packs.trading.live.leader import CollectorLeader
from vantage.packs.trading.live.lease import LEASE_NAME, CollectorLease
from vantage.packs.trading.live.prometheus import TradingMetricsExporter
from vantage.packs.trading.live.version_gate import VersionGate
from vantage.packs.trading.schemas import ingest_response
from vantage.packs.trading.settings import TradingSettings

if TYPE_CHECKING:
    from redis.asyncio import Redis

PACK_NAME = "trading"
EVENTS_PATH = "/api/v1/trading/events"
# How long the collectors wait for a missing batch before rebuilding its tenant.
GAP_TIMEOUT_SECONDS = 2.0


class TradingRuntime:
    """What the trading pack holds for the life of one application."""

    def __init__(
        self,
        *,
        database: Database,
        settings: TradingSettings,
        publisher: Publisher,
        redis: Redis | None = None,
        data_dir: Path | None = None,
        lease_name: str = LEASE_NAME,
        suppressed_errors: SuppressedErrors | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.publisher = publisher
        prefix = settings.redis_key_prefix
        self.feed: Feed = (
            RedisFeed(redis, f"{prefix}trading:feed", settings.feed_max_length)
            if redis is not None
            else LocalFeed()
        )
        self.pipeline = IngestPipeline(database, settings, sink=self.feed.publish)
        self.idempotency = IdempotencyStore(
            database,
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
            lock=timedelta(seconds=settings.idempotency_lock_seconds),
        )
        data_dir = data_dir or Path.cwd()
        self.host = HostSampler(data_dir)
        # Without an application (tests, benchmarks) errors are counted in a registry of their own.
        self.suppressed_errors = suppressed_errors or unregistered()
        self.leader = CollectorLeader(
            database=database,
            settings=settings,
            publisher=publisher,
            feed=self.feed,
            lease=CollectorLease(database, settings.lease_ttl_seconds, lease_name),
            pipeline=self.pipeline,
            host=self.host,
            data_dir=data_dir,
            suppressed_errors=self.suppressed_errors,
            gap_timeout=GAP_TIMEOUT_SECONDS,
        )

    @property
    def leading(self) -> asyncio.Event:
        """Set while this process holds the lease and its collectors are live."""
        return self.leader.leading

    @property
    def gate(self) -> VersionGate:
        """The version gate of the collectors (what each tenant has applied so far)."""
        return self.leader.gate

    async def start(self) -> None:
        """Start competing for the collectors' lease."""
        await self.leader.start()

    async def stop(self) -> None:
        """Stop leading (if leading) and give the lease back."""
        await self.leader.stop()

    def collectors(self, tenant_id: int) -> TenantCollectors | None:
        """The live collectors of ``tenant_id`` while this process leads, else None."""
        return self.leader.collectors(tenant_id)

    async def handle_published_events(
        self, principal: Principal, channel: str, data: Any
    ) -> dict[str, Any]:
        """A WebSocket ``publish`` on ``trading.events``: the same ingest as the HTTP batch."""
        items = data.get("events") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise ValidationFailed.field(
                ("data", "events"), 'publish {"events": [...]} (or a list of events)'
            )
        try:
            parsed = self.pipeline.parse_items(items)
        except BatchShapeError as error:
            raise ValidationFailed.field(("data", "events"), str(error)) from error
        outcome = await self.pipeline.ingest(principal.tenant_id, parsed)
        return ingest_response(outcome).model_dump(mode="json")

    # -- reads for other code -----------------------------------------------------------------

    def recorder(self, tenant_id: int = 1, **options: Any) -> TradingRecorder:
        """An in-process recorder feeding this runtime's pipeline (start it, or use async with)."""
        return TradingRecorder(self.pipeline, tenant_id, **options)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[TradingRuntime]:
        """Run for the duration of the block (the application lifespan)."""
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    async def latest_snapshot_json(self, tenant_id: int) -> bytes | None:
        """The newest published snapshot (from the hub cache, so any process can answer)."""
        return await self.publisher.latest_json(tenant_id, METRICS_CHANNEL)


def runtime_for_app(context: PackContext, settings: TradingSettings) -> TradingRuntime:
    """The runtime of an application, publishing through its realtime hub."""
    core = context.core
    return TradingRuntime(
        database=core.database,
        settings=settings,
        publisher=HubPublisher(core.hub),
        redis=core.redis,
        data_dir=core.settings.data_dir,
        suppressed_errors=core.suppressed_errors,
    )


def trading_lifespan(
    settings_source: Callable[[], TradingSettings],
) -> Callable[[PackContext], AbstractAsyncContextManager[None]]:
    """The pack's lifespan; ``settings_source`` is asked when the application starts."""

    @asynccontextmanager
    async def lifespan(context: PackContext) -> AsyncIterator[None]:
        # Imported here: loading the runtime must not load the routes.
        from vantage.packs.trading.api.metrics import current_metrics_hot_read

        settings = settings_source()
        runtime = runtime_for_app(context, settings)
        core = context.core
        if EVENTS_PATH not in core.settings.max_body_bytes_by_path:
            # A full batch is megabytes; an explicit VANTAGE_MAX_BODY_BYTES_BY_PATH wins.
            core.body_limits.set_prefix(EVENTS_PATH, settings.max_batch_bytes)
        core.hub.handle_publishes(EVENTS_CHANNEL, runtime.handle_published_events)
        core.early_answers.register(current_metrics_hot_read(runtime))
        exporter = TradingMetricsExporter(lambda: runtime.leader.latest)
        core.metrics_registry.register(exporter)
        core.runtimes.set(PACK_NAME, runtime)
        try:
            async with runtime.running():
                yield
        finally:
            core.runtimes.remove(PACK_NAME)
            core.metrics_registry.unregister(exporter)

    return lifespan


# ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
async def runtime_of(connection: HTTPConnection) -> TradingRuntime:
    """The trading runtime of the application; 503 while the pack is not running."""
    return core_of(connection).runtimes.get(PACK_NAME, TradingRuntime)


TradingRuntimeDep = Annotated[TradingRuntime, Depends(runtime_of)]
