"""The generic push API: deployments and incidents from any CI/CD or incident tool."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.errors import ValidationFailed
from vantage.core.jobs import JobService
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.schemas import DeploymentBatchIn, DeploymentIn, IncidentBatchIn
from vantage.packs.delivery.service.ingest import (
    DeploymentEvent,
    IncidentEvent,
    record_deployment,
    record_incident,
    root_cause_in,
)
from vantage.packs.delivery.service.webhooks import requeue_parked
from vantage.packs.delivery.settings import DeliverySettings

BatchT = TypeVar("BatchT", bound=BaseModel)


@dataclass(frozen=True)
class Outcome:
    accepted: int
    created: int


def parse_batch(body: bytes, model: type[BatchT]) -> BatchT:
    """Validate a JSON batch; every bad field is reported (with its path) in one 422."""
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        errors = [
            {"loc": ["body", *item["loc"]], "message": item["msg"], "type": item["type"]}
            for item in error.errors(include_url=False)
        ]
        raise ValidationFailed(
            f"{len(errors)} invalid field(s); nothing was written", errors=errors
        ) from error


def _duplicates(ids: list[str], field: str) -> None:
    seen: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    for index, external_id in enumerate(ids):
        if external_id in seen:
            errors.append(
                {
                    "loc": ["body", field, index, "id"],
                    "message": f"{external_id!r} already appears at {field}[{seen[external_id]}]",
                    "type": "duplicate",
                }
            )
        seen.setdefault(external_id, index)
    if errors:
        raise ValidationFailed("a batch names each id once", errors=errors)


async def _repository_id(
    session: AsyncSession, tenant_id: int, item: DeploymentIn, jobs: JobService
) -> int | None:
    if item.repository is None:
        return None
    known = await records.repository_named(session, tenant_id, item.repository)
    if known is not None:
        return known.id
    added = await records.add_repository(session, tenant_id, item.repository)
    await requeue_parked(session, tenant_id, [item.repository], jobs)
    return added.id


async def ingest_deployments(
    session: AsyncSession,
    tenant_id: int,
    batch: DeploymentBatchIn,
    settings: DeliverySettings,
    jobs: JobService,
) -> Outcome:
    """Record a batch of deployments (or their new statuses) in order."""
    window = timedelta(hours=settings.attribution_window_hours)
    created = 0
    for item in batch.deployments:
        event = DeploymentEvent(
            external_id=item.id,
            service=item.service,
            environment=item.environment,
            production=settings.is_production(item.environment),
            repository_id=await _repository_id(session, tenant_id, item, jobs),
            commit_sha=item.commit_sha,
            kind=item.kind,
            state=item.status,
            at=item.at,
        )
        created += await record_deployment(session, tenant_id, event, window)
    return Outcome(accepted=len(batch.deployments), created=created)


def _time_order(batch: IncidentBatchIn) -> None:
    errors = [
        {"loc": ["body", "incidents", index, field], "message": "must not be before created_at",
         "type": "value_error"}
        for index, item in enumerate(batch.incidents)
        for field in ("restored_at", "resolved_at")
        if getattr(item, field) is not None and getattr(item, field) < item.created_at
    ]  # fmt: skip
    if errors:
        raise ValidationFailed("an incident ends before it starts", errors=errors)


async def ingest_incidents(
    session: AsyncSession, tenant_id: int, batch: IncidentBatchIn, settings: DeliverySettings
) -> Outcome:
    """Record a batch of incidents and attribute each."""
    _duplicates([item.id for item in batch.incidents], "incidents")
    window = timedelta(hours=settings.attribution_window_hours)
    _time_order(batch)
    created = 0
    for item in batch.incidents:
        event = IncidentEvent(
            external_id=item.id,
            service=item.service,
            title=item.title,
            severity=item.severity,
            created_at=item.created_at,
            restored_at=item.restored_at,
            resolved_at=item.resolved_at,
            linked_deployment=item.deployment,
            root_cause_sha=item.root_cause_sha or root_cause_in(item.description),
        )
        created += await record_incident(session, tenant_id, event, window)
    return Outcome(accepted=len(batch.incidents), created=created)
