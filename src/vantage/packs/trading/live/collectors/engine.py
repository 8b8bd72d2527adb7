"""One set of collectors per tenant, fed with committed batches, read as snapshots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from vantage.packs.trading.ingest.changes import AppliedBatch
from vantage.packs.trading.live.collectors.base import Collector
from vantage.packs.trading.live.collectors.breaker import CircuitBreaker
from vantage.packs.trading.live.collectors.execution import ExecutionCollector
from vantage.packs.trading.live.collectors.market import MarketCollector
from vantage.packs.trading.live.collectors.snapshot import HostSnapshot, MetricsSnapshot
from vantage.packs.trading.live.collectors.strategy import StrategyCollector
from vantage.packs.trading.live.collectors.system import SystemCollector
from vantage.packs.trading.settings import TradingSettings

T = TypeVar("T")


def _nothing() -> None:
    return None


def breaker_for(settings: TradingSettings) -> CircuitBreaker:
    """A collector's breaker, as the settings configure it."""
    return CircuitBreaker(
        settings.collector_breaker_failures,
        settings.collector_breaker_backoff_seconds,
        settings.collector_breaker_max_backoff_seconds,
    )


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
        self.settings = settings
        self.collectors: tuple[Collector, ...] = (
            self.market,
            self.strategy,
            self.execution,
            self.system,
        )
        for collector in self.collectors:
            collector.breaker = breaker_for(settings)
            collector.start()
        # The last snapshot part each collector gave: what a failing collector shows meanwhile.
        self.last_parts: dict[str, Any] = {}

    def day_of(self, ts: datetime) -> date:
        return ts.astimezone(self.zone).date()

    def apply(self, batch: AppliedBatch, now: datetime | None = None) -> None:
        """Fold one committed batch in."""
        today = self.day_of(now or datetime.now(UTC))
        self.market.guarded(lambda: self.market.apply_ticks(batch.ticks, today), _nothing)
        self.strategy.guarded(lambda: self._apply_strategy(batch, today), _nothing)
        self.execution.guarded(
            lambda: self.execution.apply(batch.orders, batch.fills, today), _nothing
        )
        self.system.guarded(lambda: self._apply_system(batch), _nothing)

    def _apply_strategy(self, batch: AppliedBatch, today: date) -> None:
        self.strategy.apply_fills(batch.fills, today)
        self.strategy.apply_updates(batch.strategy_updates)

    def _apply_system(self, batch: AppliedBatch) -> None:
        self.system.apply_heartbeats(batch.heartbeats)
        self.system.apply_logs(batch.logs)
        self.system.rate.add(batch.events)

    def roll_to(self, today: date) -> None:
        self.market.guarded(lambda: self.market.roll_to(today), _nothing)
        self.strategy.guarded(lambda: self.strategy.roll_to(today), _nothing)
        self.execution.guarded(lambda: self.execution.roll_to(today), _nothing)

    def _part(self, collector: Collector, build: Callable[[], T], empty: Callable[[], T]) -> T:
        def remembered() -> T:
            part = build()
            self.last_parts[collector.name] = part
            return part

        def last_or_empty() -> T:
            last: T | None = self.last_parts.get(collector.name)
            return last if last is not None else empty()

        return collector.guarded(remembered, last_or_empty)

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

        settings = self.settings
        return MetricsSnapshot(
            ts=now,
            sequence=self.sequence,
            session_day=today.isoformat(),
            market=self._part(market, market.snapshot, list),
            strategies=self._part(
                self.strategy, lambda: self.strategy.snapshot(mark_of, previous_close_of), list
            ),
            execution=self._part(
                self.execution,
                self.execution.snapshot,
                lambda: ExecutionCollector(self.day_of, settings.latency_window).snapshot(),
            ),
            system=self._part(
                self.system,
                lambda: self.system.snapshot(host, now),
                lambda: SystemCollector(
                    settings.recent_logs, settings.component_stale_seconds
                ).snapshot(host, now),
            ),
            collectors=[collector.report() for collector in self.collectors],
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
