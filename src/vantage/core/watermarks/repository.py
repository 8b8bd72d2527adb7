"""All SQL of the data watermarks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import insert_for
from vantage.core.watermarks.models import DataWatermark


async def advance(session: AsyncSession, tenant_id: int, pack: str, now: datetime) -> None:
    """Add one to the pack's watermark (creating it at 1)."""
    insert = insert_for(session, DataWatermark).values(
        tenant_id=tenant_id, pack=pack, version=1, updated_at=now
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[DataWatermark.tenant_id, DataWatermark.pack],
            set_={"version": DataWatermark.version + 1, "updated_at": now},
        )
    )


async def current(session: AsyncSession, tenant_id: int, pack: str) -> Row[int, datetime] | None:
    """The pack's version and update time, or None before its first ingest."""
    query = select(DataWatermark.version, DataWatermark.updated_at).where(
        DataWatermark.tenant_id == tenant_id, DataWatermark.pack == pack
    )
    return (await session.execute(query)).first()
