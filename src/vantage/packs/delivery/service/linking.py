"""Incremental linkage: pull requests to the deployment that shipped them (with their lead-time
rows), and incidents to the deployment that caused them.

Each arrival updates only what it touches: a deployment links the merged pull requests in its
commit range and re-attributes the incidents after it; a merged pull request looks for the first
deployment that shipped it; an incident looks for its deployment. Nothing re-runs on read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.delivery.models import Deployment, Incident, PullRequest
from vantage.packs.delivery.repository import commits as commit_rows
from vantage.packs.delivery.repository import deployments as deployment_rows
from vantage.packs.delivery.repository import records, shipped_days
from vantage.packs.delivery.service import commits
from vantage.packs.delivery.service.graph import ancestors, contains

EXPLICIT, WINDOW = "explicit", "window"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_shipped(deployment: Deployment) -> bool:
    """Whether the deployment counts for DORA: production, successful, with a time."""
    return shipped_days.shipped_of(deployment) is not None


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


async def _write_lead_time(
    session: AsyncSession, tenant_id: int, pr: PullRequest, deployment: Deployment
) -> None:
    assert pr.merged_at is not None and deployment.deployed_at is not None
    first_commit = pr.first_commit_at or pr.opened_at
    review = pr.first_review_at
    reviewed = review is not None and pr.opened_at <= review <= pr.merged_at
    await deployment_rows.save_lead_time(
        session,
        {
            "tenant_id": tenant_id,
            "pull_request_id": pr.id,
            "deployment_id": deployment.id,
            "repository_id": pr.repository_id,
            "service": deployment.service,
            "deployed_at": deployment.deployed_at,
            "lead_seconds": _seconds(deployment.deployed_at, first_commit),
            "coding_seconds": max(0.0, _seconds(pr.opened_at, first_commit)),
            "pickup_seconds": _seconds(review, pr.opened_at) if reviewed and review else None,
            "review_seconds": _seconds(pr.merged_at, review) if reviewed and review else None,
            "deploy_seconds": _seconds(deployment.deployed_at, pr.merged_at),
        },
    )


async def _claim(
    session: AsyncSession, tenant_id: int, pr: PullRequest, deployment: Deployment
) -> bool:
    """Link ``pr`` to ``deployment`` unless an earlier deployment already shipped it."""
    assert deployment.deployed_at is not None
    if pr.deployment_id is not None and pr.deployment_id != deployment.id:
        current = await deployment_rows.deployment(session, tenant_id, pr.deployment_id)
        if current.deployed_at is not None and (current.deployed_at, current.id) < (
            deployment.deployed_at,
            deployment.id,
        ):
            return False
    await records.link_pull_request(session, tenant_id, pr.id, deployment.id)
    pr.deployment_id = deployment.id
    await _write_lead_time(session, tenant_id, pr, deployment)
    return True


async def link_deployment(
    session: AsyncSession, tenant_id: int, deployment: Deployment, window: timedelta
) -> int:
    """A successful production deployment landed: link the pull requests of its commit range
    (previous successful deployment of the service, this one], then attribute incidents."""
    if not is_shipped(deployment):
        return 0
    linked = 0
    if deployment.repository_id is not None:
        for pr in await _prs_in_range(session, tenant_id, deployment):
            linked += await _claim(session, tenant_id, pr, deployment)
    await reattribute_after(session, tenant_id, deployment, window)
    return linked


async def _prs_in_range(
    session: AsyncSession, tenant_id: int, deployment: Deployment
) -> list[PullRequest]:
    assert deployment.repository_id is not None and deployment.deployed_at is not None
    previous = await deployment_rows.previous_success(session, tenant_id, deployment)
    shipped = None
    if deployment.commit_sha:
        shipped = await commits.shipped_between(
            session,
            tenant_id,
            deployment.repository_id,
            deployment.commit_sha,
            previous.commit_sha if previous else None,
        )
    if shipped is not None:
        prs = await records.merged_prs_with_shas(
            session, tenant_id, deployment.repository_id, shipped
        )
        return list(prs)
    # The deployed commit is not in the known graph: fall back to merge times.
    after = previous.deployed_at if previous is not None else None
    return list(
        await records.merged_prs_between(
            session, tenant_id, deployment.repository_id, after, deployment.deployed_at
        )
    )


async def link_pull_request(session: AsyncSession, tenant_id: int, pr: PullRequest) -> bool:
    """A pull request merged or changed: (re)write its lead time, or find the first
    deployment that shipped its merge commit."""
    if pr.merged_at is None:
        return False
    if pr.deployment_id is not None:
        linked = await deployment_rows.deployment(session, tenant_id, pr.deployment_id)
        await _write_lead_time(session, tenant_id, pr, linked)
        return True
    candidates = await deployment_rows.successes_of_repository(
        session, tenant_id, pr.repository_id, pr.merged_at
    )
    heads = [deployment.commit_sha for deployment in candidates]
    first = await commits.first_reaching(
        session, tenant_id, pr.repository_id, heads, pr.merge_commit_sha
    )
    return first is not None and await _claim(session, tenant_id, pr, candidates[first])


async def _root_cause_deployment(
    session: AsyncSession, tenant_id: int, incident: Incident
) -> Deployment | None:
    """The first successful deployment of the incident's service that shipped the root cause."""
    assert incident.root_cause_sha is not None
    sha = incident.root_cause_sha
    shipped = await deployment_rows.successes_of_service(
        session, tenant_id, incident.service, EPOCH, incident.created_at
    )
    graphs: dict[int, dict[str, list[str]]] = {}
    for deployment in shipped:
        if deployment.commit_sha is None:
            continue
        if deployment.commit_sha.startswith(sha):
            return deployment
        if deployment.repository_id is None:
            continue
        if deployment.repository_id not in graphs:
            graphs[deployment.repository_id] = await commit_rows.commit_graph(
                session, tenant_id, deployment.repository_id
            )
        if contains(ancestors(graphs[deployment.repository_id], deployment.commit_sha), sha):
            return deployment
    return None


