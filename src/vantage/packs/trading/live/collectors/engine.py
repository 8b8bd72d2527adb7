"""One set of collectors per tenant, fed with committed batches, read as snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime

from vantage.packs.trading.ingest.changes import AppliedBatch
from vantage.packs.trading.live.collectors.execution import ExecutionCollector
from vantage.packs.trading.live.collectors.market import MarketCollector
from vantage.packs.trading.live.collectors.snapshot import HostSnapshot, MetricsSnapshot
from vantage.packs.trading.live.collectors.strategy import StrategyCollector
from vantage.packs.trading.live.collectors.system import SystemCollector
from vantage.packs.trading.settings import TradingSettings


class TenantCollectors:
    """Market, strategy, execution and system state of one tenant."""

    def __init__(self, tenant_id: int, settings: TradingSettings) -> None:
        self.tenant_id = tenant_id
        self.zone = settings.zone
        self.market = MarketCollector(self.day_of, self.zone)
        self.strategy = StrategyCollector(self.day_of)
        self.execution = ExecutionCollector(self.day_of, settings.latency_window)
        self.system = SystemCollector(settings.recent_logs, settings.component_stale_seconds)
        self.sequence = 0

    def day_of(self, ts: datetime) -> date:
        return ts.astimezone(self.zone).date()

    def apply(self, batch: AppliedBatch, now: datetime | None = None) -> None:
        """Fold one committed batch in."""
        today = self.day_of(now or datetime.now(UTC))
        self.market.apply_ticks(batch.ticks, today)
        self.strategy.apply_fills(batch.fills, today)
        self.strategy.apply_updates(batch.strategy_updates)
        self.execution.apply(batch.orders, batch.fills, today)
        self.system.apply_heartbeats(batch.heartbeats)
        self.system.apply_logs(batch.logs)
        self.system.rate.add(batch.events)

    def roll_to(self, today: date) -> None:
        self.market.roll_to(today)
        self.strategy.roll_to(today)
        self.execution.roll_to(today)

    def snapshot(self, host: HostSnapshot, now: datetime | None = None) -> MetricsSnapshot:
        """Everything at this instant; each snapshot gets the next sequence number."""
        now = now or datetime.now(UTC)
        today = self.day_of(now)
        self.roll_to(today)
        self.sequence += 1
        market = self.market

        def mark_of(symbol: str) -> float | None:
            state = market.symbols.get(symbol)
            return state.mark if state is not None else None

        def previous_close_of(symbol: str) -> float | None:
            state = market.symbols.get(symbol)
            return state.previous_close if state is not None else None

        return MetricsSnapshot(
            ts=now,
            sequence=self.sequence,
            session_day=today.isoformat(),
            market=market.snapshot(),
            strategies=self.strategy.snapshot(mark_of, previous_close_of),
            execution=self.execution.snapshot(),
            system=self.system.snapshot(host, now),
        )


class CollectorEngine:
    """The collectors of every tenant this process is responsible for."""

    def __init__(self, settings: TradingSettings) -> None:
        self.settings = settings
        self.tenants: dict[int, TenantCollectors] = {}

    def tenant(self, tenant_id: int) -> TenantCollectors:
        held = self.tenants.get(tenant_id)
        if held is None:
            held = self.tenants[tenant_id] = TenantCollectors(tenant_id, self.settings)
        return held

    def apply(self, batch: AppliedBatch) -> None:
        self.tenant(batch.tenant_id).apply(batch)
