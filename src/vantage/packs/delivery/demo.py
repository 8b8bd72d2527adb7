"""Demo data: two teams, three repositories, weeks of pull requests, deployments, incidents
and work items with realistic spreads, fed through the pack's own ingest services (GitHub
events through the event applier, deployments and incidents through the services the push API
uses)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from vantage.core.db import Database
from vantage.core.packs import DemoContext
from vantage.packs.delivery.demo_work_items import load_work_items
from vantage.packs.delivery.github import payloads as gh
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.schemas import OwnershipBatchIn, OwnershipIn
from vantage.packs.delivery.service import portfolio
from vantage.packs.delivery.service.github_events import EventApplier
from vantage.packs.delivery.service.ingest import (
    DeploymentEvent,
    IncidentEvent,
    record_deployment,
    record_incident,
)
from vantage.packs.delivery.settings import DeliverySettings

WEEKS = {"small": 8, "medium": 26, "large": 52}
PEOPLE = ["ada", "grace", "linus", "margaret", "ken", "barbara", "dennis", "frances"]
SEED = 20250301


@dataclass(frozen=True)
class DemoRepository:
    full_name: str
    service: str
    team: str
    project: str
    pulls_per_week: float
    deploy_chance: float  # per working day
    incident_chance: float  # per deployment


REPOSITORIES = (
    DemoRepository("acme/api", "api", "core", "shop", 12, 0.8, 0.12),
    DemoRepository("acme/web", "web", "growth", "shop", 8, 0.5, 0.08),
    DemoRepository("acme/mobile", "mobile", "growth", "app", 4, 0.15, 0.2),
)


def _sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - an id, not a secret digest


@dataclass
class RepositoryHistory:
    """What one repository's demo history has produced so far."""

    repository: DemoRepository
    repository_id: int
    tip: str | None = None
    number: int = 0
    deployments: int = 0
    merged: list[str] = field(default_factory=list)


class DemoFeeder:
    """Generates one repository's weeks and feeds them to the ingest services."""

    def __init__(self, database: Database, tenant_id: int, generator: random.Random) -> None:
        self.database = database
        self.tenant_id = tenant_id
        self.random = generator
        self.settings = DeliverySettings()

    def _hours(self, median: float) -> timedelta:
        """A log-normal duration: most are short, a few take days."""
        return timedelta(hours=self.random.lognormvariate(0, 0.9) * median)

    async def _apply(self, history: RepositoryHistory, events: list[gh.GitHubEvent]) -> None:
        async with self.database.transaction() as session:
            applier = EventApplier(session, self.tenant_id, history.repository_id, self.settings)
            for event in events:
                await applier.apply(event)

    async def pull_request(self, history: RepositoryHistory, merged_at: datetime) -> None:
        """A pull request merged at ``merged_at``: its branch, reviews and merge commit."""
        history.number += 1
        number, repo = history.number, history.repository
        author, reviewer = self.random.sample(PEOPLE, 2)
        review_at = merged_at - self._hours(3)
        opened = review_at - self._hours(4)
        first_commit = opened - self._hours(10)
        reference = gh.RepositoryRef(id=len(repo.full_name), full_name=repo.full_name)
        branch = f"{author}/change-{number}"
        person = gh.GitPerson(name=author.title(), email=f"{author}@acme.test", username=author)
        work = [
            gh.PushCommit(
                id=_sha(f"{repo.full_name}-{number}-{i}"),
                message=f"Work {i}",
                timestamp=first_commit + timedelta(minutes=40 * i),
                author=person,
                committer=person,
            )
            for i in range(self.random.randint(1, 4))
        ]
        merge = gh.PushCommit(
            id=_sha(f"{repo.full_name}-merge-{number}"),
            message=f"Change {number} (#{number})",
            timestamp=merged_at,
            author=person,
            committer=person,
        )
        size = int(self.random.lognormvariate(4, 1.1))
        body = gh.PullRequestBody(
            number=number,
            title=f"Change {number}",
            user=gh.User(login=author),
            state="closed",
            created_at=opened,
            merged_at=merged_at,
            closed_at=merged_at,
            merge_commit_sha=merge.id,
            additions=size,
            deletions=size // 3,
            head=gh.BranchRef(ref=branch, sha=work[-1].id),
            base=gh.BranchRef(ref="main", sha="0" * 40),
        )
        review = gh.ReviewBody(
            id=number * 10 + len(repo.service),
            user=gh.User(login=reviewer),
            state="approved",
            submitted_at=review_at,
        )
        await self._apply(
            history,
            [
                gh.PushEvent(
                    ref=f"refs/heads/{branch}",
                    before=history.tip or "0" * 40,
                    after=work[-1].id,
                    repository=reference,
                    commits=work,
                ),
                gh.PullRequestEvent(action="closed", repository=reference, pull_request=body),
                gh.PullRequestReviewEvent(
                    action="submitted",
                    repository=reference,
                    review=review,
                    pull_request=gh.PullRequestNumber(number=number),
                ),
                gh.PushEvent(
                    ref="refs/heads/main",
                    before=history.tip or "0" * 40,
                    after=merge.id,
                    repository=reference,
                    commits=[merge],
                ),
            ],
        )
        history.tip = merge.id

    async def deploy(self, history: RepositoryHistory, at: datetime) -> None:
        """Deploy the repository's main branch; now and then it breaks something."""
        repo = history.repository
        history.deployments += 1
        label = f"{repo.service}-{history.deployments}"
        kind = "normal"
        if self.random.random() < 0.05:
            kind = self.random.choice(["hotfix", "rollback", "revert"])
        failed = self.random.random() < 0.04
        window = timedelta(hours=self.settings.attribution_window_hours)
        deployment = DeploymentEvent(
            external_id=label,
            service=repo.service,
            environment="production",
            production=True,
            repository_id=history.repository_id,
            commit_sha=history.tip,
            kind=kind,
            state="failure" if failed else "success",
            at=at,
        )
        async with self.database.transaction() as session:
            await record_deployment(session, self.tenant_id, deployment, window)
            if not failed and self.random.random() < repo.incident_chance:
                created = at + self._hours(6)
                restored = created + self._hours(1.5)
                incident = IncidentEvent(
                    external_id=f"inc-{label}",
                    service=repo.service,
                    title=f"{repo.service} errors",
                    severity=self.random.choice(["sev1", "sev2", "sev3"]),
                    created_at=created,
                    restored_at=restored,
                    resolved_at=restored + self._hours(4),
                    linked_deployment=None,
                    root_cause_sha=None,
                )
                await record_incident(session, self.tenant_id, incident, window)


