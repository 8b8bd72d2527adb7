"""SQL of retention: delete what is older than each kind of data is kept."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.trading.models import (
    Alert,
    Bar,
    ExecutionDay,
    Fill,
    LatencyBucket,
    LogLine,
    Order,
    RawEvent,
    StrategyDay,
)

CLOSED_STATUSES = ("filled", "cancelled", "rejected")


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_raw_events(session: AsyncSession, before: datetime) -> int:
    return _count(await session.execute(delete(RawEvent).where(RawEvent.received_at < before)))


async def delete_bars(session: AsyncSession, resolution: int, before: datetime) -> int:
    statement = delete(Bar).where(Bar.resolution == resolution, Bar.bucket_start < before)
    return _count(await session.execute(statement))


async def delete_logs(session: AsyncSession, before: datetime) -> int:
    return _count(await session.execute(delete(LogLine).where(LogLine.ts < before)))


async def delete_trades(session: AsyncSession, before: datetime) -> int:
    """Closed orders submitted before the cutoff (their fills go with them), then older fills."""
    orders = await session.execute(
        delete(Order).where(Order.submitted_at < before, Order.status.in_(CLOSED_STATUSES))
    )
    fills = await session.execute(delete(Fill).where(Fill.ts < before))
    return _count(orders) + _count(fills)


async def delete_daily_rollups(session: AsyncSession, before: date) -> int:
    total = 0
    for model in (StrategyDay, ExecutionDay, LatencyBucket):
        total += _count(await session.execute(delete(model).where(model.day < before)))
    return total


async def delete_resolved_alerts(session: AsyncSession, before: datetime) -> int:
    statement = delete(Alert).where(Alert.status == "resolved", Alert.resolved_at < before)
    return _count(await session.execute(statement))
