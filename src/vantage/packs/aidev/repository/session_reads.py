"""Reading sessions: a filtered, keyset-paged list, one session with its requests, and the
per-developer session figures of the profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.repository import SortColumn, count_rows, keyset_after
from vantage.packs.aidev.models import Session, Trace
from vantage.packs.aidev.schemas import SessionFilters

SORT_COLUMNS: dict[str, SortColumn] = {
    "timestamp": Session.started_at,
    "cost": Session.cost_nano,
    "tokens": Session.tokens,
}


def _filtered(tenant_id: int, filters: SessionFilters) -> Select[Session]:
    query = select(Session).where(Session.tenant_id == tenant_id)
    if filters.developer is not None:
        query = query.where(Session.developer == filters.developer)
    if filters.repository is not None:
        query = query.where(Session.repository == filters.repository)
    if filters.start is not None:
        query = query.where(Session.started_at >= filters.start)
    if filters.end is not None:
        query = query.where(Session.started_at < filters.end)
    if filters.model is not None:
        used = select(Trace.session_id).where(
            Trace.tenant_id == tenant_id, Trace.model == filters.model
        )
        query = query.where(Session.id.in_(used))
    return query


async def session_page(
    session: AsyncSession,
    tenant_id: int,
    filters: SessionFilters,
    sort: tuple[str, bool],
    limit: int,
    after: list[Any] | None,
    offset: int,
) -> tuple[list[Session], int | None]:
    """One page of sessions (``limit`` + 1 fetched to see if more follow) and, on the first
    page, the total."""
    field, descending = sort
    column = SORT_COLUMNS[field]
    query = _filtered(tenant_id, filters)
    total = await count_rows(session, query) if after is None else None
    if after is not None:
        query = query.where(keyset_after([column, Session.id], [descending] * 2, after))
    order = [column.desc(), Session.id.desc()] if descending else [column.asc(), Session.id.asc()]
    rows = await session.scalars(query.order_by(*order).offset(offset).limit(limit + 1))
    return list(rows.all()), total


async def session_by_id(session: AsyncSession, tenant_id: int, session_id: int) -> Session | None:
    """The tenant's session with this id."""
    return await session.scalar(
        select(Session).where(Session.tenant_id == tenant_id, Session.id == session_id)
    )


async def requests_of(
    session: AsyncSession, tenant_id: int, session_id: int, limit: int
) -> list[Trace]:
    """The session's requests in time order (at most ``limit``)."""
    rows = await session.scalars(
        select(Trace)
        .where(Trace.tenant_id == tenant_id, Trace.session_id == session_id)
        .order_by(Trace.started_at, Trace.id)
        .limit(limit)
    )
    return list(rows.all())


async def repository_activity(
    session: AsyncSession, tenant_id: int, developer: str, start: datetime, end: datetime
) -> list[tuple[str, int, int, datetime]]:
    """(repository, sessions, requests, last active) of the developer's sessions in the window."""
    rows = await session.execute(
        select(
            func.coalesce(Session.repository, ""),
            func.count(),
            func.sum(Session.requests),
            func.max(Session.ended_at),
        )
        .where(
            Session.tenant_id == tenant_id,
            Session.developer == developer,
            Session.repository.is_not(None),
            Session.started_at >= start,
            Session.started_at < end,
        )
        .group_by(Session.repository)
        .order_by(func.sum(Session.requests).desc(), Session.repository)
        .limit(50)
    )
    return [(repo, int(n), int(r or 0), last) for repo, n, r, last in rows.all()]


async def sessions_of_developer(
    session: AsyncSession, tenant_id: int, developer: str, start: datetime, end: datetime
) -> list[tuple[datetime, int]]:
    """(start, requests) of each of the developer's sessions that began in the window."""
    rows = await session.execute(
        select(Session.started_at, Session.requests).where(
            Session.tenant_id == tenant_id,
            Session.developer == developer,
            Session.started_at >= start,
            Session.started_at < end,
        )
    )
    return [(started, int(requests)) for started, requests in rows.all()]
