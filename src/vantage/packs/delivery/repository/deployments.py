"""Deployments, their status history, and incidents with their attribution."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import insert_for
from vantage.packs.delivery.models import (
    Deployment,
    DeploymentStatus,
    Incident,
    LeadTime,
    LeadTimeDay,
)
from vantage.packs.delivery.repository import day_counts, lead_time_buckets, shipped_days
from vantage.packs.delivery.repository.shipped_days import SUCCESS


async def deployment_by_external_id(
    session: AsyncSession, tenant_id: int, external_id: str
) -> Deployment | None:
    """The tenant's deployment with the sender's id."""
    return (
        await session.execute(
            select(Deployment)
            .where(Deployment.tenant_id == tenant_id, Deployment.external_id == external_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def insert_deployment(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a deployment unless its external id exists; whether it was inserted."""
    result = await session.execute(
        insert_for(session, Deployment)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "external_id"])
        .returning(Deployment.id)
    )
    return result.first() is not None


async def add_status(
    session: AsyncSession, tenant_id: int, deployment_id: int, state: str, at: datetime
) -> None:
    """Append a status to the deployment's history (a repeated status is kept once)."""
    await session.execute(
        insert_for(session, DeploymentStatus)
        .values(tenant_id=tenant_id, deployment_id=deployment_id, state=state, at=at)
        .on_conflict_do_nothing(index_elements=["tenant_id", "deployment_id", "state", "at"])
    )


def _successes(tenant_id: int) -> list[Any]:
    return [
        Deployment.tenant_id == tenant_id,
        Deployment.production.is_(True),
        Deployment.result == SUCCESS,
        Deployment.deployed_at.is_not(None),
    ]


