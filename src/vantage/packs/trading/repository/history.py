"""SQL of bar history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.trading.domain.bars import BarStats
from vantage.packs.trading.models import Bar

StoredBar = tuple[str, str, datetime, BarStats]  # (symbol, metric, bucket_start, bar)


async def count_bars(
    session: AsyncSession,
    tenant_id: int,
    resolution: int,
    symbols: Sequence[str],
    metrics: Sequence[str],
    start: datetime,
    end: datetime,
) -> int:
    query = select(func.count()).where(
        Bar.tenant_id == tenant_id,
        Bar.resolution == resolution,
        Bar.symbol.in_(symbols),
        Bar.metric.in_(metrics),
        Bar.bucket_start >= start,
        Bar.bucket_start < end,
    )
    return int(await session.scalar(query) or 0)


async def bars_in_range(
    session: AsyncSession,
    tenant_id: int,
    resolution: int,
    symbols: Sequence[str],
    metrics: Sequence[str],
    start: datetime,
    end: datetime,
) -> list[StoredBar]:
    """Stored bars of one resolution whose bucket starts within [start, end), in time order."""
    query = (
        select(Bar)
        .where(
            Bar.tenant_id == tenant_id,
            Bar.resolution == resolution,
            Bar.symbol.in_(symbols),
            Bar.metric.in_(metrics),
            Bar.bucket_start >= start,
            Bar.bucket_start < end,
        )
        .order_by(Bar.symbol, Bar.metric, Bar.bucket_start)
    )
    return [
        (
            bar.symbol,
            bar.metric,
            bar.bucket_start,
            BarStats(
                bar.count,
                bar.sum,
                bar.min,
                bar.max,
                bar.first,
                bar.first_ts,
                bar.last,
                bar.last_ts,
                bar.sum_pq,
                bar.sum_q,
            ),
        )
        for bar in (await session.scalars(query)).all()
    ]
