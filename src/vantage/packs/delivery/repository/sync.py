"""REST sync cursors: per source and listing, the ETag and the newest change seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import insert_for
from vantage.packs.delivery.models import SyncCursor


async def cursor(
    session: AsyncSession, tenant_id: int, source_id: int, listing: str
) -> SyncCursor | None:
    """The cursor of one listing, if a sync finished it before."""
    return (
        await session.execute(
            select(SyncCursor).where(
                SyncCursor.tenant_id == tenant_id,
                SyncCursor.source_id == source_id,
                SyncCursor.listing == listing,
            )
        )
    ).scalar_one_or_none()


async def save_cursor(
    session: AsyncSession,
    tenant_id: int,
    source_id: int,
    listing: str,
    etag: str | None,
    since: datetime | None,
) -> None:
    """Remember where a listing's sync ended."""
    statement = insert_for(session, SyncCursor).values(
        tenant_id=tenant_id, source_id=source_id, listing=listing, etag=etag, since=since
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "source_id", "listing"],
            set_={"etag": statement.excluded.etag, "since": statement.excluded.since},
        )
    )
