"""SQL of spend budgets: conditional updates that make a hold atomic across processes.

A hold succeeds only when ``spent + held + amount <= limit`` holds *at the moment the row is
updated*: PostgreSQL re-checks the condition after taking the row lock, and SQLite writers are
serialised (BEGIN IMMEDIATE), so two processes can never both take the last dollars.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from vantage.core.db import utcnow
from vantage.core.dialect import insert_ignoring_conflict
from vantage.packs.gateway.models import SpendLedger


def _key(tenant_id: int, scope: str, subject: str, period_start: date) -> list[ColumnElement[bool]]:
    return [
        SpendLedger.tenant_id == tenant_id,
        SpendLedger.scope == scope,
        SpendLedger.subject == subject,
        SpendLedger.period_start == period_start,
    ]


async def ensure_ledger(
    session: AsyncSession, tenant_id: int, scope: str, subject: str, period_start: date
) -> None:
    """Create the period's ledger row if it does not exist yet."""
    key = [SpendLedger.tenant_id, SpendLedger.scope, SpendLedger.subject, SpendLedger.period_start]
    await session.execute(
        insert_ignoring_conflict(session, SpendLedger, key).values(
            tenant_id=tenant_id,
            scope=scope,
            subject=subject,
            period_start=period_start,
            spent_nanousd=0,
            held_nanousd=0,
            updated_at=utcnow(),
        )
    )


async def try_hold(
    session: AsyncSession,
    tenant_id: int,
    scope: str,
    subject: str,
    period_start: date,
    *,
    amount: int,
    limit: int,
) -> bool:
    """Add ``amount`` to the held sum if it stays within ``limit``; False when it would not."""
    result = await session.execute(
        update(SpendLedger)
        .where(
            *_key(tenant_id, scope, subject, period_start),
            SpendLedger.spent_nanousd + SpendLedger.held_nanousd + amount <= limit,
        )
        .values(held_nanousd=SpendLedger.held_nanousd + amount, updated_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def settle(
    session: AsyncSession,
    tenant_id: int,
    scope: str,
    subject: str,
    period_start: date,
    *,
    held: int,
    spent: int,
) -> None:
    """Release a hold and book what was really spent."""
    await session.execute(
        update(SpendLedger)
        .where(*_key(tenant_id, scope, subject, period_start))
        .values(
            held_nanousd=SpendLedger.held_nanousd - held,
            spent_nanousd=SpendLedger.spent_nanousd + spent,
            updated_at=utcnow(),
        )
    )


async def ledger(
    session: AsyncSession, tenant_id: int, scope: str, subject: str, period_start: date
) -> SpendLedger | None:
    return await session.scalar(
        select(SpendLedger).where(*_key(tenant_id, scope, subject, period_start))
    )
