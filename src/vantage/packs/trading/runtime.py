"""The trading runtime of one process: the ingest pipeline everywhere, the collectors under lease.

Every process ingests (HTTP, WebSocket, in-process) and feeds what it committed to the feed. The
process holding the lease rebuilds the collectors from the database, applies the feed in
version order, publishes a snapshot of every tenant on ``trading.metrics`` at ``snapshot_hz``,
trades on ``trading.trades`` and evaluates alerts (retention is a scheduled job). Others answer
``/metrics/current`` from the hub's latest value of ``trading.metrics``.

The lifespan publishes the runtime with ``context.core.runtimes.set("trading", runtime)``;
handlers take it as ``TradingRuntimeDep``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import structlog
from fastapi import Depends
from prometheus_client import CollectorRegistry, Counter
from starlette.requests import HTTPConnection

from vantage.core.auth.principal import Principal
from vantage.core.context import core_of
from vantage.core.db import Database
from vantage.core.errors import ValidationFailed
from vantage.core.idempotency import IdempotencyStore
from vantage.core.packs import PackContext
from vantage.packs.trading.channels import (
    ALERTS_CHANNEL,
    EVENTS_CHANNEL,
    METRICS_CHANNEL,
    HubPublisher,
    Publisher,
)
from vantage.packs.trading.demo import demo_marker
from vantage.packs.trading.ingest.changes import AppliedBatch
from vantage.packs.trading.ingest.events import BatchShapeError, Event
from vantage.packs.trading.ingest.pipeline import IngestPipeline
from vantage.packs.trading.ingest.recorder import TradingRecorder
from vantage.packs.trading.live.cancellation import raise_if_cancelling
from vantage.packs.trading.live.collectors.engine import CollectorEngine, TenantCollectors
from vantage.packs.trading.live.collectors.snapshot import MetricsSnapshot
from vantage.packs.trading.live.collectors.system import HostSampler
from vantage.packs.trading.live.feed import Feed, LocalFeed, RedisFeed
from vantage.packs.trading.live.lease import LEASE_NAME, CollectorLease
from vantage.packs.trading.live.rebuild import rebuild_all, rebuild_tenant
from vantage.packs.trading.live.trade_messages import publish_trades
from vantage.packs.trading.live.version_gate import VersionGate
from vantage.packs.trading.schemas import ingest_response
from vantage.packs.trading.service import alerts as alert_service
from vantage.packs.trading.settings import TradingSettings
from vantage.packs.trading.simulator.engine import Simulator
from vantage.packs.trading.simulator.runner import run_live

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = structlog.get_logger("vantage.trading.runtime")

PACK_NAME = "trading"
EVENTS_PATH = "/api/v1/trading/events"
GAP_TIMEOUT_SECONDS = 2.0
SIMULATOR_TENANT_ID = 1
FEED_STOP_SECONDS = 2.0


def suppressed_errors_counter(registry: CollectorRegistry) -> Counter:
    """Errors the runtime logs and carries on after, by where they happened."""
    return Counter(
        "vantage_trading_suppressed_errors",
        "Errors the trading runtime logged and carried on after, by where they happened",
        ["where"],
        registry=registry,
    )


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
        metrics_registry: CollectorRegistry | None = None,
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
        self.lease = CollectorLease(database, settings.lease_ttl_seconds, lease_name)
        self.pipeline = IngestPipeline(database, settings, sink=self.feed.publish)
        self.idempotency = IdempotencyStore(
            database,
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
            lock=timedelta(seconds=settings.idempotency_lock_seconds),
        )
        self.engine = CollectorEngine(settings)
        self.data_dir = data_dir or Path.cwd()
        self.host = HostSampler(self.data_dir)
        self.gate = VersionGate()
        self.leading = asyncio.Event()
        self.latest: dict[int, MetricsSnapshot] = {}
        # Without an application (tests, benchmarks) the counter lives in a registry of its own.
        self.suppressed_errors = suppressed_errors_counter(metrics_registry or CollectorRegistry())
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start competing for the lease and, once held, leading."""
        self._task = asyncio.create_task(self._lead_forever(), name="trading-lead")

    async def stop(self) -> None:
        """Stop leading (if leading) and give the lease back."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _lead_forever(self) -> None:
        while True:
            await self.lease.acquire()
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception:
                raise_if_cancelling()
                logger.exception("trading leader failed; trying again")
                await asyncio.sleep(1.0)
            finally:
                self.leading.clear()
                await self._release_lease()

    async def _release_lease(self) -> None:
        try:
            await asyncio.shield(self.lease.release())
        except Exception:
            # Not fatal: an unreleased lease expires after its time to live.
            logger.warning("releasing the collector lease failed", exc_info=True)
            self.suppressed_errors.labels("lease_release").inc()

    async def _lead(self) -> None:
        # Renewal starts at once: a rebuild may take longer than the lease lives.
        holder = asyncio.create_task(self.lease.hold())
        tasks: list[asyncio.Task[None]] = []
        stopping = asyncio.Event()
        try:
            start = await self.feed.position()
            await self._rebuild()
            if holder.done():
                return
            self.leading.set()
            logger.info("trading collectors running", tenants=len(self.engine.tenants))
            tasks = [
                asyncio.create_task(self.feed.consume(start, self._on_batch, stopping)),
                asyncio.create_task(self._snapshot_loop()),
                asyncio.create_task(self._system_loop()),
            ]
            if self.simulating:
                tasks.append(asyncio.create_task(self._simulate(stopping)))
            done, _ = await asyncio.wait([holder, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for finished in done:
                error = finished.exception()
                if finished is not holder and error is not None:
                    raise error
        finally:
            stopping.set()
            if tasks:  # let the feed reader finish its read and leave on its own
                await asyncio.shield(asyncio.wait(tasks[:1], timeout=FEED_STOP_SECONDS))
            for task in [holder, *tasks]:
                task.cancel()
            await asyncio.gather(holder, *tasks, return_exceptions=True)

    async def _rebuild(self) -> None:
        self.engine = CollectorEngine(self.settings)
        self.gate = VersionGate()
        for tenant_id, (collectors, version) in (
            await rebuild_all(self.database, self.settings)
        ).items():
            self.engine.tenants[tenant_id] = collectors
            self.gate.reset(tenant_id, version)
        await asyncio.to_thread(self.host.sample)

    # -- feed ---------------------------------------------------------------------------------

    async def _on_batch(self, batch: AppliedBatch) -> None:
        for ready in self.gate.admit(batch):
            self.engine.apply(ready)
            await publish_trades(self.publisher, ready)

    async def _recover_stalled(self) -> None:
        for tenant_id in self.gate.stalled(GAP_TIMEOUT_SECONDS):
            logger.warning("feed gap; rebuilding tenant from the database", tenant_id=tenant_id)
            collectors, version = await rebuild_tenant(self.database, self.settings, tenant_id)
            self.engine.tenants[tenant_id] = collectors
            self.gate.reset(tenant_id, version)
            held = self.gate.pending.get(tenant_id, {})
            self.gate.gap_since.pop(tenant_id, None)
            for _, batch in sorted(held.items()):
                await self._on_batch(batch)

    # -- loops --------------------------------------------------------------------------------

    async def _every(self, period: float, step: Callable[[], Awaitable[None]]) -> None:
        """Run ``step`` on a fixed schedule (no drift); a slow step skips missed ticks."""
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                raise_if_cancelling()
                logger.exception("trading loop step failed", step=getattr(step, "__name__", "?"))
            due += period
            now = loop.time()
            if due < now:
                due = now + period - ((now - due) % period)
            await asyncio.sleep(due - now)

    async def _snapshot_loop(self) -> None:
        await self._every(1.0 / self.settings.snapshot_hz, self.publish_snapshots)

    async def publish_snapshots(self) -> None:
        """Snapshot every tenant and publish it on ``trading.metrics``."""
        now = datetime.now(UTC)
        for tenant_id, collectors in list(self.engine.tenants.items()):
            snapshot = collectors.snapshot(self.host.latest, now)
            self.latest[tenant_id] = snapshot
            await self.publisher.publish(tenant_id, METRICS_CHANNEL, snapshot)
        await self._recover_stalled()

    async def _system_loop(self) -> None:
        await self._every(self.settings.system_sample_seconds, self.check_system)

    async def check_system(self) -> None:
        """Sample the host, then raise and resolve every tenant's alerts."""
        await asyncio.to_thread(self.host.sample)
        now = datetime.now(UTC)
        conditions = {
            tenant_id: alert_service.evaluate(snapshot, self.settings)
            for tenant_id, snapshot in list(self.latest.items())
        }
        # Read first: most seconds nothing changes, and a write would take SQLite's lock. The
        # read also picks up acknowledgements other processes wrote.
        async with self.database.reader() as session:
            active = await alert_service.active_alerts(session, list(conditions))
        changing = []
        for tenant_id, wanted in conditions.items():
            if alert_service.needs_changes(active[tenant_id], wanted):
                changing.append(tenant_id)
            elif (collectors := self.engine.tenants.get(tenant_id)) is not None:
                collectors.system.alerts = active[tenant_id]
        published: list[tuple[int, alert_service.AlertChange]] = []
        if changing:
            async with self.database.transaction() as session:
                for tenant_id in changing:
                    changes, current = await alert_service.reconcile(
                        session, tenant_id, conditions[tenant_id], now
                    )
                    collectors = self.engine.tenants.get(tenant_id)
                    if collectors is not None:
                        collectors.system.alerts = current
                    published.extend((tenant_id, change) for change in changes)
        for tenant_id, change in published:
            await self.publisher.publish(
                tenant_id, ALERTS_CHANNEL, {"action": change.action, "alert": change.alert}
            )

    @property
    def simulating(self) -> bool:
        """The setting decides; unset, a data directory prepared by ``vantage demo`` does."""
        if self.settings.simulator is not None:
            return self.settings.simulator
        return demo_marker(self.data_dir).exists()

    async def _simulate(self, stopping: asyncio.Event) -> None:
        """The bundled simulator, run by the lease holder only (one per deployment)."""
        simulator = Simulator(
            self.settings.simulator_symbols,
            self.settings.simulator_seed,
            self.settings.simulator_ticks_per_second,
        )

        async def sink(events: list[Event]) -> None:
            await self.pipeline.ingest_events(SIMULATOR_TENANT_ID, events)

        logger.info("simulator running", symbols=self.settings.simulator_symbols)
        await run_live(simulator, sink, stopping)

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

    def collectors(self, tenant_id: int) -> TenantCollectors | None:
        """The live collectors of ``tenant_id`` while this process leads, else None."""
        return self.engine.tenants.get(tenant_id)

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
        metrics_registry=core.metrics_registry,
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
        core.runtimes.set(PACK_NAME, runtime)
        try:
            async with runtime.running():
                yield
        finally:
            core.runtimes.remove(PACK_NAME)
            core.metrics_registry.unregister(runtime.suppressed_errors)

    return lifespan


# ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
async def runtime_of(connection: HTTPConnection) -> TradingRuntime:
    """The trading runtime of the application; 503 while the pack is not running."""
    return core_of(connection).runtimes.get(PACK_NAME, TradingRuntime)


TradingRuntimeDep = Annotated[TradingRuntime, Depends(runtime_of)]
