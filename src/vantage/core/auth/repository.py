"""SQL for tenants and users."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.models import DEFAULT_TENANT_SLUG, Role, Tenant, User


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


async def user_by_email(session: AsyncSession, tenant_id: int, email: str) -> User | None:
    return await session.scalar(
        select(User).where(User.tenant_id == tenant_id, User.email == email.lower())
    )


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    """Any tenant's user: only for verifying a credential that already names its tenant."""
    return await session.get(User, user_id)


async def user_in_tenant(session: AsyncSession, tenant_id: int, user_id: int) -> User | None:
    return await session.scalar(select(User).where(User.tenant_id == tenant_id, User.id == user_id))


async def users_of_tenant(
    session: AsyncSession, tenant_id: int, *, limit: int, offset: int
) -> Sequence[User]:
    query = select(User).where(User.tenant_id == tenant_id).order_by(User.email, User.id)
    return (await session.scalars(query.limit(limit).offset(offset))).all()


async def count_users(session: AsyncSession, tenant_id: int) -> int:
    total = await session.scalar(select(func.count()).where(User.tenant_id == tenant_id))
    return int(total or 0)


async def count_active_admins(session: AsyncSession, tenant_id: int) -> int:
    total = await session.scalar(
        select(func.count()).where(
            User.tenant_id == tenant_id, User.role == Role.ADMIN.value, User.active.is_(True)
        )
    )
    return int(total or 0)


async def active_demo_user_emails(session: AsyncSession) -> list[str]:
    """E-mail addresses of active demo users, in every tenant."""
    query = select(User.email).where(User.is_demo.is_(True), User.active.is_(True))
    return list((await session.scalars(query.order_by(User.id))).all())


async def add_user(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def tenants_with_user_counts(session: AsyncSession) -> Sequence[tuple[Tenant, int]]:
    users = select(User.tenant_id, func.count().label("users")).group_by(User.tenant_id).subquery()
    query = (
        select(Tenant, func.coalesce(users.c.users, 0))
        .outerjoin(users, users.c.tenant_id == Tenant.id)
        .order_by(Tenant.id)
    )
    return [(tenant, int(count)) for tenant, count in (await session.execute(query)).all()]
