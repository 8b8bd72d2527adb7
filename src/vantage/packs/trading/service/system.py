"""Reads behind the system routes: health, components, logs, statistics and alerts."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.windows import TimeWindow
from vantage.packs.trading.domain.bars import HOUR, MID, MINUTE, TRADE
from vantage.packs.trading.live.collectors.snapshot import ComponentSnapshot
from vantage.packs.trading.live.collectors.system import (
    SEVERITY_STATUS,
    STATUS_RANK,
    ComponentState,
    component_health,
    parse_details,
)
from vantage.packs.trading.repository import alerts as alert_repo
from vantage.packs.trading.repository import live as live_repo
from vantage.packs.trading.repository import system as repo
from vantage.packs.trading.schemas import (
    AlertsResponse,
    ComponentsResponse,
    LogOut,
    LogsResponse,
    SystemHealth,
    SystemStats,
)
from vantage.packs.trading.service.alerts import alert_snapshot
from vantage.packs.trading.service.trades import session_days
from vantage.packs.trading.settings import TradingSettings

MINUTE_BARS_UP_TO_DAYS = 30


async def components(
    session: AsyncSession, tenant_id: int, settings: TradingSettings, now: datetime
) -> ComponentsResponse:
    """Every component with its status from its latest heartbeat."""
    found = []
    for row in await live_repo.components(session, tenant_id):
        state = ComponentState(
            row.name,
            row.reported_status,
            row.last_heartbeat_at,
            int(row.heartbeats),
            row.interval_seconds,
            parse_details(row.details),
        )
        status, stale = component_health(state, now, settings.component_stale_seconds)
        found.append(
            ComponentSnapshot(
                name=row.name,
                status=status,
                reported_status=row.reported_status,
                stale=stale,
                last_heartbeat_at=row.last_heartbeat_at,
                seconds_since_heartbeat=round((now - row.last_heartbeat_at).total_seconds(), 3),
                heartbeats=int(row.heartbeats),
                details=state.details,
            )
        )
    return ComponentsResponse(checked_at=now, components=found)


async def health(
    session: AsyncSession,
    tenant_id: int,
    settings: TradingSettings,
    now: datetime,
    collectors_running: bool,
) -> SystemHealth:
    """The overall status: components, active alerts, whether the collectors run."""
    listed = await components(session, tenant_id, settings, now)
    active = [alert_snapshot(a) for a in await alert_repo.active_alerts(session, tenant_id)]
    ranks = [STATUS_RANK[c.status] for c in listed.components]
    ranks += [STATUS_RANK[SEVERITY_STATUS.get(a.severity, "degraded")] for a in active]
    worst = max(ranks, default=0)
    return SystemHealth(
        status=next(name for name, rank in STATUS_RANK.items() if rank == worst),
        checked_at=now,
        components=listed.components,
        active_alerts=active,
        collectors_running=collectors_running,
    )


async def recent_logs(
    session: AsyncSession,
    tenant_id: int,
    *,
    min_level: str | None,
    component: str | None,
    since: datetime | None,
    limit: int,
) -> LogsResponse:
    """Recent log lines, newest first, at ``min_level`` and above."""
    lines = await repo.logs(
        session, tenant_id, min_level=min_level, component=component, since=since, limit=limit
    )
    return LogsResponse(
        data=[
            LogOut(
                id=line.id,
                ts=line.ts,
                level=line.level,
                component=line.component,
                message=line.message,
                fields=json.loads(line.fields) if line.fields else {},
            )
            for line in lines
        ]
    )


async def stats(
    session: AsyncSession,
    tenant_id: int,
    window: TimeWindow,
    settings: TradingSettings,
    now: datetime,
) -> SystemStats:
    """Counts over the window: quotes and trade prints from bars, orders from rollups."""
    first, last, _ = session_days(window, settings.zone)
    resolution = MINUTE if window.days <= MINUTE_BARS_UP_TO_DAYS else HOUR
    counts = await repo.bar_counts(session, tenant_id, resolution, window.start, window.end)
    orders, fills = await repo.order_and_fill_counts(session, tenant_id, first, last)
    component_rows = await components(session, tenant_id, settings, now)
    by_status: dict[str, int] = {}
    for component in component_rows.components:
        by_status[component.status] = by_status.get(component.status, 0) + 1
    return SystemStats(
        window=window.out(),
        ticks=counts.get(MID, 0),
        trade_prints=counts.get(TRADE, 0),
        orders=orders,
        fills=fills,
        logs_by_level=await repo.log_levels(session, tenant_id, window.start, window.end),
        components_by_status=by_status,
        alerts_by_status=await repo.alert_statuses(session, tenant_id),
        symbols=await repo.symbol_count(session, tenant_id, window.start),
        strategies=await repo.strategy_count(session, tenant_id, first, last),
    )


async def list_alerts(
    session: AsyncSession, tenant_id: int, status: str | None, limit: int
) -> AlertsResponse:
    """Alerts, newest first, optionally of one status."""
    alerts = await alert_repo.list_alerts(session, tenant_id, status, limit)
    return AlertsResponse(data=[alert_snapshot(alert) for alert in alerts])
