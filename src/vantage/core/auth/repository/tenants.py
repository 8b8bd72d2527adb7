"""SQL for tenants."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.models import DEFAULT_TENANT_SLUG, Tenant, User


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    return await session.scalar(select(Tenant).where(Tenant.slug == slug))


async def default_tenant(session: AsyncSession) -> Tenant:
    """The tenant of embedded mode (created by the first migration)."""
    tenant = await tenant_by_slug(session, DEFAULT_TENANT_SLUG)
    if tenant is None:
        raise LookupError("the default tenant is missing; run `vantage migrate`")
    return tenant


async def add_tenant(session: AsyncSession, tenant: Tenant) -> Tenant:
    session.add(tenant)
    await session.flush()
    return tenant


async def tenants_with_user_counts(session: AsyncSession) -> Sequence[tuple[Tenant, int]]:
    users = select(User.tenant_id, func.count().label("users")).group_by(User.tenant_id).subquery()
    query = (
        select(Tenant, func.coalesce(users.c.users, 0))
        .outerjoin(users, users.c.tenant_id == Tenant.id)
        .order_by(Tenant.id)
    )
    return [(tenant, int(count)) for tenant, count in (await session.execute(query)).all()]
