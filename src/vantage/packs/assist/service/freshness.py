"""The version of a tenant's assist data: every recording bumps it, conditional reads use it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import Watermark, bump_watermark, read_watermark

PACK_NAME = "assist"


async def data_changed(session: AsyncSession, tenant_id: int) -> None:
    """Mark the tenant's assist data as changed (inside the recording transaction)."""
    await bump_watermark(session, tenant_id, PACK_NAME)


async def data_version(session: AsyncSession, tenant_id: int) -> Watermark:
    """The tenant's current assist data version."""
    return await read_watermark(session, tenant_id, PACK_NAME)
