"""SQL that reads usage: the filtered log (keyset pages) and rollup summaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from vantage.core.repository import SortColumn, count_rows, keyset_after
from vantage.packs.gateway.models import UsageDaily, UsageEvent
from vantage.packs.gateway.usage.filters import UsageFilters


def _usage_query(tenant_id: int, filters: UsageFilters) -> Select[Any]:
    where: list[ColumnElement[bool]] = [
        UsageEvent.tenant_id == tenant_id,
        UsageEvent.created_at >= filters.start,
        UsageEvent.created_at < filters.end,
    ]
    exact: dict[str, Any] = {
        "user_hash": filters.user_hash,
        "specialist_slug": filters.specialist,
        "provider": filters.provider,
        "model": filters.model,
        "status": filters.status,
        "endpoint": filters.endpoint,
        "estimated": filters.estimated,
        "api_key_id": filters.api_key_id,
    }
    where += [
        getattr(UsageEvent, name) == value for name, value in exact.items() if value is not None
    ]
    return select(UsageEvent).where(*where)


async def usage_page(
    session: AsyncSession,
    tenant_id: int,
    filters: UsageFilters,
    *,
    limit: int,
    offset: int,
    after: Sequence[Any] | None,
    with_total: bool,
) -> tuple[list[UsageEvent], int | None]:
    """Newest first; ``after`` is the (created_at, id) of the previous page's last row."""
    query = _usage_query(tenant_id, filters)
    total = await count_rows(session, query) if with_total else None
    query = query.order_by(UsageEvent.created_at.desc(), UsageEvent.id.desc())
    if after is not None:
        query = query.where(keyset_after(_KEYSET_COLUMNS, [True, True], list(after)))
    else:
        query = query.offset(offset)
    rows: list[UsageEvent] = list((await session.scalars(query.limit(limit + 1))).all())
    return rows, total


_KEYSET_COLUMNS: list[SortColumn] = [UsageEvent.created_at, UsageEvent.id]
GROUP_COLUMNS: dict[str, QueryableAttribute[Any]] = {
    "day": UsageDaily.day,
    "model": UsageDaily.model,
    "provider": UsageDaily.provider,
    "specialist": UsageDaily.specialist_slug,
    "user": UsageDaily.user_hash,
}


@dataclass(frozen=True)
class RollupRow:
    key: Any
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cost_nanousd: int
    latency_ms_sum: int
    estimated_requests: int
    unpriced_requests: int


def _sums() -> list[Any]:
    return [
        func.coalesce(func.sum(UsageDaily.requests), 0),
        func.coalesce(func.sum(UsageDaily.errors), 0),
        func.coalesce(func.sum(UsageDaily.input_tokens), 0),
        func.coalesce(func.sum(UsageDaily.output_tokens), 0),
        func.coalesce(func.sum(UsageDaily.cached_tokens), 0),
        func.coalesce(func.sum(UsageDaily.cost_nanousd), 0),
        func.coalesce(func.sum(UsageDaily.latency_ms_sum), 0),
        func.coalesce(func.sum(UsageDaily.estimated_requests), 0),
        func.coalesce(func.sum(UsageDaily.unpriced_requests), 0),
    ]


def _row(key: Any, values: Sequence[Any]) -> RollupRow:
    return RollupRow(key, *(int(v or 0) for v in values))


async def rollup_summary(
    session: AsyncSession,
    tenant_id: int,
    first_day: date,
    end_day: date,
    group_by: str,
    *,
    limit: int,
) -> tuple[RollupRow, list[RollupRow]]:
    """Totals over [first_day, end_day) and per group (largest cost first, days in order)."""
    where = [
        UsageDaily.tenant_id == tenant_id,
        UsageDaily.day >= first_day,
        UsageDaily.day < end_day,
    ]
    total = (await session.execute(select(*_sums()).where(*where))).one()
    column = GROUP_COLUMNS[group_by]
    order = (
        [column.asc()]
        if group_by == "day"
        else [
            func.sum(UsageDaily.cost_nanousd).desc(),
            func.sum(UsageDaily.requests).desc(),
            column.asc(),
        ]
    )
    rows = await session.execute(
        select(column, *_sums()).where(*where).group_by(column).order_by(*order).limit(limit)
    )
    return _row(None, total), [_row(row[0], row[1:]) for row in rows.all()]
