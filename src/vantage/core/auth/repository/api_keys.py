"""SQL for API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.models import ApiKey


async def add_api_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    session.add(key)
    await session.flush()
    return key


async def prefix_taken(session: AsyncSession, prefix: str) -> bool:
    return (await session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix))) is not None


async def api_key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    """Any tenant's key: the prefix is what a presented key names itself by."""
    return await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))


async def api_key_in_tenant(session: AsyncSession, tenant_id: int, key_id: int) -> ApiKey | None:
    return await session.scalar(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
    )


async def api_keys_of_tenant(
    session: AsyncSession, tenant_id: int, *, limit: int, offset: int
) -> Sequence[ApiKey]:
    query = select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.id.desc())
    return (await session.scalars(query.limit(limit).offset(offset))).all()


async def count_api_keys(session: AsyncSession, tenant_id: int) -> int:
    total = await session.scalar(select(func.count()).where(ApiKey.tenant_id == tenant_id))
    return int(total or 0)


async def touch_api_key(
    session: AsyncSession, key_id: int, now: datetime, stale_before: datetime
) -> None:
    """Record a use, unless one was recorded after ``stale_before`` (bounds write traffic)."""
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < stale_before),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


async def revoke_api_key(session: AsyncSession, key_id: int, now: datetime) -> bool:
    """Revoke a live key; False when it was already revoked."""
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1
