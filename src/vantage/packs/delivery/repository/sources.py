"""Sources (GitHub and others) and their webhook secrets."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.delivery.models import Source


async def add(session: AsyncSession, source: Source) -> Source:
    """Insert ``source`` and return it with its id."""
    session.add(source)
    await session.flush()
    return source


async def get(session: AsyncSession, tenant_id: int, source_id: int) -> Source | None:
    """The tenant's source, or None."""
    return (
        await session.execute(
            select(Source).where(Source.tenant_id == tenant_id, Source.id == source_id)
        )
    ).scalar_one_or_none()


async def get_for_webhook(session: AsyncSession, source_id: int) -> Source | None:
    """A source by id alone: the webhook URL names it, and its secret then proves the sender."""
    return (
        await session.execute(select(Source).where(Source.id == source_id))
    ).scalar_one_or_none()


async def name_taken(
    session: AsyncSession, tenant_id: int, name: str, except_id: int | None = None
) -> bool:
    """Whether another source of the tenant is called ``name``."""
    query = select(Source.id).where(Source.tenant_id == tenant_id, Source.name == name)
    if except_id is not None:
        query = query.where(Source.id != except_id)
    return (await session.execute(query.limit(1))).first() is not None


async def list_all(session: AsyncSession, tenant_id: int) -> Sequence[Source]:
    """The tenant's sources by id."""
    rows = await session.execute(
        select(Source).where(Source.tenant_id == tenant_id).order_by(Source.id)
    )
    return rows.scalars().all()


async def remove(session: AsyncSession, tenant_id: int, source_id: int) -> bool:
    """Delete the tenant's source (and its deliveries); whether it existed."""
    result = await session.execute(
        delete(Source).where(Source.tenant_id == tenant_id, Source.id == source_id)
    )
    return bool(getattr(result, "rowcount", 0))
