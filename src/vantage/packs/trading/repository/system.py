"""SQL of the system routes: logs, and the counts behind the system statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.trading.domain.bars import MID, SECOND, TRADE
from vantage.packs.trading.models import Alert, Bar, ExecutionDay, LogLine, StrategyDay

LEVELS = ("debug", "info", "warning", "error", "critical")


async def logs(
    session: AsyncSession,
    tenant_id: int,
    *,
    min_level: str | None,
    component: str | None,
    since: datetime | None,
    limit: int,
) -> Sequence[LogLine]:
    """The newest log lines first."""
    query = select(LogLine).where(LogLine.tenant_id == tenant_id)
    if min_level is not None:
        query = query.where(LogLine.level.in_(LEVELS[LEVELS.index(min_level) :]))
    if component is not None:
        query = query.where(LogLine.component == component)
    if since is not None:
        query = query.where(LogLine.ts >= since)
    query = query.order_by(LogLine.ts.desc(), LogLine.id.desc()).limit(limit)
    return (await session.scalars(query)).all()


async def bar_counts(
    session: AsyncSession, tenant_id: int, resolution: int, start: datetime, end: datetime
) -> dict[str, int]:
    """Observations per metric (ticks, trade prints) in a window, from the bars."""
    query = (
        select(Bar.metric, func.coalesce(func.sum(Bar.count), 0))
        .where(
            Bar.tenant_id == tenant_id,
            Bar.resolution == resolution,
            Bar.metric.in_((MID, TRADE)),
            Bar.bucket_start >= start,
            Bar.bucket_start < end,
        )
        .group_by(Bar.metric)
    )
    return {metric: int(total) for metric, total in await session.execute(query)}


async def symbol_count(session: AsyncSession, tenant_id: int, start: datetime) -> int:
    query = select(func.count(func.distinct(Bar.symbol))).where(
        Bar.tenant_id == tenant_id, Bar.resolution != SECOND, Bar.bucket_start >= start
    )
    return int(await session.scalar(query) or 0)


async def order_and_fill_counts(
    session: AsyncSession, tenant_id: int, first: date, last: date
) -> tuple[int, int]:
    query = select(
        func.coalesce(func.sum(ExecutionDay.orders), 0),
        func.coalesce(func.sum(ExecutionDay.fills), 0),
    ).where(
        ExecutionDay.tenant_id == tenant_id, ExecutionDay.day >= first, ExecutionDay.day <= last
    )
    orders, fills = (await session.execute(query)).one()
    return int(orders), int(fills)


async def strategy_count(session: AsyncSession, tenant_id: int, first: date, last: date) -> int:
    query = select(func.count(func.distinct(StrategyDay.strategy))).where(
        StrategyDay.tenant_id == tenant_id, StrategyDay.day >= first, StrategyDay.day <= last
    )
    return int(await session.scalar(query) or 0)


async def log_levels(
    session: AsyncSession, tenant_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    query = (
        select(LogLine.level, func.count())
        .where(LogLine.tenant_id == tenant_id, LogLine.ts >= start, LogLine.ts < end)
        .group_by(LogLine.level)
    )
    return {level: int(count) for level, count in await session.execute(query)}


async def alert_statuses(session: AsyncSession, tenant_id: int) -> dict[str, int]:
    query = (
        select(Alert.status, func.count())
        .where(Alert.tenant_id == tenant_id)
        .group_by(Alert.status)
    )
    return {status: int(count) for status, count in await session.execute(query)}
