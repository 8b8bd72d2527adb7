"""SQL for specialists (every query filters on the tenant)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import utcnow
from vantage.packs.gateway.models import Specialist


async def specialists_of_tenant(
    session: AsyncSession, tenant_id: int, *, limit: int, offset: int, include_inactive: bool
) -> tuple[Sequence[Specialist], int]:
    """One page of the tenant's specialists by slug, and how many there are."""
    where = [Specialist.tenant_id == tenant_id]
    if not include_inactive:
        where.append(Specialist.active.is_(True))
    rows = await session.scalars(
        select(Specialist).where(*where).order_by(Specialist.slug).limit(limit).offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(Specialist).where(*where))
    return rows.all(), int(total or 0)


async def specialist_by_id(
    session: AsyncSession, tenant_id: int, specialist_id: int
) -> Specialist | None:
    return await session.scalar(
        select(Specialist).where(Specialist.tenant_id == tenant_id, Specialist.id == specialist_id)
    )


async def specialist_by_slug(session: AsyncSession, tenant_id: int, slug: str) -> Specialist | None:
    return await session.scalar(
        select(Specialist).where(Specialist.tenant_id == tenant_id, Specialist.slug == slug)
    )


async def add_specialist(session: AsyncSession, specialist: Specialist) -> Specialist:
    session.add(specialist)
    await session.flush()
    return specialist


async def delete_specialist(session: AsyncSession, specialist: Specialist) -> None:
    await session.delete(specialist)
    await session.flush()


async def upsert_config_specialist(
    session: AsyncSession, tenant_id: int, values: dict[str, Any]
) -> Specialist:
    """Create or overwrite the file's specialist ``values['slug']`` (source ``config``)."""
    existing = await specialist_by_slug(session, tenant_id, values["slug"])
    if existing is None:
        return await add_specialist(
            session, Specialist(tenant_id=tenant_id, source="config", active=True, **values)
        )
    for name, value in values.items():
        setattr(existing, name, value)
    existing.source = "config"
    existing.active = True
    await session.flush()
    return existing


async def tenants_with_config_specialists(session: AsyncSession) -> list[int]:
    """Tenants that have active specialists declared by the config file."""
    rows = await session.scalars(
        select(Specialist.tenant_id)
        .where(Specialist.source == "config", Specialist.active.is_(True))
        .distinct()
    )
    return list(rows.all())


async def retire_config_specialists(
    session: AsyncSession, tenant_id: int, keep: Sequence[str]
) -> int:
    """Deactivate file-declared specialists the file no longer lists; returns how many."""
    result = await session.execute(
        update(Specialist)
        .where(
            Specialist.tenant_id == tenant_id,
            Specialist.source == "config",
            Specialist.active.is_(True),
            Specialist.slug.not_in(list(keep)),
        )
        .values(active=False, updated_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
