"""SQL for tenants and users."""

from __future__ import annotations

from sqlalchemy import select
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


async def user_by_email(session: AsyncSession, tenant_id: int, email: str) -> User | None:
    return await session.scalar(
        select(User).where(User.tenant_id == tenant_id, User.email == email.lower())
    )


async def active_demo_user_emails(session: AsyncSession) -> list[str]:
    """E-mail addresses of active demo users, in every tenant."""
    query = select(User.email).where(User.is_demo.is_(True), User.active.is_(True))
    return list((await session.scalars(query.order_by(User.id))).all())


async def add_user(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user