async def previous_success(
    session: AsyncSession, tenant_id: int, deployment: Deployment
) -> Deployment | None:
    """The service's successful production deployment just before ``deployment``."""
    assert deployment.deployed_at is not None
    earlier = (Deployment.deployed_at < deployment.deployed_at) | and_(
        Deployment.deployed_at == deployment.deployed_at, Deployment.id < deployment.id
    )
    rows = await session.execute(
        select(Deployment)
        .where(*_successes(tenant_id), Deployment.service == deployment.service, earlier)
        .order_by(Deployment.deployed_at.desc(), Deployment.id.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def successes_of_repository(
    session: AsyncSession, tenant_id: int, repository_id: int, since: datetime
) -> Sequence[Deployment]:
    """Successful production deployments of the repository's code from ``since``, in order."""
    rows = await session.execute(
        select(Deployment)
        .where(
            *_successes(tenant_id),
            Deployment.repository_id == repository_id,
            Deployment.deployed_at >= since,
        )
        .order_by(Deployment.deployed_at, Deployment.id)
    )
    return rows.scalars().all()


async def successes_of_service(
    session: AsyncSession, tenant_id: int, service: str, start: datetime, end: datetime
) -> Sequence[Deployment]:
    """The service's successful production deployments in [start, end], in order."""
    rows = await session.execute(
        select(Deployment)
        .where(
            *_successes(tenant_id),
            Deployment.service == service,
            Deployment.deployed_at >= start,
            Deployment.deployed_at <= end,
        )
        .order_by(Deployment.deployed_at, Deployment.id)
    )
    return rows.scalars().all()


async def deployment(session: AsyncSession, tenant_id: int, deployment_id: int) -> Deployment:
    """The tenant's deployment by id (it exists)."""
    return (
        await session.execute(
            select(Deployment).where(
                Deployment.tenant_id == tenant_id, Deployment.id == deployment_id
            )
        )
    ).scalar_one()


async def refresh_incident_count(session: AsyncSession, tenant_id: int, deployment_id: int) -> None:
    """Recount the incidents attributed to the deployment (and move it in the per-day counts
    when it turns failed or no longer is)."""
    count = await session.scalar(
        select(func.count(Incident.id)).where(
            Incident.tenant_id == tenant_id, Incident.deployment_id == deployment_id
        )
    )
    row = (
        await session.execute(
            select(Deployment)
            .where(Deployment.tenant_id == tenant_id, Deployment.id == deployment_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if row.incident_count == count:
        return
    before = shipped_days.shipped_of(row)
    row.incident_count = int(count or 0)
    await session.flush()
    await shipped_days.move(session, tenant_id, before, shipped_days.shipped_of(row))


async def save_lead_time(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert or replace the lead-time row of one pull request, and count it in the per-day
    counts and the value ranges (a replaced row moves from those it had)."""
    tenant_id = values["tenant_id"]
    inserted = await session.execute(
        insert_for(session, LeadTime)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "pull_request_id"])
        .returning(LeadTime.pull_request_id)
    )
    if inserted.first() is not None:
        await _count_lead_time_day(session, tenant_id, _tally_of(values), 1)
        await lead_time_buckets.move(session, tenant_id, [], lead_time_buckets.keys_of(values))
        return
    before = await _stored_lead_time(session, tenant_id, values["pull_request_id"])
    await session.execute(
        update(LeadTime)
        .where(
            LeadTime.tenant_id == tenant_id,
            LeadTime.pull_request_id == values["pull_request_id"],
        )
        .values(**values)
    )
    if _tally_of(before) != _tally_of(values):
        await _count_lead_time_day(session, tenant_id, _tally_of(before), -1)
        await _count_lead_time_day(session, tenant_id, _tally_of(values), 1)
    await lead_time_buckets.move(
        session, tenant_id, lead_time_buckets.keys_of(before), lead_time_buckets.keys_of(values)
    )


# Where a lead-time row counts: (day, service, repository id, has a pickup, has a review).
Tally = tuple[date, str, int, bool, bool]
_COUNTED = (
    "deployed_at", "service", "repository_id", *lead_time_buckets.MEASURES
)  # fmt: skip


def _tally_of(row: dict[str, Any]) -> Tally:
    return (
        day_counts.utc_day(row["deployed_at"]),
        row["service"],
        row["repository_id"],
        row.get("pickup_seconds") is not None,
        row.get("review_seconds") is not None,
    )


async def _stored_lead_time(
    session: AsyncSession, tenant_id: int, pull_request_id: int
) -> dict[str, Any]:
    """What the counts know of a pull request's stored lead-time row (it exists)."""
    row = (
        await session.execute(
            select(*[getattr(LeadTime, name) for name in _COUNTED]).where(
                LeadTime.tenant_id == tenant_id, LeadTime.pull_request_id == pull_request_id
            )
        )
    ).one()
    return dict(row._mapping)


async def _count_lead_time_day(
    session: AsyncSession, tenant_id: int, tally: Tally, step: int
) -> None:
    """Add ``step`` (1 or -1) lead-time rows to the counts of one day, service and repository."""
    day, service, repository_id, picked, reviewed = tally
    await day_counts.add(
        session,
        LeadTimeDay,
        {"tenant_id": tenant_id, "day": day, "service": service, "repository_id": repository_id},
        {"lead_times": 1, "pickups": int(picked), "reviews": int(reviewed)},
        step,
    )


async def incident_by_external_id(
    session: AsyncSession, tenant_id: int, external_id: str
) -> Incident | None:
    """The tenant's incident with the sender's id."""
    return (
        await session.execute(
            select(Incident)
            .where(Incident.tenant_id == tenant_id, Incident.external_id == external_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def upsert_incident(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert or update an incident by external id; whether it was new."""
    existing = await incident_by_external_id(session, values["tenant_id"], values["external_id"])
    if existing is None:
        result = await session.execute(
            insert_for(session, Incident)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "external_id"])
            .returning(Incident.id)
        )
        if result.first() is not None:
            return True
    await session.execute(
        update(Incident)
        .where(
            Incident.tenant_id == values["tenant_id"],
            Incident.external_id == values["external_id"],
        )
        .values(**values)
    )
    return False


async def incidents_to_reattribute(
    session: AsyncSession, tenant_id: int, deployment: Deployment, horizon: datetime
) -> Sequence[Incident]:
    """Incidents a newly successful deployment may explain: its service's incidents created
    in [deployed_at, horizon] without an explicit link, and incidents naming it explicitly."""
    assert deployment.deployed_at is not None
    by_window = and_(
        Incident.service == deployment.service,
        Incident.created_at >= deployment.deployed_at,
        Incident.created_at <= horizon,
        Incident.linked_deployment.is_(None),
        Incident.root_cause_sha.is_(None),
    )
    by_link = Incident.linked_deployment == deployment.external_id
    rows = await session.execute(
        select(Incident).where(Incident.tenant_id == tenant_id, by_window | by_link)
    )
    return rows.scalars().all()


async def incidents_with_root_cause(
    session: AsyncSession, tenant_id: int, service: str
) -> Sequence[Incident]:
    """The service's incidents that name a root-cause commit."""
    rows = await session.execute(
        select(Incident).where(
            Incident.tenant_id == tenant_id,
            Incident.service == service,
            Incident.root_cause_sha.is_not(None),
        )
    )
    return rows.scalars().all()


async def attribute(
    session: AsyncSession,
    tenant_id: int,
    incident_id: int,
    deployment_id: int | None,
    how: str | None,
) -> None:
    """Record the deployment an incident is attributed to, and how."""
    await session.execute(
        update(Incident)
        .where(Incident.tenant_id == tenant_id, Incident.id == incident_id)
        .values(deployment_id=deployment_id, attribution=how)
    )
