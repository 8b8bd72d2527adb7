"""The trading runtime of one process: the ingest pipeline everywhere, the collectors under lease.

Every process ingests (HTTP, WebSocket, in-process) and feeds what it committed to the feed. The
process holding the lease rebuilds the collectors from the database, applies the feed in
version order, publishes a snapshot of every tenant on ``trading.metrics`` at ``snapshot_hz``,
trades on ``trading.trades`` and evaluates alerts (retention is a scheduled job). Others answer
``/metrics/current`` from the hub's latest value of ``trading.metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from vantage.core.auth.principal import Principal
from vantage.core.db import Database
from vantage.core.errors import ValidationFailed
from vantage.core.idempotency import IdempotencyStore
from vantage.core.packs import PackContext
from vantage.packs.trading import alerts as alert_service
from vantage.packs.trading.cancellation import raise_if_cancelling
from vantage.packs.trading.channels import (
    ALERTS_CHANNEL,
    METRICS_CHANNEL,
    HubPublisher,
    LocalPublisher,
    Publisher,
)
from vantage.packs.trading.collectors.engine import CollectorEngine, TenantCollectors
from vantage.packs.trading.collectors.snapshot import MetricsSnapshot
from vantage.packs.trading.collectors.system import HostSampler
from vantage.packs.trading.demo import demo_marker
from vantage.packs.trading.events import BatchShapeError, Event
from vantage.packs.trading.facts import AppliedBatch
from vantage.packs.trading.feed import Feed, LocalFeed, RedisFeed
from vantage.packs.trading.lease import LEASE_NAME, CollectorLease
from vantage.packs.trading.pipeline import IngestPipeline
from vantage.packs.trading.rebuild import rebuild_all, rebuild_tenant
from vantage.packs.trading.recorder import TradingRecorder
from vantage.packs.trading.schemas import ingest_response
from vantage.packs.trading.settings import TradingSettings
from vantage.packs.trading.simulator.engine import Simulator
from vantage.packs.trading.simulator.runner import run_live
from vantage.packs.trading.trades import publish_trades

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = structlog.get_logger("vantage.trading.runtime")

GAP_TIMEOUT_SECONDS = 2.0
SIMULATOR_TENANT_ID = 1
FEED_STOP_SECONDS = 2.0


class VersionGate:
    """Applies each tenant's batches once and in version order, holding early ones back."""

    def __init__(self) -> None:
        self.applied: dict[int, int] = {}
        self.pending: dict[int, dict[int, AppliedBatch]] = {}
        self.gap_since: dict[int, float] = {}

    def reset(self, tenant_id: int, version: int) -> None:
        self.applied[tenant_id] = version
        held = self.pending.get(tenant_id, {})
        for stale in [v for v in held if v <= version]:
            del held[stale]

    def admit(self, batch: AppliedBatch) -> list[AppliedBatch]:
        """The batches ready to apply now (this one and any it unblocked), in order."""
        tenant = batch.tenant_id
        current = self.applied.get(tenant, 0)
        if batch.version <= current:
            return []
        held = self.pending.setdefault(tenant, {})
        held[batch.version] = batch
        ready: list[AppliedBatch] = []
        while current + 1 in held:
            current += 1
            ready.append(held.pop(current))
        self.applied[tenant] = current
        if held:
            self.gap_since.setdefault(tenant, time.monotonic())
        else:
            self.gap_since.pop(tenant, None)
        return ready

    def stalled(self, timeout: float) -> list[int]:
        """Tenants waiting longer than ``timeout`` for a batch that may never come."""
        now = time.monotonic()
        return [tenant for tenant, since in self.gap_since.items() if now - since > timeout]


class TradingRuntime:
    def __init__(
        self,
        *,
        database: Database,
        settings: TradingSettings,
        publisher: Publisher,
        redis: Redis | None = None,
        data_dir: Path | None = None,
        lease_name: str = LEASE_NAME,
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
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._lead_forever(), name="trading-lead")

    async def stop(self) -> None:
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
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.lease.release())

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
        return self.engine.tenants.get(tenant_id)

    async def latest_snapshot_json(self, tenant_id: int) -> bytes | None:
        """The newest published snapshot (from the hub cache, so any process can answer)."""
        return await self.publisher.latest_json(tenant_id, METRICS_CHANNEL)


def runtime_for_app(context: PackContext, settings: TradingSettings) -> TradingRuntime:
    """The runtime of an application: publishing through its hub when it has one."""
    app = context.app
    hub = getattr(app.state, "hub", None)
    publisher: Publisher = HubPublisher(hub) if hub is not None else LocalPublisher()
    return TradingRuntime(
        database=context.database,
        settings=settings,
        publisher=publisher,
        redis=app.state.redis,
        data_dir=context.settings.data_dir,
    )
