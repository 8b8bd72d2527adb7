"""All SQL of leases: acquire-or-renew and release, each one atomic statement pair."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import insert_ignoring_conflict
from vantage.core.lease.models import LeaseRow


async def acquire(
    session: AsyncSession, name: str, holder: str, now: datetime, expires_at: datetime
) -> bool:
    """Take ``name`` for ``holder`` until ``expires_at``: when free, expired, or already ours."""
    created = await session.scalar(
        insert_ignoring_conflict(session, LeaseRow, ["name"])
        .values(name=name, holder=holder, acquired_at=now, expires_at=expires_at)
        .returning(LeaseRow.name)
    )
    if created is not None:
        return True
    # The condition is re-checked on the row itself, so of two racing takers only one wins.
    taken = await session.scalar(
        update(LeaseRow)
        .where(LeaseRow.name == name, or_(LeaseRow.holder == holder, LeaseRow.expires_at <= now))
        .values(
            holder=holder,
            expires_at=expires_at,
            acquired_at=case((LeaseRow.holder == holder, LeaseRow.acquired_at), else_=now),
        )
        .returning(LeaseRow.name)
        .execution_options(synchronize_session=False)
    )
    return taken is not None


async def release(session: AsyncSession, name: str, holder: str) -> bool:
    """Give ``name`` up, if ``holder`` still holds it."""
    released = await session.scalar(
        delete(LeaseRow)
        .where(LeaseRow.name == name, LeaseRow.holder == holder)
        .returning(LeaseRow.name)
        .execution_options(synchronize_session=False)
    )
    return released is not None


async def holder_of(session: AsyncSession, name: str, now: datetime) -> str | None:
    """Who holds ``name`` right now (None when free or expired)."""
    row = await session.scalar(select(LeaseRow).where(LeaseRow.name == name))
    if row is None or row.expires_at <= now:
        return None
    return row.holder
