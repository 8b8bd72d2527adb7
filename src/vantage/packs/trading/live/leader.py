"""The lease holder's work: the collectors of every tenant, kept live and published.

The process holding the lease rebuilds the collectors from the database, applies the feed in
version order, publishes a snapshot of every tenant on ``trading.metrics`` at ``snapshot_hz``,
trades on ``trading.trades``, evaluates alerts and, when enabled, runs the simulator. When it
loses the lease it stops all of that and competes for the lease again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import structlog

from vantage.core.db import Database
from vantage.core.suppressed import SuppressedErrors
from vantage.packs.trading.channels import ALERTS_CHANNEL, METRICS_CHANNEL, Publisher
from vantage.packs.trading.demo import demo_marker
from vantage.packs.trading.ingest.changes import AppliedBatch
from vantage.packs.trading.ingest.events import Event
from vantage.packs.trading.ingest.pipeline import IngestPipeline
from vantage.packs.trading.live.cancellation import raise_if_cancelling
from vantage.packs.trading.live.collectors.engine import CollectorEngine, TenantCollectors
from vantage.packs.trading.live.collectors.snapshot import MetricsSnapshot
from vantage.packs.trading.live.collectors.system import HostSampler
from vantage.packs.trading.live.feed import Feed
from vantage.packs.trading.live.lease import CollectorLease
from vantage.packs.trading.live.rebuild import rebuild_all, rebuild_tenant
from vantage.packs.trading.live.trade_messages import publish_trades
from vantage.packs.trading.live.version_gate import VersionGate
from vantage.packs.trading.service import alerts as alert_service
from vantage.packs.trading.settings import TradingSettings
from vantage.packs.trading.simulator.engine import Simulator
from vantage.packs.trading.simulator.runner import run_live

logger = structlog.get_logger("vantage.trading.runtime")

SIMULATOR_TENANT_ID = 1
FEED_STOP_SECONDS = 2.0


class CollectorLeader:
    """Competes for the collectors' lease and, while holding it, keeps the collectors live."""

    def __init__(
        self,
        *,
        database: Database,
        settings: TradingSettings,
        publisher: Publisher,
        feed: Feed,
        lease: CollectorLease,
        pipeline: IngestPipeline,
        host: HostSampler,
        data_dir: Path,
        suppressed_errors: SuppressedErrors,
        gap_timeout: float,
    ) -> None:
        self.database = database
        self.settings = settings
        self.publisher = publisher
        self.feed = feed
        self.lease = lease
        self.pipeline = pipeline
        self.host = host
        self.data_dir = data_dir
        self.suppressed_errors = suppressed_errors
        self.gap_timeout = gap_timeout
        self.engine = CollectorEngine(settings)
        self.gate = VersionGate()
        self.leading = asyncio.Event()
        self.latest: dict[int, MetricsSnapshot] = {}
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
        # Not fatal: an unreleased lease expires after its time to live.
        with self.suppressed_errors.passing_over(
            "trading.lease_release", "releasing the collector lease failed", logger=logger
        ):
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
        # Trades go out as their batch arrives, not when the gate applies it: a batch that the
        # rebuild already counted, or one held behind a gap that a rebuild then covers, is
        # never applied from the feed, yet its trades are still news to subscribers.
        await publish_trades(self.publisher, batch)
        self._apply(batch)

    def _apply(self, batch: AppliedBatch) -> None:
        for ready in self.gate.admit(batch):
            self.engine.apply(ready)

    async def _recover_stalled(self) -> None:
        for tenant_id in self.gate.stalled(self.gap_timeout):
            logger.warning("feed gap; rebuilding tenant from the database", tenant_id=tenant_id)
            collectors, version = await rebuild_tenant(self.database, self.settings, tenant_id)
            self.engine.tenants[tenant_id] = collectors
            self.gate.reset(tenant_id, version)
            held = self.gate.pending.get(tenant_id, {})
            self.gate.gap_since.pop(tenant_id, None)
            for _, batch in sorted(held.items()):
                self._apply(batch)  # its trades went out when it arrived

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

    def collectors(self, tenant_id: int) -> TenantCollectors | None:
        """The live collectors of ``tenant_id`` while this process leads, else None."""
        return self.engine.tenants.get(tenant_id)
