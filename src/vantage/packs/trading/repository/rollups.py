"""SQL of the rollups the ingest transaction maintains: bars and daily strategy and execution
results, merged into the stored rows (sums add, extremes and first/last are kept by rule).

Rows are merged in key order so two concurrent batches lock them in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, case
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import chunks, greatest, insert_for, least
from vantage.packs.trading.domain.bars import BarStats
from vantage.packs.trading.ingest.rows import (
    ExecutionDayDelta,
    ExecutionDayKey,
    LatencyKey,
    StrategyDayDelta,
    StrategyDayKey,
)
from vantage.packs.trading.models import Bar, ExecutionDay, LatencyBucket, StrategyDay

BarRowKey = tuple[int, str, str, datetime]  # (resolution, symbol, metric, bucket_start)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


BARS = _table(Bar)


async def _merge(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    keys: list[str],
    add: Sequence[str] = (),
    keep_greatest: Sequence[str] = (),
) -> None:
    if not rows:
        return
    statement = insert_for(session, table)
    excluded = statement.excluded
    set_: dict[str, Any] = {name: table.c[name] + excluded[name] for name in add}
    for name in keep_greatest:
        set_[name] = greatest(excluded[name], table.c[name])
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in keys], set_=set_
    )
    rows.sort(key=lambda row: tuple(row[name] for name in keys))
    for part in chunks(rows):
        await session.execute(upsert, part)


async def merge_bars(
    session: AsyncSession, tenant_id: int, bars: dict[BarRowKey, BarStats]
) -> None:
    """Merge bars into the stored ones (count/sum add, min/max, first/last by time)."""
    if not bars:
        return
    rows = [
        {
            "tenant_id": tenant_id,
            "resolution": resolution,
            "symbol": symbol,
            "metric": metric,
            "bucket_start": start,
            "count": bar.count,
            "sum": bar.sum,
            "min": bar.min,
            "max": bar.max,
            "first": bar.first,
            "first_ts": bar.first_ts,
            "last": bar.last,
            "last_ts": bar.last_ts,
            "sum_pq": bar.sum_pq,
            "sum_q": bar.sum_q,
        }
        for (resolution, symbol, metric, start), bar in bars.items()
    ]
    statement = insert_for(session, BARS)
    new = statement.excluded
    c = BARS.c
    earlier = new.first_ts < c.first_ts
    later = new.last_ts >= c.last_ts
    upsert = statement.on_conflict_do_update(
        index_elements=[c.tenant_id, c.resolution, c.symbol, c.metric, c.bucket_start],
        set_={
            "count": c.count + new.count,
            "sum": c.sum + new.sum,
            "min": least(new.min, c.min),
            "max": greatest(new.max, c.max),
            "first": case((earlier, new.first), else_=c.first),
            "first_ts": case((earlier, new.first_ts), else_=c.first_ts),
            "last": case((later, new.last), else_=c.last),
            "last_ts": case((later, new.last_ts), else_=c.last_ts),
            "sum_pq": c.sum_pq + new.sum_pq,
            "sum_q": c.sum_q + new.sum_q,
        },
    )
    rows.sort(key=lambda r: (r["resolution"], r["symbol"], r["metric"], r["bucket_start"]))
    for part in chunks(rows):
        await session.execute(upsert, part)


_STRATEGY_DAY_SUMS = (
    "realized_pnl",
    "fees",
    "fills",
    "volume",
    "notional",
    "net_qty",
    "net_cash",
    "closing_trades",
    "winning_trades",
    "gross_profit",
    "gross_loss",
)


async def merge_strategy_days(
    session: AsyncSession, tenant_id: int, deltas: dict[StrategyDayKey, StrategyDayDelta]
) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            "strategy": strategy,
            "day": day,
            "symbol": symbol,
            **{name: getattr(delta, name) for name in _STRATEGY_DAY_SUMS},
        }
        for (strategy, day, symbol), delta in deltas.items()
    ]
    await _merge(
        session,
        _table(StrategyDay),
        rows,
        ["tenant_id", "strategy", "day", "symbol"],
        add=_STRATEGY_DAY_SUMS,
    )


_EXECUTION_SUMS = (
    "orders",
    "ordered_qty",
    "filled_qty",
    "filled_notional",
    "fills",
    "filled_orders",
    "partial_orders",
    "cancelled_orders",
    "rejected_orders",
    "slippage_qty",
    "slippage_bps_qty",
    "latency_count",
    "latency_sum_ms",
)


async def merge_execution_days(
    session: AsyncSession,
    tenant_id: int,
    deltas: dict[ExecutionDayKey, ExecutionDayDelta],
    latency: dict[LatencyKey, int],
) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            "day": day,
            "strategy": strategy,
            "symbol": symbol,
            "latency_max_ms": delta.latency_max_ms,
            **{name: getattr(delta, name) for name in _EXECUTION_SUMS},
        }
        for (day, strategy, symbol), delta in deltas.items()
    ]
    await _merge(
        session,
        _table(ExecutionDay),
        rows,
        ["tenant_id", "day", "strategy", "symbol"],
        add=_EXECUTION_SUMS,
        keep_greatest=("latency_max_ms",),
    )
    bucket_rows = [
        {
            "tenant_id": tenant_id,
            "day": day,
            "strategy": strategy,
            "symbol": symbol,
            "bucket": bucket,
            "count": count,
        }
        for (day, strategy, symbol, bucket), count in latency.items()
    ]
    await _merge(
        session,
        _table(LatencyBucket),
        bucket_rows,
        ["tenant_id", "day", "strategy", "symbol", "bucket"],
        add=("count",),
    )
