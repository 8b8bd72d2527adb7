"""Work items (GitHub issues): recording them as they arrive, and reading them, with the pull
requests, for other packs (search, story point estimates).

Story points come from a label, the usual way of keeping them on GitHub: ``points: 3``,
``story points: 5``, ``sp:2``, ``estimate/8`` (case-insensitive; the first such label wins).
An issue closed as ``not_planned`` is closed but not finished.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.delivery.repository import work_items as rows

POINTS_LABEL = re.compile(
    r"^\s*(?:story[\s_-]*points?|points?|sp|estimate)\s*[:=/\s]\s*(\d{1,3}(?:\.\d{1,2})?)\s*$",
    re.IGNORECASE,
)
MAX_BODY_CHARS = 20_000


@dataclass(frozen=True)
class IssueRecord:
    number: int
    title: str
    body: str | None
    author: str | None
    state: str
    state_reason: str | None
    labels: list[str]
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class WorkItemText:
    """A work item as search and estimates read it; ``id`` is stable for its life."""

    id: int
    repository: str
    number: int
    title: str
    body: str
    state: str
    finished: bool
    story_points: float | None


@dataclass(frozen=True)
class PullRequestText:
    id: int
    repository: str
    number: int
    title: str
    state: str
    labels: list[str]


def story_points_in(labels: Iterable[str]) -> float | None:
    """The story points the first points label carries, if any."""
    for label in labels:
        found = POINTS_LABEL.match(label)
        if found is not None:
            return float(found.group(1))
    return None


async def record_issue(
    session: AsyncSession, tenant_id: int, repository_id: int, issue: IssueRecord
) -> None:
    """Store the issue as a work item (or its new state)."""
    closed = issue.state == "closed"
    await rows.upsert_work_item(
        session,
        tenant_id,
        repository_id,
        {
            "number": issue.number,
            "title": issue.title[:500],
            "body": (issue.body or "")[:MAX_BODY_CHARS],
            "author": issue.author,
            "state": "closed" if closed else "open",
            "finished": closed and issue.state_reason != "not_planned",
            "story_points": story_points_in(issue.labels),
            "labels": issue.labels,
            "opened_at": issue.opened_at,
            "closed_at": issue.closed_at if closed else None,
        },
    )


async def forget_issue(
    session: AsyncSession, tenant_id: int, repository_id: int, number: int
) -> None:
    """A deleted issue is no work item any more."""
    await rows.delete_work_item(session, tenant_id, repository_id, number)


async def work_item_texts(session: AsyncSession, tenant_id: int) -> list[WorkItemText]:
    """Every work item of the tenant, oldest first."""
    return [
        WorkItemText(
            id=row[0], repository=row[1], number=row[2], title=row[3], body=row[4], state=row[5],
            finished=bool(row[6]), story_points=row[7],
        )
        for row in await rows.work_items(session, tenant_id)
    ]  # fmt: skip


async def pull_request_texts(session: AsyncSession, tenant_id: int) -> list[PullRequestText]:
    """Every pull request of the tenant, oldest first."""
    return [
        PullRequestText(
            id=row[0], repository=row[1], number=row[2], title=row[3], state=row[4],
            labels=list(row[5] or []),
        )
        for row in await rows.pull_requests(session, tenant_id)
    ]  # fmt: skip


async def text_counts(
    session: AsyncSession, tenant_id: int | None = None
) -> tuple[dict[int, int], dict[int, int]]:
    """Per tenant (every tenant, or only ``tenant_id``), how many work items and how many pull
    requests ``work_item_texts`` and ``pull_request_texts`` would read."""
    return (
        await rows.work_item_counts(session, tenant_id),
        await rows.pull_request_counts(session, tenant_id),
    )
