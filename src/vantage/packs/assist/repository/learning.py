"""SQL of the learning memory (every query filters by tenant)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.assist.models import LearningEntry


async def add_entry(session: AsyncSession, entry: LearningEntry) -> LearningEntry:
    """Store ``entry`` and give it its id."""
    session.add(entry)
    await session.flush()
    return entry


async def entry_by_id(session: AsyncSession, tenant_id: int, entry_id: int) -> LearningEntry | None:
    """One entry of the tenant."""
    statement = select(LearningEntry).where(
        LearningEntry.tenant_id == tenant_id, LearningEntry.id == entry_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def entries_by_ids(
    session: AsyncSession, tenant_id: int, ids: Sequence[int]
) -> dict[int, LearningEntry]:
    """The tenant's entries among ``ids``, by id."""
    if not ids:
        return {}
    statement = select(LearningEntry).where(
        LearningEntry.tenant_id == tenant_id, LearningEntry.id.in_(list(ids))
    )
    return {row.id: row for row in (await session.execute(statement)).scalars()}


async def list_entries(
    session: AsyncSession, tenant_id: int, outcome: str | None, limit: int, offset: int
) -> tuple[list[LearningEntry], int]:
    """A page of the tenant's entries, newest first, and how many there are in all."""
    conditions = [LearningEntry.tenant_id == tenant_id]
    if outcome is not None:
        conditions.append(LearningEntry.outcome == outcome)
    rows = await session.execute(
        select(LearningEntry)
        .where(*conditions)
        .order_by(LearningEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = await session.execute(
        select(func.count()).select_from(LearningEntry).where(*conditions)
    )
    return list(rows.scalars()), int(total.scalar_one())


async def count_recorded_by(session: AsyncSession, tenant_id: int, recorded_by: str) -> int:
    """How many of the tenant's entries ``recorded_by`` recorded."""
    total = await session.execute(
        select(func.count())
        .select_from(LearningEntry)
        .where(LearningEntry.tenant_id == tenant_id, LearningEntry.recorded_by == recorded_by)
    )
    return int(total.scalar_one())


async def texts_after(
    session: AsyncSession, tenant_id: int, after_id: int, limit: int
) -> list[tuple[int, str, str]]:
    """(id, question, sql) of the tenant's entries after ``after_id``, oldest first."""
    rows = await session.execute(
        select(LearningEntry.id, LearningEntry.question, LearningEntry.sql)
        .where(LearningEntry.tenant_id == tenant_id, LearningEntry.id > after_id)
        .order_by(LearningEntry.id)
        .limit(limit)
    )
    return [(int(row[0]), str(row[1]), str(row[2])) for row in rows]


async def counts_by_tenant(session: AsyncSession, tenant_id: int | None = None) -> dict[int, int]:
    """How many entries each tenant (or only ``tenant_id``) has."""
    query = select(LearningEntry.tenant_id, func.count()).group_by(LearningEntry.tenant_id)
    if tenant_id is not None:
        query = query.where(LearningEntry.tenant_id == tenant_id)
    rows = await session.execute(query)
    return {int(tenant): int(count) for tenant, count in rows.all()}
