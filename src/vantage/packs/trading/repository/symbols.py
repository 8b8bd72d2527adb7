"""SQL of the tracked symbols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.trading.models import TrackedSymbol


async def tracked(session: AsyncSession, tenant_id: int) -> Sequence[TrackedSymbol]:
    """The tenant's tracked symbols, alphabetically."""
    query = (
        select(TrackedSymbol)
        .where(TrackedSymbol.tenant_id == tenant_id)
        .order_by(TrackedSymbol.symbol)
    )
    return (await session.scalars(query)).all()


async def find(session: AsyncSession, tenant_id: int, symbol: str) -> TrackedSymbol | None:
    """One tracked symbol of the tenant, or None."""
    return await session.get(TrackedSymbol, (tenant_id, symbol))


async def add(
    session: AsyncSession, tenant_id: int, symbol: str, now: datetime, by: str | None
) -> TrackedSymbol:
    """Track ``symbol`` (the caller checked it is not tracked yet)."""
    row = TrackedSymbol(tenant_id=tenant_id, symbol=symbol, added_at=now, added_by=by)
    session.add(row)
    await session.flush()
    return row


async def remove(session: AsyncSession, tenant_id: int, symbol: str) -> bool:
    """Stop tracking ``symbol``; whether it was tracked."""
    result = await session.execute(
        delete(TrackedSymbol).where(
            TrackedSymbol.tenant_id == tenant_id, TrackedSymbol.symbol == symbol
        )
    )
    return bool(getattr(result, "rowcount", 0))
