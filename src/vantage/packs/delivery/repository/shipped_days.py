"""Successful production deployments counted per UTC day, service and repository
(``delivery_shipped_days``, kept by ``day_counts``), written with the deployments in the same
transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.delivery.models import ShippedDay
from vantage.packs.delivery.repository import day_counts

SUCCESS = "success"
REWORK_KINDS = frozenset({"hotfix", "rollback", "revert"})


class Shipped(NamedTuple):
    """What one deployment counts for: its day, service and repository, and whether it failed
    and is rework."""

    day: date
    service: str
    repository_id: int
    failed: bool
    reworked: bool


def shipped_of(deployment: Any) -> Shipped | None:
    """What the deployment counts for now; None unless it shipped (successful, production)."""
    deployed_at: datetime | None = deployment.deployed_at
    if not deployment.production or deployment.result != SUCCESS or deployed_at is None:
        return None
    return Shipped(
        day_counts.utc_day(deployed_at),
        deployment.service,
        deployment.repository_id or 0,
        deployment.incident_count > 0,
        deployment.kind in REWORK_KINDS,
    )


async def move(
    session: AsyncSession, tenant_id: int, before: Shipped | None, after: Shipped | None
) -> None:
    """Count a deployment out of what it counted for and into what it counts for now."""
    if before == after:
        return
    for shipped, step in ((before, -1), (after, 1)):
        if shipped is None:
            continue
        counts = {
            "deployments": 1,
            "failed": int(shipped.failed),
            "reworked": int(shipped.reworked),
        }
        key = {
            "tenant_id": tenant_id,
            "day": shipped.day,
            "service": shipped.service,
            "repository_id": shipped.repository_id,
        }
        await day_counts.add(session, ShippedDay, key, counts, step)


async def by_day(
    session: AsyncSession,
    tenant_id: int,
    matching: list[ColumnElement[bool]],
    first: date,
    last: date,
) -> list[tuple[date, int, int, int]]:
    """Per day of [first, last) with a shipped deployment: shipped, failed, reworked; over the
    deployments ``matching`` selects (empty: the whole tenant)."""
    rows = await session.execute(
        select(
            ShippedDay.day,
            func.sum(ShippedDay.deployments),
            func.sum(ShippedDay.failed),
            func.sum(ShippedDay.reworked),
        )
        .where(
            ShippedDay.tenant_id == tenant_id,
            ShippedDay.day >= first,
            ShippedDay.day < last,
            *day_counts.in_scope(ShippedDay, matching),
        )
        .group_by(ShippedDay.day)
    )
    return [
        (day, int(shipped), int(failed), int(reworked))
        for day, shipped, failed, reworked in rows
        if shipped
    ]
