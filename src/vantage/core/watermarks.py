"""Per-tenant, per-pack data watermarks: a counter bumped by every ingest commit.

Reads derive their ETag from the watermark, so an unchanged watermark proves an unchanged
answer without running the aggregation again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from vantage.core.copies import Copies
from vantage.core.db import Base, UTCDateTime, after_commit, utcnow, watermark_copies


class DataWatermark(Base):
    __tablename__ = "data_watermarks"

    tenant_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    pack: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


@dataclass(frozen=True)
class Watermark:
    version: int
    updated_at: datetime | None

    @property
    def token(self) -> str:
        return str(self.version)


NO_DATA = Watermark(version=0, updated_at=None)


def _upsert(dialect: str) -> Any:
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"no upsert for {dialect}")


async def bump_watermark(session: AsyncSession, tenant_id: int, pack: str) -> None:
    """Advance the pack's watermark inside the caller's (ingest) transaction."""
    now = utcnow()
    insert = _upsert(session.get_bind().dialect.name)(DataWatermark).values(
        tenant_id=tenant_id, pack=pack, version=1, updated_at=now
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[DataWatermark.tenant_id, DataWatermark.pack],
            set_={"version": DataWatermark.version + 1, "updated_at": now},
        )
    )
    copies = watermark_copies(session)
    if copies is not None:
        # This process's next conditional read sees the new watermark as soon as it commits.
        after_commit(session, partial(_forget, copies, (tenant_id, pack)))


async def _forget(copies: Copies[tuple[int, str], Any], key: tuple[int, str]) -> None:
    copies.forget(key)


async def read_watermark(session: AsyncSession, tenant_id: int, pack: str) -> Watermark:
    """The current watermark, or ``NO_DATA`` before the first ingest."""
    row = (
        await session.execute(
            select(DataWatermark.version, DataWatermark.updated_at).where(
                DataWatermark.tenant_id == tenant_id, DataWatermark.pack == pack
            )
        )
    ).first()
    return Watermark(version=row.version, updated_at=row.updated_at) if row else NO_DATA
