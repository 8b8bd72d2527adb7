"""SQL for users."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.models import Role, User


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
