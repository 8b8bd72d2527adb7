"""GitHub webhooks: receipt (signature, validation, deduplication, queueing) and processing.

Receipt and processing are tracked apart: a delivery is stored once per ``X-GitHub-Delivery``
and processed from the job queue; a redelivery of a delivery whose processing failed queues it
once more, and any other redelivery changes nothing.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import utcnow
from vantage.core.errors import ValidationFailed
from vantage.core.jobs import JobService
from vantage.core.text import LINE_MESSAGE, line_problem
from vantage.packs.delivery.github.payloads import EVENT_MODELS, GitHubEvent
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.repository import sources as source_rows
from vantage.packs.delivery.repository import webhooks as delivery_rows
from vantage.packs.delivery.service.github_events import EventApplier
from vantage.packs.delivery.settings import DeliverySettings

PROCESS_JOB = "delivery.process_webhook"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"
REJECTED = "the webhook signature does not match a configured source"
EVENT_LIMIT = 64
DELIVERY_LIMIT = 100


@dataclass(frozen=True)
class WebhookRequest:
    """What the receiver needs from one HTTP request."""

    source_id: int | None
    event: str | None
    delivery_id: str | None
    signature: str | None
    body: bytes


@dataclass(frozen=True)
class ValidDelivery:
    """A delivery's headers and payload once validated (``parsed`` is None for other events)."""

    event: str
    delivery_id: str
    parsed: GitHubEvent | None


@dataclass(frozen=True)
class Receipt:
    tenant_id: int
    delivery_id: str
    event: str
    status: str


@dataclass(frozen=True)
class Processed:
    """How processing one delivery ended (``status`` is the delivery's new status)."""

    tenant_id: int
    delivery_id: str
    event: str
    action: str | None
    repository: str | None
    status: str


def tracks(patterns: Sequence[str], full_name: str) -> bool:
    """Whether a source's repository patterns (``owner/name`` or ``owner/*``) cover a repo."""
    name = full_name.lower()
    return any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in patterns)


def _header_error(header: str, message: str, kind: str) -> dict[str, Any]:
    return {"loc": ["header", header], "message": message, "type": kind}


def _header(value: str | None, header: str, limit: int) -> tuple[str | None, list[dict[str, Any]]]:
    """The header's value (a single line of 1 to ``limit`` characters), or why it is refused."""
    stripped = (value or "").strip()
    if not 0 < len(stripped) <= limit:
        return None, [_header_error(header, f"required, 1-{limit} characters", "value_error")]
    # Both headers are stored, and name the delivery in answers and logs.
    if line_problem(stripped):
        return None, [_header_error(header, LINE_MESSAGE, "control_character")]
    return stripped, []


def _event_of(event: str, body: bytes) -> tuple[GitHubEvent | None, list[dict[str, Any]]]:
    """The validated payload of a known event (None for another event), or its bad fields."""
    model = EVENT_MODELS.get(event)
    if model is None:
        return None, []
    try:
        parsed = model.model_validate_json(body)
    except ValidationError as error:
        return None, [
            {"loc": ["body", *item["loc"]], "message": item["msg"], "type": item["type"]}
            for item in error.errors(include_url=False)
        ]
    return parsed, []  # type: ignore[return-value]


def parse_event(event: str, body: bytes) -> GitHubEvent | None:
    """The validated payload of a known event, None for an event the pack does not read."""
    parsed, errors = _event_of(event, body)
    if errors:
        raise ValidationFailed(f"the {event} payload is not valid", errors=errors)
    return parsed


def validate_delivery(request: WebhookRequest) -> ValidDelivery:
    """The delivery's headers and payload; one 422 names every bad header and payload field."""
    event, errors = _header(request.event, EVENT_HEADER, EVENT_LIMIT)
    delivery_id, delivery_errors = _header(request.delivery_id, DELIVERY_HEADER, DELIVERY_LIMIT)
    errors += delivery_errors
    parsed = None
    if event is not None:
        parsed, payload_errors = _event_of(event, request.body)
        errors += payload_errors
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s); nothing was stored", errors=errors)
    assert event is not None and delivery_id is not None
    return ValidDelivery(event, delivery_id, parsed)


def repository_in(body: bytes) -> str | None:
    """The ``repository.full_name`` of an event the pack does not read, when it can be stored."""
    try:
        document: Any = json.loads(body)
    except ValueError:
        return None
    repository = document.get("repository") if isinstance(document, dict) else None
    name = repository.get("full_name") if isinstance(repository, dict) else None
    if not isinstance(name, str) or len(name) > 200 or line_problem(name):
        return None
    return name


async def process(
    session: AsyncSession, tenant_id: int, row_id: int, settings: DeliverySettings
) -> Processed | None:
    """Apply a stored delivery; None when it is not waiting to be processed."""
    row = await delivery_rows.claim(session, tenant_id, row_id)
    if row is None:
        return None
    parsed = parse_event(row.event, row.payload)
    status = delivery_rows.PROCESSED
    if parsed is None:
        status = delivery_rows.IGNORED
    else:
        repository = await _tracked_repository(session, row.source_id, tenant_id, parsed)
        if repository is None:
            status = delivery_rows.PARKED
        else:
            await EventApplier(session, tenant_id, repository, settings).apply(parsed)
    await delivery_rows.finish(session, tenant_id, row.id, status, utcnow())
    return Processed(tenant_id, row.delivery_id, row.event, row.action, row.repository, status)


async def _tracked_repository(
    session: AsyncSession, source_id: int, tenant_id: int, event: GitHubEvent
) -> int | None:
    """The repository's id when it is tracked (registering it when its source covers it)."""
    ref = event.repository
    found = await records.repository_named(session, tenant_id, ref.full_name)
    if found is not None:
        return found.id
    source = await source_rows.get(session, tenant_id, source_id)
    if source is None or not tracks(source.repositories, ref.full_name):
        return None
    added = await records.add_repository(
        session, tenant_id, ref.full_name, github_id=ref.id, default_branch=ref.default_branch
    )
    return added.id


async def mark_failed(session: AsyncSession, tenant_id: int, row_id: int, error: str) -> None:
    """Record that processing failed (a redelivery will queue it again)."""
    await delivery_rows.finish(
        session, tenant_id, row_id, delivery_rows.FAILED, utcnow(), error, count_attempt=True
    )


async def requeue_parked(
    session: AsyncSession, tenant_id: int, repositories: Sequence[str], jobs: JobService
) -> int:
    """Deliveries parked for repositories that are now tracked go back to the queue."""
    queued = 0
    for full_name in repositories:
        for row_id in await delivery_rows.unpark(session, tenant_id, full_name):
            await jobs.enqueue(session, tenant_id, PROCESS_JOB, {"delivery": row_id})
            queued += 1
    return queued
