"""Reads answered from the latest published snapshot: current metrics, symbols, summary,
host performance. Any process can answer them: the snapshot comes from the hub's cache."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from vantage.packs.trading.domain.ledger import ZERO
from vantage.packs.trading.live.collectors.engine import TenantCollectors
from vantage.packs.trading.live.collectors.snapshot import MetricsSnapshot
from vantage.packs.trading.schemas import MetricsSummary, SymbolsResponse, SystemPerformance

if TYPE_CHECKING:
    from vantage.packs.trading.runtime import TradingRuntime


def _empty_snapshot(runtime: TradingRuntime, tenant_id: int) -> MetricsSnapshot:
    # Nothing published for this tenant yet (no data, or the collectors are starting).
    empty = TenantCollectors(tenant_id, runtime.settings)
    return empty.snapshot(runtime.host.latest)


async def current_snapshot_json(runtime: TradingRuntime, tenant_id: int) -> bytes:
    """The latest snapshot as JSON; an empty one while none has been published."""
    latest = await runtime.latest_snapshot_json(tenant_id)
    if latest is not None:
        return latest
    return _empty_snapshot(runtime, tenant_id).model_dump_json().encode()


async def latest_snapshot(runtime: TradingRuntime, tenant_id: int) -> MetricsSnapshot | None:
    """The latest published snapshot, or None."""
    latest = await runtime.latest_snapshot_json(tenant_id)
    return MetricsSnapshot.model_validate_json(latest) if latest is not None else None


async def collectors_running(runtime: TradingRuntime, tenant_id: int) -> bool:
    """Whether the collectors run: this process leads, or a snapshot was published."""
    return runtime.leading.is_set() or (await runtime.latest_snapshot_json(tenant_id) is not None)


async def symbols(runtime: TradingRuntime, tenant_id: int) -> SymbolsResponse:
    """Every symbol's latest market figures."""
    snapshot = await latest_snapshot(runtime, tenant_id)
    if snapshot is None:
        return SymbolsResponse(data_as_of=None, symbols=[])
    return SymbolsResponse(data_as_of=snapshot.ts, symbols=snapshot.market)


async def summary(runtime: TradingRuntime, tenant_id: int) -> MetricsSummary:
    """Headline figures of the latest snapshot: P&L, execution, system."""
    snapshot = await latest_snapshot(runtime, tenant_id)
    if snapshot is None:
        snapshot = _empty_snapshot(runtime, tenant_id)
        data_as_of: datetime | None = None
    else:
        data_as_of = snapshot.ts
    strategies = snapshot.strategies
    execution = snapshot.execution
    return MetricsSummary(
        data_as_of=data_as_of,
        session_day=snapshot.session_day,
        symbols=len(snapshot.market),
        strategies=len(strategies),
        realized_pnl=sum((s.realized_pnl for s in strategies), ZERO),
        unrealized_pnl=sum((s.unrealized_pnl for s in strategies), ZERO),
        daily_pnl=sum((s.daily_pnl for s in strategies), ZERO),
        orders_submitted=execution.orders.submitted,
        open_orders=execution.orders.open,
        fill_rate=execution.fill_rate,
        slippage_bps=execution.slippage_bps,
        latency_p99_ms=execution.latency_ms.p99,
        system_status=snapshot.system.status,
        active_alerts=sum(1 for alert in snapshot.system.alerts if alert.status == "active"),
        events_per_second=snapshot.system.events_per_second,
    )


async def performance(runtime: TradingRuntime, tenant_id: int) -> SystemPerformance:
    """Host CPU, memory, disk and the ingest rate, from the latest snapshot."""
    latest = await runtime.latest_snapshot_json(tenant_id)
    if latest is None:
        return SystemPerformance(
            host=runtime.host.latest,
            events_per_second=0.0,
            events_total=0,
            snapshot_sequence=None,
            snapshot_hz=runtime.settings.snapshot_hz,
            data_as_of=None,
        )
    snapshot = MetricsSnapshot.model_validate_json(latest)
    return SystemPerformance(
        host=snapshot.system.host,
        events_per_second=snapshot.system.events_per_second,
        events_total=snapshot.system.events_total,
        snapshot_sequence=snapshot.sequence,
        snapshot_hz=runtime.settings.snapshot_hz,
        data_as_of=snapshot.ts,
    )
