"""Recording deployments and incidents (from the push API, GitHub and imports alike)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import bump_watermark
from vantage.packs.delivery.models import Deployment
from vantage.packs.delivery.repository import deployments as deployment_rows
from vantage.packs.delivery.repository import shipped_days
from vantage.packs.delivery.service.linking import attribute_incident, link_deployment

PACK_NAME = "delivery"
ROOT_CAUSE = re.compile(r"root\s*cause:\s*([0-9a-f]{7,40})\b", re.IGNORECASE)
RESULT_OF_STATE = {"success": "success", "failure": "failure", "error": "failure"}


@dataclass(frozen=True)
class DeploymentEvent:
    """A deployment, or one more status of a deployment already recorded."""

    external_id: str
    service: str
    environment: str
    production: bool
    repository_id: int | None
    commit_sha: str | None
    kind: str
    state: str
    at: datetime


@dataclass(frozen=True)
class IncidentEvent:
    external_id: str
    service: str
    title: str
    severity: str | None
    created_at: datetime
    restored_at: datetime | None
    resolved_at: datetime | None
    linked_deployment: str | None
    root_cause_sha: str | None


def root_cause_in(text: str | None) -> str | None:
    """The commit a ``root cause: <sha>`` line names, if any."""
    found = ROOT_CAUSE.search(text or "")
    return found.group(1).lower() if found else None


def _progress(existing: Deployment, event: DeploymentEvent) -> dict[str, object]:
    """The columns a new status changes: a final status wins over progress, and a later
    final status over an earlier one."""
    result = RESULT_OF_STATE.get(event.state)
    if result is not None:
        if existing.deployed_at is None or event.at >= existing.deployed_at:
            return {"status": event.state, "result": result, "deployed_at": event.at}
        return {}
    if existing.result is None:
        return {"status": event.state}
    return {}


async def record_deployment(
    session: AsyncSession, tenant_id: int, event: DeploymentEvent, window: timedelta
) -> bool:
    """Store the deployment or its new status, then link what it shipped; whether it was new."""
    result = RESULT_OF_STATE.get(event.state)
    created = await deployment_rows.insert_deployment(
        session,
        {
            "tenant_id": tenant_id,
            "external_id": event.external_id,
            "repository_id": event.repository_id,
            "service": event.service,
            "environment": event.environment,
            "production": event.production,
            "commit_sha": event.commit_sha,
            "kind": event.kind,
            "status": event.state,
            "result": result,
            "created_at": event.at,
            "deployed_at": event.at if result else None,
        },
    )
    deployment = await deployment_rows.deployment_by_external_id(
        session, tenant_id, event.external_id
    )
    assert deployment is not None
    before = None if created else shipped_days.shipped_of(deployment)
    if not created:
        changes = _progress(deployment, event)
        for column, value in changes.items():
            setattr(deployment, column, value)
        if event.repository_id is not None and deployment.repository_id is None:
            deployment.repository_id = event.repository_id
        if event.commit_sha and deployment.commit_sha is None:
            deployment.commit_sha = event.commit_sha
        await session.flush()
    await shipped_days.move(session, tenant_id, before, shipped_days.shipped_of(deployment))
    await deployment_rows.add_status(session, tenant_id, deployment.id, event.state, event.at)
    await link_deployment(session, tenant_id, deployment, window)
    await bump_watermark(session, tenant_id, PACK_NAME)
    return created


async def record_incident(
    session: AsyncSession, tenant_id: int, event: IncidentEvent, window: timedelta
) -> bool:
    """Store the incident (or its update) and attribute it; whether it was new."""
    created = await deployment_rows.upsert_incident(
        session,
        {
            "tenant_id": tenant_id,
            "external_id": event.external_id,
            "service": event.service,
            "title": event.title,
            "severity": event.severity,
            "created_at": event.created_at,
            "resolved_at": event.resolved_at,
            "restored_at": event.restored_at or event.resolved_at,
            "linked_deployment": event.linked_deployment,
            "root_cause_sha": event.root_cause_sha,
        },
    )
    incident = await deployment_rows.incident_by_external_id(session, tenant_id, event.external_id)
    assert incident is not None
    await attribute_incident(session, tenant_id, incident, window)
    await bump_watermark(session, tenant_id, PACK_NAME)
    return created
