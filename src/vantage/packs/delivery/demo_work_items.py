"""Demo work items: GitHub issues of each demo repository, most of them finished with story
points that follow the kind of task (a typo is 1 point, a migration 8), fed through the event
applier like real issues events."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from vantage.core.db import Database
from vantage.packs.delivery.github import payloads as gh
from vantage.packs.delivery.service.github_events import EventApplier
from vantage.packs.delivery.settings import DeliverySettings

FIBONACCI = (1, 2, 3, 5, 8, 13)
# What is asked, and the points such a task usually takes.
TASKS = (
    ("Fix a typo in", 1),
    ("Add logging to", 1),
    ("Fix a crash in", 2),
    ("Add tests for", 2),
    ("Add pagination to", 3),
    ("Localize", 3),
    ("Speed up", 5),
    ("Refactor", 5),
    ("Redesign", 8),
    ("Migrate", 8),
)
AREAS = {
    "api": ("the orders endpoint", "the payment webhook", "token refresh", "the rate limiter"),
    "web": ("the checkout page", "the product grid", "the login form", "the cart drawer"),
    "mobile": ("push notifications", "the offline cache", "onboarding", "image upload"),
}
WHY = (
    "Customers reported it in support tickets.",
    "It came up in the last retrospective.",
    "Needed before the spring release.",
    "The on-call engineer flagged it twice this month.",
)


def _points(generator: random.Random, usual: int) -> int:
    """The task's usual points, or now and then the size next to it."""
    at = FIBONACCI.index(usual) + generator.choice((-1, 0, 0, 0, 1))
    return FIBONACCI[min(max(at, 0), len(FIBONACCI) - 1)]


def _issue(
    generator: random.Random, service: str, number: int, opened: datetime, now: datetime
) -> gh.IssueBody:
    task, usual = generator.choice(TASKS)
    area = generator.choice(AREAS.get(service, AREAS["api"]))
    closed = opened + timedelta(days=generator.lognormvariate(1, 0.8))
    fate = generator.random()
    state, reason = ("open", None) if closed > now or fate < 0.1 else ("closed", "completed")
    if state == "closed" and fate > 0.95:
        reason = "not_planned"
    labels = [gh.Label(name=f"service:{service}")]
    if generator.random() < 0.9:
        labels.append(gh.Label(name=f"points: {_points(generator, usual)}"))
    return gh.IssueBody(
        number=number,
        title=f"{task} {area}",
        body=f"{task} {area} in {service}. {generator.choice(WHY)}",
        user=gh.User(login=generator.choice(("ada", "grace", "linus", "margaret"))),
        state=state,
        state_reason=reason,
        labels=labels,
        created_at=opened,
        closed_at=closed if state == "closed" else None,
    )


async def load_work_items(
    database: Database,
    tenant_id: int,
    repository: tuple[int, str],
    numbers: range,
    since: datetime,
    now: datetime,
) -> int:
    """Feed one repository's issues, numbered ``numbers`` and opened after ``since``."""
    repository_id, full_name = repository
    generator = random.Random(f"{full_name}-issues")  # noqa: S311 - reproducible demo data
    reference = gh.RepositoryRef(id=len(full_name), full_name=full_name)
    service = full_name.split("/", 1)[1]
    span = (now - since).total_seconds()
    async with database.transaction() as session:
        applier = EventApplier(session, tenant_id, repository_id, DeliverySettings())
        for number in numbers:
            opened = since + timedelta(seconds=generator.uniform(0, span * 0.9))
            issue = _issue(generator, service, number, opened, now)
            action = "closed" if issue.state == "closed" else "opened"
            await applier.apply(gh.IssuesEvent(action=action, repository=reference, issue=issue))
    return len(numbers)
