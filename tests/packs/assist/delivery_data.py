"""Delivery data for assist's tests: issues and pull requests fed through delivery's event
applier, as GitHub's webhooks feed them."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.support.auth import app_of
from vantage.packs.delivery.github import payloads as gh
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service.github_events import EventApplier
from vantage.packs.delivery.settings import DeliverySettings

REPO = "acme/api"
OPENED = "2025-03-01T10:00:00Z"


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str = ""
    points: float | None = None
    finished: bool = True


def _issue_event(issue: Issue) -> gh.IssuesEvent:
    labels = [] if issue.points is None else [{"name": f"points: {issue.points:g}"}]
    closed = {"state": "closed", "state_reason": "completed", "closed_at": "2025-03-05T10:00:00Z"}
    body = {"number": issue.number, "title": issue.title, "body": issue.body, "labels": labels}
    return gh.IssuesEvent.model_validate(
        {
            "action": "closed" if issue.finished else "opened",
            "repository": {"id": 1, "full_name": REPO},
            "issue": body | {"created_at": OPENED} | (closed if issue.finished else {}),
        }
    )


def _pull_request_event(number: int, title: str) -> gh.PullRequestEvent:
    branch = {"ref": f"change-{number}", "sha": "a" * 40}
    return gh.PullRequestEvent.model_validate(
        {
            "action": "opened",
            "repository": {"id": 1, "full_name": REPO},
            "pull_request": {
                "number": number,
                "title": title,
                "state": "open",
                "created_at": OPENED,
                "head": branch,
                "base": {"ref": "main", "sha": "b" * 40},
            },
        }
    )


async def feed(
    client: httpx.AsyncClient,
    tenant_id: int,
    issues: list[Issue] = [],  # noqa: B006 - never changed
    pull_requests: list[tuple[int, str]] = [],  # noqa: B006 - never changed
) -> None:
    """Apply the issues and pull requests (number, title) to the tenant's ``acme/api``."""
    database = app_of(client).state.database
    async with database.transaction() as session:
        repository = await records.repository_named(session, tenant_id, REPO)
        if repository is None:
            repository = await records.add_repository(session, tenant_id, REPO)
        applier = EventApplier(session, tenant_id, repository.id, DeliverySettings())
        for issue in issues:
            await applier.apply(_issue_event(issue))
        for number, title in pull_requests:
            await applier.apply(_pull_request_event(number, title))
