"""Reads that rebuild the live collectors from the database (on start and on lease takeover)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import DataWatermark
from vantage.packs.trading.domain.bars import HOUR, MINUTE, TRADE
from vantage.packs.trading.models import (
    Bar,
    Component,
    ExecutionDay,
    Fill,
    LogLine,
    Order,
    Position,
    StrategyDay,
    StrategyState,
)

PACK_NAME = "trading"
OPEN_STATUSES = ("submitted", "acknowledged", "partially_filled")


async def tenants_with_data(session: AsyncSession) -> list[int]:
    """Every tenant that ever ingested trading events."""
    rows = await session.scalars(
        select(DataWatermark.tenant_id).where(DataWatermark.pack == PACK_NAME)
    )
    return sorted(rows)


async def latest_bars(session: AsyncSession, tenant_id: int) -> Sequence[Any]:
    """The most recent hourly bar of every (symbol, metric): its ``last`` is the latest value."""
    newest = (
        select(Bar.symbol, Bar.metric, func.max(Bar.bucket_start).label("start"))
        .where(Bar.tenant_id == tenant_id, Bar.resolution == HOUR)
        .group_by(Bar.symbol, Bar.metric)
        .subquery()
    )
    query = select(Bar.symbol, Bar.metric, Bar.last, Bar.last_ts).join(
        newest,
        and_(
            Bar.tenant_id == tenant_id,
            Bar.resolution == HOUR,
            Bar.symbol == newest.c.symbol,
            Bar.metric == newest.c.metric,
            Bar.bucket_start == newest.c.start,
        ),
    )
    return (await session.execute(query)).all()


async def session_trade_bars(
    session: AsyncSession, tenant_id: int, start: datetime
) -> Sequence[Bar]:
    """Minute bars of trade prints since the session start, in time order."""
    query = (
        select(Bar)
        .where(
            Bar.tenant_id == tenant_id,
            Bar.resolution == MINUTE,
            Bar.metric == TRADE,
            Bar.bucket_start >= start,
        )
        .order_by(Bar.symbol, Bar.bucket_start)
    )
    return (await session.scalars(query)).all()


async def previous_closes(
    session: AsyncSession, tenant_id: int, start: datetime
) -> dict[str, float]:
    """The last trade price of each symbol before the session start."""
    newest = (
        select(Bar.symbol, func.max(Bar.bucket_start).label("start"))
        .where(
            Bar.tenant_id == tenant_id,
            Bar.resolution == MINUTE,
            Bar.metric == TRADE,
            Bar.bucket_start < start,
        )
        .group_by(Bar.symbol)
        .subquery()
    )
    query = select(Bar.symbol, Bar.last).join(
        newest,
        and_(
            Bar.tenant_id == tenant_id,
            Bar.resolution == MINUTE,
            Bar.metric == TRADE,
            Bar.symbol == newest.c.symbol,
            Bar.bucket_start == newest.c.start,
        ),
    )
    return {row.symbol: row.last for row in await session.execute(query)}


async def positions(session: AsyncSession, tenant_id: int) -> Sequence[Position]:
    query = select(Position).where(Position.tenant_id == tenant_id)
    return (await session.scalars(query)).all()


async def strategy_days(session: AsyncSession, tenant_id: int) -> Sequence[StrategyDay]:
    query = select(StrategyDay).where(StrategyDay.tenant_id == tenant_id)
    return (await session.scalars(query)).all()


async def closing_pnl_series(session: AsyncSession, tenant_id: int) -> Sequence[Any]:
    """Every closing fill's (strategy, realized P&L), in time order: the closed-trade curve."""
    query = (
        select(Fill.strategy, Fill.realized_pnl)
        .where(Fill.tenant_id == tenant_id, Fill.realized_pnl.is_not(None))
        .order_by(Fill.ts, Fill.id)
    )
    return (await session.execute(query)).all()


async def strategy_states(session: AsyncSession, tenant_id: int) -> Sequence[StrategyState]:
    query = select(StrategyState).where(StrategyState.tenant_id == tenant_id)
    return (await session.scalars(query)).all()


async def execution_day_totals(session: AsyncSession, tenant_id: int, day: date) -> Any:
    c = ExecutionDay
    query = select(
        func.coalesce(func.sum(c.orders), 0).label("orders"),
        func.coalesce(func.sum(c.filled_orders), 0).label("filled_orders"),
        func.coalesce(func.sum(c.cancelled_orders), 0).label("cancelled_orders"),
        func.coalesce(func.sum(c.rejected_orders), 0).label("rejected_orders"),
        func.coalesce(func.sum(c.fills), 0).label("fills"),
        func.coalesce(func.sum(c.ordered_qty), 0).label("ordered_qty"),
        func.coalesce(func.sum(c.filled_qty), 0).label("filled_qty"),
        func.coalesce(func.sum(c.slippage_qty), 0.0).label("slippage_qty"),
        func.coalesce(func.sum(c.slippage_bps_qty), 0.0).label("slippage_bps_qty"),
    ).where(c.tenant_id == tenant_id, c.day == day)
    return (await session.execute(query)).one()


async def open_order_counts(session: AsyncSession, tenant_id: int) -> dict[str, int]:
    query = (
        select(Order.status, func.count())
        .where(Order.tenant_id == tenant_id, Order.status.in_(OPEN_STATUSES))
        .group_by(Order.status)
    )
    return {status: int(count) for status, count in await session.execute(query)}


async def recent_latencies(session: AsyncSession, tenant_id: int, limit: int) -> list[float]:
    """First-fill latencies of the most recent orders, oldest first."""
    query = (
        select(Fill.latency_ms)
        .where(Fill.tenant_id == tenant_id, Fill.latency_ms.is_not(None))
        .order_by(Fill.ts.desc(), Fill.id.desc())
        .limit(limit)
    )
    values = [float(value) for value in await session.scalars(query) if value is not None]
    values.reverse()
    return values


async def components(session: AsyncSession, tenant_id: int) -> Sequence[Component]:
    query = select(Component).where(Component.tenant_id == tenant_id).order_by(Component.name)
    return (await session.scalars(query)).all()


async def recent_logs(session: AsyncSession, tenant_id: int, limit: int) -> Sequence[LogLine]:
    """The latest log lines, oldest first."""
    query = (
        select(LogLine)
        .where(LogLine.tenant_id == tenant_id)
        .order_by(LogLine.ts.desc(), LogLine.id.desc())
        .limit(limit)
    )
    lines = list((await session.scalars(query)).all())
    lines.reverse()
    return lines
