"""Portfolio ownership, and the weekly throughput behind forecasts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import insert_for
from vantage.packs.delivery.models import Ownership, PullRequest


async def save_ownership(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace the team and project of repositories and services."""
    for row in rows:
        statement = insert_for(session, Ownership).values(**row)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "kind", "name"],
                set_={"team": statement.excluded.team, "project": statement.excluded.project},
            )
        )


async def ownership(session: AsyncSession, tenant_id: int) -> Sequence[Any]:
    """Every ownership row of the tenant."""
    rows = await session.execute(
        select(Ownership.kind, Ownership.name, Ownership.team, Ownership.project)
        .where(Ownership.tenant_id == tenant_id)
        .order_by(Ownership.kind, Ownership.name)
    )
    return rows.all()


async def merge_times(
    session: AsyncSession,
    tenant_id: int,
    start: datetime,
    end: datetime,
    repository_ids: frozenset[int] | None,
) -> list[datetime]:
    """When the scope's pull requests merged in [start, end)."""
    query = select(PullRequest.merged_at).where(
        PullRequest.tenant_id == tenant_id,
        PullRequest.merged_at >= start,
        PullRequest.merged_at < end,
    )
    if repository_ids is not None:
        query = query.where(PullRequest.repository_id.in_(sorted(repository_ids)))
    return [row[0] for row in await session.execute(query) if row[0] is not None]
