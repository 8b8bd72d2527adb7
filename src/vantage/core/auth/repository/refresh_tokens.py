"""SQL for refresh-token families."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.models import RefreshToken


async def add_refresh_token(session: AsyncSession, token: RefreshToken) -> RefreshToken:
    session.add(token)
    await session.flush()
    return token


async def refresh_token_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))


async def claim_refresh_token(session: AsyncSession, token_hash: str, now: datetime) -> bool:
    """Mark a live token used; True for exactly one caller, however many race (any process).

    The check and the write are one conditional UPDATE: the database's row lock makes every
    other concurrent claim see ``used_at`` already set and update nothing.
    """
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(used_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


async def link_replacement(session: AsyncSession, token_id: int, replacement_id: int) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id)
        .values(replaced_by_id=replacement_id)
        .execution_options(synchronize_session=False)
    )


async def revoke_family(session: AsyncSession, family_id: str, now: datetime) -> int:
    """Revoke every live token of a family; returns how many were live."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount


async def revoke_user_tokens(session: AsyncSession, user_id: int, now: datetime) -> int:
    """Revoke every refresh token of a user (password change, disabling)."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount


async def delete_expired_tokens(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Forget a user's expired tokens: they can no longer be used, so nothing is lost."""
    await session.execute(
        delete(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