async def _deployment_for(
    session: AsyncSession, tenant_id: int, incident: Incident, window: timedelta
) -> tuple[Deployment | None, str | None]:
    if incident.linked_deployment:
        linked = await deployment_rows.deployment_by_external_id(
            session, tenant_id, incident.linked_deployment
        )
        return (linked, EXPLICIT) if linked is not None else (None, None)
    if incident.root_cause_sha:
        cause = await _root_cause_deployment(session, tenant_id, incident)
        return (cause, EXPLICIT) if cause is not None else (None, None)
    recent = await deployment_rows.successes_of_service(
        session, tenant_id, incident.service, incident.created_at - window, incident.created_at
    )
    return (recent[-1], WINDOW) if recent else (None, None)


async def attribute_incident(
    session: AsyncSession, tenant_id: int, incident: Incident, window: timedelta
) -> None:
    """Attribute the incident: explicit link, else root-cause commit, else the latest
    successful deployment of its service within ``window`` before it."""
    deployment, how = await _deployment_for(session, tenant_id, incident, window)
    target = deployment.id if deployment is not None else None
    if target == incident.deployment_id and how == incident.attribution:
        return
    previous = incident.deployment_id
    await deployment_rows.attribute(session, tenant_id, incident.id, target, how)
    incident.deployment_id, incident.attribution = target, how
    for deployment_id in {previous, target} - {None}:
        assert deployment_id is not None
        await deployment_rows.refresh_incident_count(session, tenant_id, deployment_id)


async def reattribute_after(
    session: AsyncSession, tenant_id: int, deployment: Deployment, window: timedelta
) -> None:
    """Incidents a newly shipped deployment may explain get their attribution again."""
    assert deployment.deployed_at is not None
    touched = list(
        await deployment_rows.incidents_to_reattribute(
            session, tenant_id, deployment, deployment.deployed_at + window
        )
    )
    touched += [
        incident
        for incident in await deployment_rows.incidents_with_root_cause(
            session, tenant_id, deployment.service
        )
        if incident.deployment_id is None
    ]
    for incident in touched:
        await attribute_incident(session, tenant_id, incident, window)
