"""Sessions: the filtered list, one session with its requests, and a developer's profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.errors import NotFound
from vantage.core.pagination import CursorCodec, Page, PageParams, page_of
from vantage.core.sorting import SortKey
from vantage.core.windows import TimeWindow
from vantage.packs.aidev.models import Session, Trace
from vantage.packs.aidev.repository import reads, session_reads
from vantage.packs.aidev.schemas import (
    DeliveryLinks,
    LinkedCommitOut,
    LinkedPullRequestOut,
    ModelUsage,
    ProfileOut,
    ProfileTotals,
    RepositoryActivity,
    SessionDetail,
    SessionFilters,
    SessionRead,
    SessionsOnDate,
    TraceRead,
)
from vantage.packs.aidev.service.days import day_span
from vantage.packs.aidev.service.outcomes import developer_activity
from vantage.packs.gateway.service.pricing import from_nano

SORT_FIELDS = tuple(session_reads.SORT_COLUMNS)
MAX_REQUESTS_SHOWN = 500
TOP_MODELS = 10
DELIVERY_OFF = DeliveryLinks(
    status="unavailable",
    reason="pull request and commit data come from the delivery pack, which is not enabled",
)
NO_REPOSITORY = "the session names no repository, so nothing can be linked"


def session_read(row: Session) -> SessionRead:
    """The list form of a session row."""
    return SessionRead(
        id=row.id,
        session_key=row.session_key,
        developer=row.developer,
        repository=row.repository,
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration_seconds=(row.ended_at - row.started_at).total_seconds(),
        requests=row.requests,
        failed=row.failed,
        tokens=row.tokens,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd=from_nano(row.cost_nano),
        unpriced=row.unpriced,
        models=list(row.models),
    )


def _cursor_scope(key: SortKey) -> str:
    return f"aidev.sessions:{key}"


def _sort_value(row: Session, field: str) -> Any:
    return {"timestamp": row.started_at, "cost": row.cost_nano, "tokens": row.tokens}[field]


async def list_sessions(
    session: AsyncSession,
    tenant_id: int,
    filters: SessionFilters,
    sort: Sequence[SortKey],
    params: PageParams,
    cursors: CursorCodec,
) -> Page[SessionRead]:
    """A page of sessions in the requested order; ``next_cursor`` continues it."""
    key = sort[0]
    after = cursors.decode(_cursor_scope(key), params.cursor) if params.cursor else None
    offset = 0 if params.cursor else params.offset
    rows, total = await session_reads.session_page(
        session, tenant_id, filters, (key.field, key.descending), params.limit, after, offset
    )
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = cursors.encode(_cursor_scope(key), [_sort_value(last, key.field), last.id])
    return page_of(
        [session_read(row) for row in rows], params, total=total, next_cursor=next_cursor
    )


def _trace_read(row: Trace) -> TraceRead:
    return TraceRead(
        request_id=row.request_id,
        source=row.source,
        started_at=row.started_at,
        ended_at=row.ended_at,
        model=row.model,
        provider=row.provider,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd=None if row.cost_nano is None else from_nano(row.cost_nano),
        cost_source=row.cost_source,
        failed=row.failed,
        latency_ms=row.latency_ms,
        suggestions_shown=row.suggestions_shown,
        suggestions_accepted=row.suggestions_accepted,
        rating=row.rating,
    )


async def delivery_links(session: AsyncSession, tenant_id: int, row: Session) -> DeliveryLinks:
    """The pull requests and commits of the session's developer and repository in its window."""
    if row.repository is None:
        return DeliveryLinks(status="linked", reason=NO_REPOSITORY, pull_requests=[], commits=[])
    window = TimeWindow(row.started_at, row.ended_at)
    found = await developer_activity(session, tenant_id, row.developer, row.repository, window)
    return DeliveryLinks(
        status="linked",
        pull_requests=[LinkedPullRequestOut(**asdict(pr)) for pr in found.pull_requests],
        commits=[LinkedCommitOut(**asdict(commit)) for commit in found.commits],
    )


async def session_detail(
    session: AsyncSession, tenant_id: int, session_id: int, delivery: bool
) -> SessionDetail:
    """One session with its requests and, when ``delivery`` (the pack runs), its links;
    404 when the tenant has no such session."""
    row = await session_reads.session_by_id(session, tenant_id, session_id)
    if row is None:
        raise NotFound(f"no session {session_id}")
    requests = await session_reads.requests_of(
        session, tenant_id, session_id, MAX_REQUESTS_SHOWN + 1
    )
    return SessionDetail(
        **session_read(row).model_dump(),
        requests_detail=[_trace_read(trace) for trace in requests[:MAX_REQUESTS_SHOWN]],
        requests_truncated=len(requests) > MAX_REQUESTS_SHOWN,
        delivery=await delivery_links(session, tenant_id, row) if delivery else DELIVERY_OFF,
    )


def _sessions_by_date(starts: list[tuple[Any, int]]) -> list[SessionsOnDate]:
    by_date: dict[date, list[int]] = {}
    for started, requests in starts:
        counts = by_date.setdefault(started.date(), [0, 0])
        counts[0] += 1
        counts[1] += requests
    return [
        SessionsOnDate(date=day, sessions=count, requests=total)
        for day, (count, total) in sorted(by_date.items())
    ]


async def profile(
    session: AsyncSession, tenant_id: int, developer: str, window: TimeWindow
) -> ProfileOut:
    """A developer's totals, top models, active repositories and sessions per date."""
    start, end = day_span(window)
    days = await reads.daily_totals(session, tenant_id, start, end, developer)
    models = await reads.model_totals(session, tenant_id, start, end, developer)
    starts = await session_reads.sessions_of_developer(
        session, tenant_id, developer, window.start, window.end
    )
    repositories = await session_reads.repository_activity(
        session, tenant_id, developer, window.start, window.end
    )
    if not days and not starts:
        raise NotFound(f"no requests of developer {developer!r} in the window")
    return ProfileOut(
        developer=developer,
        window=window.out(),
        totals=ProfileTotals(
            requests=sum(d.requests for d in days),
            failed=sum(d.failed for d in days),
            tokens=sum(d.tokens for d in days),
            cost_usd=sum((d.cost_usd for d in days), Decimal(0)),
            unpriced=sum(d.unpriced for d in days),
            sessions=len(starts),
            active_days=len(days),
        ),
        top_models=[
            ModelUsage(model=m.model, requests=m.requests, tokens=m.tokens, cost_usd=m.cost_usd)
            for m in models[:TOP_MODELS]
        ],
        repositories=[
            RepositoryActivity(repository=r, sessions=n, requests=q, last_active_at=last)
            for r, n, q, last in repositories
        ],
        sessions_by_date=_sessions_by_date(starts),
    )
