"""Per-tenant, per-pack data watermarks: a counter bumped by every ingest commit.

Reads derive their ETag from the watermark, so an unchanged watermark proves an unchanged
answer without running the aggregation again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.copies import Copies
from vantage.core.db import after_commit, utcnow, watermark_copies
from vantage.core.watermarks import repository


@dataclass(frozen=True)
class Watermark:
    version: int
    updated_at: datetime | None

    @property
    def token(self) -> str:
        return str(self.version)


NO_DATA = Watermark(version=0, updated_at=None)


async def bump_watermark(session: AsyncSession, tenant_id: int, pack: str) -> None:
    """Advance the pack's watermark inside the caller's (ingest) transaction."""
    await repository.advance(session, tenant_id, pack, utcnow())
    copies = watermark_copies(session)
    if copies is not None:
        # This process's next conditional read sees the new watermark as soon as it commits.
        after_commit(session, partial(_forget, copies, (tenant_id, pack)))


async def _forget(copies: Copies[tuple[int, str], Any], key: tuple[int, str]) -> None:
    copies.forget(key)


async def read_watermark(session: AsyncSession, tenant_id: int, pack: str) -> Watermark:
    """The current watermark, or ``NO_DATA`` before the first ingest."""
    row = await repository.current(session, tenant_id, pack)
    return Watermark(version=row.version, updated_at=row.updated_at) if row else NO_DATA
