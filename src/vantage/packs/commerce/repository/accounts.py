"""Per-tenant commerce settings (the tenant's currency)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import utcnow
from vantage.core.watermarks import NO_DATA, DataWatermark, Watermark
from vantage.packs.commerce.models import CommerceSettingsRow


async def read_state(
    session: AsyncSession, tenant_id: int, pack: str
) -> tuple[Watermark, str | None]:
    """The pack's data watermark and the tenant's currency, in one round trip."""
    currency = (
        select(CommerceSettingsRow.currency)
        .where(CommerceSettingsRow.tenant_id == tenant_id)
        .scalar_subquery()
    )
    watermark = select(DataWatermark.version, DataWatermark.updated_at).where(
        DataWatermark.tenant_id == tenant_id, DataWatermark.pack == pack
    )
    row = (
        await session.execute(
            select(
                watermark.with_only_columns(DataWatermark.version).scalar_subquery(),
                watermark.with_only_columns(DataWatermark.updated_at).scalar_subquery(),
                currency,
            )
        )
    ).one()
    state = NO_DATA if row[0] is None else Watermark(version=row[0], updated_at=row[1])
    return state, row[2]


async def tenant_currency(session: AsyncSession, tenant_id: int) -> str | None:
    """The currency of the tenant's amounts, or None before its first order."""
    return await session.scalar(
        select(CommerceSettingsRow.currency).where(CommerceSettingsRow.tenant_id == tenant_id)
    )


async def set_tenant_currency(session: AsyncSession, tenant_id: int, currency: str) -> None:
    """Record the tenant's currency (once, with its first batch)."""
    now = utcnow()
    session.add(
        CommerceSettingsRow(tenant_id=tenant_id, currency=currency, created_at=now, updated_at=now)
    )
    await session.flush()
