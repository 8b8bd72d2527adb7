"""All SQL of ``Idempotency-Key``: claiming, reading, completing and releasing keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import insert_ignoring_conflict
from vantage.core.idempotency.models import DONE, IN_FLIGHT, IdempotencyRecord


@dataclass(frozen=True)
class KeyRef:
    """Which key: the tenant, the operation (``scope``) and the client's key."""

    tenant_id: int
    scope: str
    key: str


def _identity(ref: KeyRef) -> tuple[Any, ...]:
    return (
        IdempotencyRecord.tenant_id == ref.tenant_id,
        IdempotencyRecord.scope == ref.scope,
        IdempotencyRecord.key == ref.key,
    )


async def delete_expired(session: AsyncSession, now: datetime) -> None:
    """Forget every key whose retention is over."""
    await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now))


async def insert_in_flight(
    session: AsyncSession,
    ref: KeyRef,
    fingerprint: str,
    *,
    now: datetime,
    locked_until: datetime,
    expires_at: datetime,
) -> bool:
    """Create the key as in flight; False when it exists already (whoever created it)."""
    inserted = await session.execute(
        insert_ignoring_conflict(session, IdempotencyRecord)
        .values(
            tenant_id=ref.tenant_id,
            scope=ref.scope,
            key=ref.key,
            fingerprint=fingerprint,
            state=IN_FLIGHT,
            locked_until=locked_until,
            expires_at=expires_at,
            created_at=now,
        )
        .returning(IdempotencyRecord.key)
    )
    return inserted.first() is not None


async def get(session: AsyncSession, ref: KeyRef) -> IdempotencyRecord:
    """The key's row (it exists: the caller just failed to create it)."""
    return (await session.execute(select(IdempotencyRecord).where(*_identity(ref)))).scalar_one()


async def take_over(
    session: AsyncSession, ref: KeyRef, *, locked_until_was: datetime, locked_until: datetime
) -> bool:
    """Re-lock a key whose lock expired; False when another request re-locked it first."""
    taken = await session.execute(
        update(IdempotencyRecord)
        .where(*_identity(ref), IdempotencyRecord.locked_until == locked_until_was)
        .values(locked_until=locked_until)
    )
    return getattr(taken, "rowcount", 0) == 1


async def store_response(
    session: AsyncSession,
    ref: KeyRef,
    fingerprint: str,
    *,
    status_code: int,
    media_type: str,
    body: bytes,
) -> None:
    """Mark the key done with the response it answers from now on."""
    await session.execute(
        update(IdempotencyRecord)
        .where(*_identity(ref), IdempotencyRecord.fingerprint == fingerprint)
        .values(state=DONE, status_code=status_code, media_type=media_type, body=body)
    )


async def delete_in_flight(session: AsyncSession, ref: KeyRef, fingerprint: str) -> None:
    """Give an unanswered key up."""
    await session.execute(
        delete(IdempotencyRecord).where(
            *_identity(ref),
            IdempotencyRecord.state == IN_FLIGHT,
            IdempotencyRecord.fingerprint == fingerprint,
        )
    )
