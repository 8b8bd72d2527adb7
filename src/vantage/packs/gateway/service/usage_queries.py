"""Reading usage: the log with filters and keyset pages, and summaries from the daily rollup.

Summaries cover whole UTC days (the rollup's grain): a window starting or ending inside a day
counts that whole day.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.pagination import CursorCodec, Page, PageParams, page_of
from vantage.core.windows import TimeWindow
from vantage.packs.gateway.domain.pricing import from_nano
from vantage.packs.gateway.models import UsageEvent
from vantage.packs.gateway.repository.usage_reads import (
    RollupRow,
    rollup_summary,
    usage_page,
)
from vantage.packs.gateway.schemas import UsageRead, UsageTotals
from vantage.packs.gateway.usage.filters import UsageFilters

CURSOR_SCOPE = "gateway.usage:-created_at,-id"
MAX_GROUPS = 500


def usage_read(row: UsageEvent) -> UsageRead:
    return UsageRead(
        request_id=row.request_id,
        created_at=row.created_at,
        user_hash=row.user_hash,
        api_key_id=row.api_key_id,
        specialist_id=row.specialist_id,
        specialist_slug=row.specialist_slug,
        provider=row.provider,
        model=row.model,
        endpoint=row.endpoint,
        streamed=row.streamed,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cached_tokens=row.cached_tokens,
        cost_usd=None if row.cost_usd is None else Decimal(row.cost_usd).quantize(Decimal("1e-9")),
        unpriced=row.unpriced,
        estimated=row.estimated,
        latency_ms=row.latency_ms,
        ttft_ms=row.ttft_ms,
        status=row.status,
        error_code=row.error_code,
        attempts=row.attempts,
        session_id=row.session_id,
    )


async def list_usage(
    session: AsyncSession,
    tenant_id: int,
    filters: UsageFilters,
    page: PageParams,
    cursors: CursorCodec,
) -> Page[UsageRead]:
    """One page of the usage log, newest first."""
    after = cursors.decode(CURSOR_SCOPE, page.cursor) if page.cursor else None
    rows, total = await usage_page(
        session,
        tenant_id,
        filters,
        limit=page.limit,
        offset=page.offset,
        after=after,
        with_total=after is None,
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = (
        cursors.encode(CURSOR_SCOPE, [rows[-1].created_at, rows[-1].id]) if more and rows else None
    )
    return page_of([usage_read(r) for r in rows], page, total=total, next_cursor=next_cursor)


def _totals(key: str, row: RollupRow) -> UsageTotals:
    return UsageTotals(
        key=key,
        requests=row.requests,
        errors=row.errors,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cached_tokens=row.cached_tokens,
        cost_usd=from_nano(row.cost_nanousd),
        avg_latency_ms=round(row.latency_ms_sum / row.requests, 1) if row.requests else 0.0,
        estimated_requests=row.estimated_requests,
        unpriced_requests=row.unpriced_requests,
    )


def day_span(window: TimeWindow) -> tuple[date, date]:
    """The whole UTC days a window touches: [first, end)."""
    first = window.start.date()
    last = (window.end - timedelta(microseconds=1)).date()
    return first, last + timedelta(days=1)


async def summarize_usage(
    session: AsyncSession, tenant_id: int, window: TimeWindow, group_by: str
) -> tuple[UsageTotals, list[UsageTotals]]:
    """Totals and per-group totals from the daily rollup."""
    first, end = day_span(window)
    total, groups = await rollup_summary(session, tenant_id, first, end, group_by, limit=MAX_GROUPS)
    keyed = [
        _totals(str(row.key) if row.key not in (None, "") else "(none)", row) for row in groups
    ]
    return _totals("total", total), keyed
