"""The reads behind DORA figures: shipped deployments, lead-time rows, incidents and merged
pull requests of a scope and window (all maintained as events arrive; nothing recomputed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.delivery.models import (
    Deployment,
    Incident,
    LeadTime,
    Ownership,
    PullRequest,
)
from vantage.packs.delivery.repository.deployments import SUCCESS

CHUNK = 500


@dataclass(frozen=True)
class Clause:
    """One filter of a scope: deployments and lead times of these services or repositories,
    incidents of ``incident_services``, pull requests of ``pr_repository_ids``."""

    services: frozenset[str]
    repository_ids: frozenset[int]
    pr_repository_ids: frozenset[int]
    incident_services: frozenset[str]


Scope = Sequence[Clause]  # every clause must match; no clause: the whole tenant


def _matching(scope: Scope, service: Any, repository_id: Any) -> list[ColumnElement[bool]]:
    return [
        or_(service.in_(sorted(c.services)), repository_id.in_(sorted(c.repository_ids)))
        for c in scope
    ]


async def shipped(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> Sequence[Any]:
    """Successful production deployments in [start, end): id, deployed_at, kind, incidents."""
    rows = await session.execute(
        select(Deployment.id, Deployment.deployed_at, Deployment.kind, Deployment.incident_count)
        .where(
            Deployment.tenant_id == tenant_id,
            Deployment.production.is_(True),
            Deployment.result == SUCCESS,
            Deployment.deployed_at >= start,
            Deployment.deployed_at < end,
            *_matching(scope, Deployment.service, Deployment.repository_id),
        )
        .order_by(Deployment.deployed_at, Deployment.id)
    )
    return rows.all()


async def lead_times(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> Sequence[Any]:
    """Lead-time rows of pull requests deployed in [start, end)."""
    rows = await session.execute(
        select(
            LeadTime.deployed_at,
            LeadTime.lead_seconds,
            LeadTime.coding_seconds,
            LeadTime.pickup_seconds,
            LeadTime.review_seconds,
            LeadTime.deploy_seconds,
        ).where(
            LeadTime.tenant_id == tenant_id,
            LeadTime.deployed_at >= start,
            LeadTime.deployed_at < end,
            *_matching(scope, LeadTime.service, LeadTime.repository_id),
        )
    )
    return rows.all()


async def restorations(
    session: AsyncSession, tenant_id: int, deployment_ids: Iterable[int]
) -> dict[int, tuple[datetime | None, int, int]]:
    """Per deployment: latest restoration of its incidents, incidents, restored incidents."""
    ids = sorted(set(deployment_ids))
    restored = func.coalesce(Incident.restored_at, Incident.resolved_at)
    found: dict[int, tuple[datetime | None, int, int]] = {}
    for begin in range(0, len(ids), CHUNK):
        rows = await session.execute(
            select(
                Incident.deployment_id,
                func.max(restored),
                func.count(Incident.id),
                func.count(restored),
            )
            .where(
                Incident.tenant_id == tenant_id,
                Incident.deployment_id.in_(ids[begin : begin + CHUNK]),
            )
            .group_by(Incident.deployment_id)
        )
        for deployment_id, latest, total, done in rows:
            if deployment_id is not None:
                found[int(deployment_id)] = (latest, int(total), int(done))
    return found


async def incidents(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> Sequence[Any]:
    """Incidents created in [start, end): created_at, resolved_at, attributed deployment."""
    rows = await session.execute(
        select(Incident.created_at, Incident.resolved_at, Incident.deployment_id).where(
            Incident.tenant_id == tenant_id,
            Incident.created_at >= start,
            Incident.created_at < end,
            *[Incident.service.in_(sorted(c.incident_services)) for c in scope],
        )
    )
    return rows.all()


async def merged_pull_requests(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> Sequence[Any]:
    """Pull requests merged in [start, end): merged_at and whether a deployment shipped them."""
    rows = await session.execute(
        select(PullRequest.merged_at, PullRequest.deployment_id).where(
            PullRequest.tenant_id == tenant_id,
            PullRequest.merged_at >= start,
            PullRequest.merged_at < end,
            *[PullRequest.repository_id.in_(sorted(c.pr_repository_ids)) for c in scope],
        )
    )
    return rows.all()


async def owned(
    session: AsyncSession, tenant_id: int, *, team: str | None, project: str | None
) -> Sequence[Any]:
    """(kind, name) of the repositories and services a team or project owns."""
    conditions = [Ownership.tenant_id == tenant_id]
    if team is not None:
        conditions.append(Ownership.team == team)
    if project is not None:
        conditions.append(Ownership.project == project)
    rows = await session.execute(select(Ownership.kind, Ownership.name).where(and_(*conditions)))
    return rows.all()


async def repositories_of_services(
    session: AsyncSession, tenant_id: int, services: Iterable[str]
) -> set[int]:
    """Repositories whose code the services deploy."""
    rows = await session.execute(
        select(Deployment.repository_id)
        .where(
            Deployment.tenant_id == tenant_id,
            Deployment.service.in_(sorted(set(services))),
            Deployment.repository_id.is_not(None),
        )
        .distinct()
    )
    return {int(row[0]) for row in rows if row[0] is not None}


async def services_of_repositories(
    session: AsyncSession, tenant_id: int, repository_ids: Iterable[int]
) -> set[str]:
    """Services that deploy the repositories' code."""
    rows = await session.execute(
        select(Deployment.service)
        .where(
            Deployment.tenant_id == tenant_id,
            Deployment.repository_id.in_(sorted(set(repository_ids))),
        )
        .distinct()
    )
    return {str(row[0]) for row in rows}