async def _day(feeder: DemoFeeder, history: RepositoryHistory, day: datetime) -> None:
    repo = history.repository
    weekday = day.weekday() < 5
    expected = repo.pulls_per_week / 5 if weekday else repo.pulls_per_week / 40
    merges = sorted(feeder.random.uniform(9, 18) for _ in range(_poisson(feeder.random, expected)))
    for hour in merges:
        await feeder.pull_request(history, day + timedelta(hours=hour))
    if weekday and history.tip and feeder.random.random() < repo.deploy_chance:
        await feeder.deploy(history, day + timedelta(hours=feeder.random.uniform(18, 20)))


def _poisson(generator: random.Random, mean: float) -> int:
    count, threshold, product = 0, pow(2.718281828459045, -mean), generator.random()
    while product > threshold:
        count += 1
        product *= generator.random()
    return count


async def load_demo(context: DemoContext) -> str:
    """Load the scale's weeks of delivery history for three repositories."""
    weeks = WEEKS[context.scale]
    generator = random.Random(SEED)  # noqa: S311 - reproducible demo data
    feeder = DemoFeeder(context.database, context.tenant_id, generator)
    today = datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)
    start = today - timedelta(weeks=weeks)
    histories = []
    async with context.database.transaction() as session:
        for repo in REPOSITORIES:
            row = await records.add_repository(session, context.tenant_id, repo.full_name)
            histories.append(RepositoryHistory(repo, row.id))
        await portfolio.save_ownership(
            session,
            context.tenant_id,
            OwnershipBatchIn(
                entries=[
                    OwnershipIn(kind="repository", name=r.full_name, team=r.team, project=r.project)
                    for r in REPOSITORIES
                ]
            ),
        )
    days = weeks * 7
    for offset in range(days):
        day = start + timedelta(days=offset)
        for history in histories:
            await _day(feeder, history, day)
        context.progress(offset + 1, days)
    pulls = sum(h.number for h in histories)
    deployments = sum(h.deployments for h in histories)
    items = 0
    for h in histories:
        # Issues and pull requests share a repository's numbers; the issues follow.
        numbers = range(h.number + 1, h.number + 1 + int(h.repository.pulls_per_week * weeks / 3))
        where = (h.repository_id, h.repository.full_name)
        items += await load_work_items(
            context.database, context.tenant_id, where, numbers, start, today
        )
    return (
        f"{pulls:,} pull requests, {deployments:,} deployments and {items:,} work items "
        f"over {weeks} weeks"
    )
