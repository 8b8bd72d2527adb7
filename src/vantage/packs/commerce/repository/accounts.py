"""Per-tenant commerce settings (the tenant's currency)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import utcnow
from vantage.packs.commerce.models import CommerceSettingsRow


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
