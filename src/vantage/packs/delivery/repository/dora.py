"""The reads behind DORA figures: shipped deployments, lead-time rows, incidents and merged
pull requests of a scope and window (all maintained as events arrive; nothing recomputed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import dialect_of
from vantage.packs.delivery.models import (
    Deployment,
    Incident,
    LeadTime,
    LeadTimeBucket,
    LeadTimeDay,
    MergedDay,
    Ownership,
    PullRequest,
    ShippedDay,
)
from vantage.packs.delivery.repository import day_counts, lead_time_buckets, shipped_days
from vantage.packs.delivery.repository.shipped_days import SUCCESS

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


def _shipped_where(
    tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> list[ColumnElement[bool]]:
    return [
        Deployment.tenant_id == tenant_id,
        Deployment.production.is_(True),
        Deployment.result == SUCCESS,
        Deployment.deployed_at >= start,
        Deployment.deployed_at < end,
        *_matching(scope, Deployment.service, Deployment.repository_id),
    ]


def _lead_where(
    tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> list[ColumnElement[bool]]:
    return [
        LeadTime.tenant_id == tenant_id,
        LeadTime.deployed_at >= start,
        LeadTime.deployed_at < end,
        *_matching(scope, LeadTime.service, LeadTime.repository_id),
    ]


def _incident_where(
    tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> list[ColumnElement[bool]]:
    return [
        Incident.tenant_id == tenant_id,
        Incident.created_at >= start,
        Incident.created_at < end,
        *[Incident.service.in_(sorted(c.incident_services)) for c in scope],
    ]


def _merged_where(
    tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> list[ColumnElement[bool]]:
    return [
        PullRequest.tenant_id == tenant_id,
        PullRequest.merged_at >= start,
        PullRequest.merged_at < end,
        *[PullRequest.repository_id.in_(sorted(c.pr_repository_ids)) for c in scope],
    ]


async def shipped(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> Sequence[Any]:
    """Successful production deployments in [start, end): id, deployed_at, kind, incidents."""
    rows = await session.execute(
        select(Deployment.id, Deployment.deployed_at, Deployment.kind, Deployment.incident_count)
        .where(*_shipped_where(tenant_id, scope, start, end))
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
        ).where(*_lead_where(tenant_id, scope, start, end))
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
            *_incident_where(tenant_id, scope, start, end)
        )
    )
    return rows.all()


async def merged_pull_requests(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> Sequence[Any]:
    """Pull requests merged in [start, end): merged_at and whether a deployment shipped them."""
    rows = await session.execute(
        select(PullRequest.merged_at, PullRequest.deployment_id).where(
            *_merged_where(tenant_id, scope, start, end)
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


# --- Aggregates: the figures of a window read as counts and single ranked values, so a read
# --- never carries the window's rows into Python.

STAGES = ("lead_seconds", "coding_seconds", "pickup_seconds", "review_seconds", "deploy_seconds")


async def shipped_by_day(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> list[tuple[date, int, int, int]]:
    """Per UTC date with a successful production deployment in [start, end): how many, how
    many with an attributed incident, how many of a rework kind (one pass for the counts and
    the deployment days)."""
    day = _utc_day(session, Deployment.deployed_at)
    rows = await session.execute(
        select(
            day,
            func.count(),
            func.count(case((Deployment.incident_count > 0, 1))),
            func.count(case((Deployment.kind.in_(sorted(shipped_days.REWORK_KINDS)), 1))),
        )
        .where(*_shipped_where(tenant_id, scope, start, end))
        .group_by(day)
    )
    return sorted(
        (
            value if isinstance(value, date) else date.fromisoformat(str(value)),
            int(count),
            int(failed),
            int(reworked),
        )
        for value, count, failed, reworked in rows
    )


async def shipped_day_counts(
    session: AsyncSession, tenant_id: int, scope: Scope, first: date, last: date
) -> list[tuple[date, int, int, int]]:
    """``shipped_by_day`` of the whole UTC days [first, last), from the per-day counts."""
    matching = _matching(scope, ShippedDay.service, ShippedDay.repository_id)
    return sorted(await shipped_days.by_day(session, tenant_id, matching, first, last))


def _utc_day(session: AsyncSession, column: Any) -> Any:
    # SQLite keeps naive-UTC text (YYYY-MM-DD HH:MM:SS...): its first ten characters are the day.
    if dialect_of(session) == "sqlite":
        return func.substr(column, 1, 10)
    return func.date(func.timezone("UTC", column))


async def failed_shipped(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> Sequence[Any]:
    """id and deployed_at of the window's successful production deployments with incidents."""
    rows = await session.execute(
        select(Deployment.id, Deployment.deployed_at).where(
            *_shipped_where(tenant_id, scope, start, end), Deployment.incident_count > 0
        )
    )
    return rows.all()


