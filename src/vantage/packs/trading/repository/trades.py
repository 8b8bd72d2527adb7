"""SQL of the trades routes: listing, detail, statistics and execution quality."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from vantage.core.repository import count_rows, keyset_after
from vantage.packs.trading.models import ExecutionDay, Fill, LatencyBucket, Order, StrategyDay

FILLS = Fill.__table__


@dataclass(frozen=True)
class TradeFilters:
    symbol: str | None = None
    side: str | None = None
    strategy: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def _filtered(tenant_id: int, filters: TradeFilters) -> Select[Any]:
    query = select(Fill).where(Fill.tenant_id == tenant_id)
    if filters.symbol is not None:
        query = query.where(Fill.symbol == filters.symbol)
    if filters.side is not None:
        query = query.where(Fill.side == filters.side)
    if filters.strategy is not None:
        query = query.where(Fill.strategy == filters.strategy)
    if filters.start is not None:
        query = query.where(Fill.ts >= filters.start)
    if filters.end is not None:
        query = query.where(Fill.ts < filters.end)
    return query


async def list_trades(
    session: AsyncSession,
    tenant_id: int,
    filters: TradeFilters,
    *,
    newest_first: bool,
    limit: int,
    offset: int,
    after: Sequence[Any] | None,
    with_total: bool,
) -> tuple[list[Fill], int | None]:
    """One page of fills ordered by (ts, id); ``after`` continues a keyset position."""
    query = _filtered(tenant_id, filters)
    total = await count_rows(session, query) if with_total else None
    columns: list[ColumnElement[Any]] = [FILLS.c.ts, FILLS.c.id]
    if after is not None:
        query = query.where(keyset_after(columns, [newest_first, newest_first], list(after)))
    else:
        query = query.offset(offset)
    order = [column.desc() for column in columns] if newest_first else columns
    rows: Sequence[Fill] = (await session.scalars(query.order_by(*order).limit(limit))).all()
    return list(rows), total


async def fill_by_id(session: AsyncSession, tenant_id: int, fill_id: str) -> Fill | None:
    query = select(Fill).where(Fill.tenant_id == tenant_id, Fill.fill_id == fill_id)
    return (await session.scalars(query)).one_or_none()


async def order_by_ref(session: AsyncSession, tenant_id: int, order_ref: int) -> Order | None:
    query = select(Order).where(Order.tenant_id == tenant_id, Order.id == order_ref)
    return (await session.scalars(query)).one_or_none()


async def fills_of_order(session: AsyncSession, tenant_id: int, order_ref: int) -> list[Fill]:
    query = (
        select(Fill)
        .where(Fill.tenant_id == tenant_id, Fill.order_ref == order_ref)
        .order_by(Fill.ts, Fill.id)
    )
    return list((await session.scalars(query)).all())


async def strategy_day_rows(
    session: AsyncSession,
    tenant_id: int,
    first_day: date,
    last_day: date,
    strategy: str | None,
    symbol: str | None,
) -> Sequence[StrategyDay]:
    query = select(StrategyDay).where(
        StrategyDay.tenant_id == tenant_id,
        StrategyDay.day >= first_day,
        StrategyDay.day <= last_day,
    )
    if strategy is not None:
        query = query.where(StrategyDay.strategy == strategy)
    if symbol is not None:
        query = query.where(StrategyDay.symbol == symbol)
    return (await session.scalars(query.order_by(StrategyDay.day))).all()


async def closing_pnl(
    session: AsyncSession,
    tenant_id: int,
    start: datetime,
    end: datetime,
    strategy: str | None,
    symbol: str | None,
) -> Sequence[Any]:
    """(strategy, realized P&L) of closing fills in [start, end), in time order."""
    query = select(Fill.strategy, Fill.realized_pnl).where(
        Fill.tenant_id == tenant_id,
        Fill.realized_pnl.is_not(None),
        Fill.ts >= start,
        Fill.ts < end,
    )
    if strategy is not None:
        query = query.where(Fill.strategy == strategy)
    if symbol is not None:
        query = query.where(Fill.symbol == symbol)
    return (await session.execute(query.order_by(Fill.ts, Fill.id))).all()


async def execution_rows(
    session: AsyncSession,
    tenant_id: int,
    first_day: date,
    last_day: date,
    strategy: str | None,
    symbol: str | None,
) -> tuple[Sequence[ExecutionDay], Sequence[Any]]:
    """Daily execution rows and their latency buckets (day, strategy, symbol, bucket, count)."""
    rows = select(ExecutionDay).where(
        ExecutionDay.tenant_id == tenant_id,
        ExecutionDay.day >= first_day,
        ExecutionDay.day <= last_day,
    )
    buckets = select(
        LatencyBucket.strategy,
        LatencyBucket.symbol,
        LatencyBucket.bucket,
        func.sum(LatencyBucket.count).label("count"),
    ).where(
        LatencyBucket.tenant_id == tenant_id,
        LatencyBucket.day >= first_day,
        LatencyBucket.day <= last_day,
    )
    if strategy is not None:
        rows = rows.where(ExecutionDay.strategy == strategy)
        buckets = buckets.where(LatencyBucket.strategy == strategy)
    if symbol is not None:
        rows = rows.where(ExecutionDay.symbol == symbol)
        buckets = buckets.where(LatencyBucket.symbol == symbol)
    buckets = buckets.group_by(LatencyBucket.strategy, LatencyBucket.symbol, LatencyBucket.bucket)
    return (
        (await session.scalars(rows)).all(),
        (await session.execute(buckets)).all(),
    )
