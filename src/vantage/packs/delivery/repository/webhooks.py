"""Webhook deliveries: receipt (deduplicated on the delivery id) and processing state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import insert_for
from vantage.packs.delivery.models import WebhookDelivery

PENDING, PROCESSING, PROCESSED = "pending", "processing", "processed"
FAILED, PARKED, IGNORED = "failed", "parked", "ignored"


async def insert_once(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Store a delivery unless its delivery id is known; the new row's id, or None."""
    inserted = await session.execute(
        insert_for(session, WebhookDelivery)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "delivery_id"])
        .returning(WebhookDelivery.id)
    )
    row = inserted.first()
    return None if row is None else int(row[0])


async def insert_many(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> dict[tuple[int, str], int]:
    """Store deliveries in one statement, each unless its delivery id is known (also from an
    earlier row of ``rows``); the new rows' ids by (tenant, delivery id)."""
    inserted = await session.execute(
        insert_for(session, WebhookDelivery)
        .on_conflict_do_nothing(index_elements=["tenant_id", "delivery_id"])
        .returning(WebhookDelivery.id, WebhookDelivery.tenant_id, WebhookDelivery.delivery_id),
        list(rows),
    )
    return {(int(tenant), str(delivery)): int(row_id) for row_id, tenant, delivery in inserted}


async def by_delivery_id(
    session: AsyncSession, tenant_id: int, delivery_id: str
) -> WebhookDelivery | None:
    """The tenant's delivery with GitHub's delivery id."""
    return (
        await session.execute(
            select(WebhookDelivery).where(
                WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.delivery_id == delivery_id
            )
        )
    ).scalar_one_or_none()


async def get(session: AsyncSession, tenant_id: int, row_id: int) -> WebhookDelivery | None:
    """The tenant's delivery by row id."""
    return (
        await session.execute(
            select(WebhookDelivery).where(
                WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.id == row_id
            )
        )
    ).scalar_one_or_none()


async def requeue_failed(session: AsyncSession, tenant_id: int, row_id: int) -> bool:
    """Move a failed delivery back to pending; False when it is not failed (another won)."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.tenant_id == tenant_id,
            WebhookDelivery.id == row_id,
            WebhookDelivery.status == FAILED,
        )
        .values(status=PENDING, error=None)
    )
    return bool(getattr(result, "rowcount", 0))


async def claim(session: AsyncSession, tenant_id: int, row_id: int) -> WebhookDelivery | None:
    """Start processing a pending (or interrupted) delivery; None when there is nothing to do."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.tenant_id == tenant_id,
            WebhookDelivery.id == row_id,
            WebhookDelivery.status.in_((PENDING, PROCESSING)),
        )
        .values(status=PROCESSING, attempts=WebhookDelivery.attempts + 1)
        .returning(WebhookDelivery)
    )
    return result.scalar_one_or_none()


async def finish(
    session: AsyncSession,
    tenant_id: int,
    row_id: int,
    status: str,
    at: datetime,
    error: str | None = None,
    *,
    count_attempt: bool = False,
) -> None:
    """Record how processing ended (``count_attempt``: the attempt's own count was rolled back)."""
    values: dict[str, Any] = {
        "status": status,
        "processed_at": at,
        "error": error[:1000] if error else None,
    }
    if count_attempt:
        values["attempts"] = WebhookDelivery.attempts + 1
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.id == row_id)
        .values(**values)
    )


async def unpark(session: AsyncSession, tenant_id: int, repository: str) -> list[int]:
    """Parked deliveries of ``repository`` back to pending; their ids, oldest first."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.tenant_id == tenant_id,
            WebhookDelivery.status == PARKED,
            WebhookDelivery.repository == repository,
        )
        .values(status=PENDING)
        .returning(WebhookDelivery.id)
    )
    return sorted(int(row[0]) for row in result)


async def parked_repositories(session: AsyncSession, tenant_id: int) -> Sequence[str]:
    """Repositories with parked deliveries."""
    rows = await session.execute(
        select(WebhookDelivery.repository)
        .where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.status == PARKED)
        .distinct()
    )
    return [row[0] for row in rows if row[0]]


async def counts(session: AsyncSession, tenant_id: int) -> dict[tuple[str, str], int]:
    """Deliveries per (event, status)."""
    rows = await session.execute(
        select(WebhookDelivery.event, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.tenant_id == tenant_id)
        .group_by(WebhookDelivery.event, WebhookDelivery.status)
    )
    return {(event, status): int(count) for event, status, count in rows}