async def lead_time_counts(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> dict[str, int]:
    """Per lead-time column: how many rows of [start, end) have a value."""
    columns = [getattr(LeadTime, name) for name in STAGES]
    row = (
        await session.execute(
            select(*[func.count(column) for column in columns]).where(
                *_lead_where(tenant_id, scope, start, end)
            )
        )
    ).one()
    return {name: int(count) for name, count in zip(STAGES, row, strict=True)}


async def lead_time_day_counts(
    session: AsyncSession, tenant_id: int, scope: Scope, first: date, last: date
) -> dict[str, int]:
    """``lead_time_counts`` of the whole UTC days [first, last), from the per-day counts."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(LeadTimeDay.lead_times), 0),
                func.coalesce(func.sum(LeadTimeDay.pickups), 0),
                func.coalesce(func.sum(LeadTimeDay.reviews), 0),
            ).where(
                LeadTimeDay.tenant_id == tenant_id,
                LeadTimeDay.day >= first,
                LeadTimeDay.day < last,
                *day_counts.in_scope(
                    LeadTimeDay, _matching(scope, LeadTimeDay.service, LeadTimeDay.repository_id)
                ),
            )
        )
    ).one()
    rows, pickups, reviews = (int(value) for value in row)
    # Lead, coding and deploy time always have a value: every row counts for them.
    return {
        "lead_seconds": rows,
        "coding_seconds": rows,
        "pickup_seconds": pickups,
        "review_seconds": reviews,
        "deploy_seconds": rows,
    }


async def merged_day_counts(
    session: AsyncSession, tenant_id: int, scope: Scope, first: date, last: date
) -> tuple[int, int]:
    """``merged_counts`` of the whole UTC days [first, last), from the per-day counts."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(MergedDay.merged), 0),
                func.coalesce(func.sum(MergedDay.linked), 0),
            ).where(
                MergedDay.tenant_id == tenant_id,
                MergedDay.day >= first,
                MergedDay.day < last,
                *day_counts.in_scope(
                    MergedDay,
                    [MergedDay.repository_id.in_(sorted(c.pr_repository_ids)) for c in scope],
                ),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def lead_time_span(
    session: AsyncSession, tenant_id: int
) -> tuple[datetime | None, datetime | None]:
    """The first and last deploy time of the tenant's lead-time rows (two index probes)."""
    where = LeadTime.tenant_id == tenant_id
    first = await session.scalar(select(func.min(LeadTime.deployed_at)).where(where))
    last = await session.scalar(select(func.max(LeadTime.deployed_at)).where(where))
    return first, last


async def lead_time_values_at(
    session: AsyncSession,
    tenant_id: int,
    scope: Scope,
    window: tuple[datetime, datetime] | None,
    name: str,
    positions: Iterable[int],
    count: int,
) -> dict[int, float]:
    """The values at ``positions`` (from 0) of one lead-time column in ascending order, rows
    without a value left out; ``count`` of them have one. ``window`` None: every row of the
    tenant, found through the counts per value range (``lead_time_buckets``), or else read in
    the order of the column's own index (no sort, and a read stops at its rank); a window:
    the rows deployed in [start, end), sorted. A position in the upper half is read from the
    top, so a read passes at most half of the values."""
    column = getattr(LeadTime, name)
    positions = sorted(set(positions))
    where = [LeadTime.tenant_id == tenant_id, column.is_not(None)]
    if window is None:
        where += _matching(scope, LeadTime.service, LeadTime.repository_id)
        ranged = await lead_time_buckets.values_at(
            session,
            tenant_id,
            where,
            _matching(scope, LeadTimeBucket.service, LeadTimeBucket.repository_id),
            name,
            positions,
            count,
        )
        if ranged is not None:
            return ranged
    else:
        where += _lead_where(tenant_id, scope, *window)
    found: dict[int, float] = {}
    for position in positions:
        if position in found:
            continue
        if 2 * position < count:
            query = select(column).order_by(column).offset(position)
            places = [position, position + 1]
        else:  # from the top: the values at position + 1 and position, in that order
            offset = max(count - 2 - position, 0)
            query = select(column).order_by(column.desc()).offset(offset)
            places = [count - 1 - offset, count - 2 - offset]
        rows = await session.execute(query.where(*where).limit(2))
        for place, (value,) in zip(places, rows, strict=False):
            found[place] = float(value)
    return found


async def incident_counts(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> tuple[int, int]:
    """Incidents created in [start, end), and how many of them are attributed."""
    row = (
        await session.execute(
            select(func.count(), func.count(Incident.deployment_id)).where(
                *_incident_where(tenant_id, scope, start, end)
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def resolved_incidents(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> Sequence[Any]:
    """created_at and resolved_at of the incidents created in [start, end) and resolved."""
    rows = await session.execute(
        select(Incident.created_at, Incident.resolved_at).where(
            *_incident_where(tenant_id, scope, start, end), Incident.resolved_at.is_not(None)
        )
    )
    return rows.all()


async def merged_counts(
    session: AsyncSession, tenant_id: int, scope: Scope, start: datetime, end: datetime
) -> tuple[int, int]:
    """Pull requests merged in [start, end), and how many of them a deployment shipped."""
    row = (
        await session.execute(
            select(func.count(), func.count(PullRequest.deployment_id)).where(
                *_merged_where(tenant_id, scope, start, end)
            )
        )
    ).one()
    return int(row[0]), int(row[1])
