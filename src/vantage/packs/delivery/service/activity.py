"""Pull requests and commits for other packs to join on: merged pull requests with their
review rework, commits per developer and day, and one developer's work in one repository."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.delivery.repository import activity as rows_of
from vantage.packs.delivery.repository import analytics
from vantage.packs.delivery.service.identities import DeveloperIdentity, identity_index
from vantage.packs.delivery.service.ingest import PACK_NAME

__all__ = ["PACK_NAME", "activity_in_window", "commit_counts_by_day", "merged_pull_requests"]


@dataclass(frozen=True)
class MergedPullRequest:
    """A merged pull request with what the review-rework and size figures need."""

    id: int
    repository: str
    number: int
    author: str | None
    opened_at: datetime
    merged_at: datetime
    additions: int
    deletions: int
    first_review_at: datetime | None
    commits_after_first_review: int


async def merged_pull_requests(
    session: AsyncSession,
    tenant_id: int,
    start: datetime,
    end: datetime,
    developers: Collection[str] | None = None,
) -> list[MergedPullRequest]:
    """Pull requests merged in [start, end) (of the author logins given), newest first."""
    merged = await analytics.merged_pull_requests(session, tenant_id, start, end, None)
    if developers is not None:
        merged = [row for row in merged if row.author in developers]
    reworked = await rows_of.commits_after_first_review(session, tenant_id, [r.id for r in merged])
    return [
        MergedPullRequest(
            id=row.id,
            repository=row.repository,
            number=row.number,
            author=row.author,
            opened_at=row.opened_at,
            merged_at=row.merged_at,
            additions=row.additions,
            deletions=row.deletions,
            first_review_at=row.first_review_at,
            commits_after_first_review=reworked.get(row.id, 0),
        )
        for row in merged
    ]


@dataclass(frozen=True)
class DayCommits:
    """Commits one developer (an identity's key; None when unnamed) authored on one UTC day."""

    day: date
    developer: str | None
    commits: int


async def commit_counts_by_day(
    session: AsyncSession, tenant_id: int, start: datetime, end: datetime
) -> list[DayCommits]:
    """Commits authored in [start, end) per UTC day and developer; merge commits left out."""
    index = await identity_index(session, tenant_id)
    counts: Counter[tuple[date, str | None]] = Counter()
    for login, email, authored_at, parents in await rows_of.commits_authored(
        session, tenant_id, start, end
    ):
        # A merge commit records a merge (often GitHub's button), not a developer's change.
        if len(parents or []) > 1:
            continue
        identity = index.of(login, email)
        counts[(authored_at.date(), identity.key if identity else None)] += 1
    return [
        DayCommits(day, developer, commits)
        for (day, developer), commits in sorted(
            counts.items(), key=lambda i: (i[0][0], i[0][1] or "")
        )
    ]


@dataclass(frozen=True)
class LinkedPullRequest:
    repository: str
    number: int
    title: str
    author: str | None
    state: str
    opened_at: datetime
    merged_at: datetime | None


@dataclass(frozen=True)
class LinkedCommit:
    repository: str
    sha: str
    subject: str
    authored_at: datetime


@dataclass(frozen=True)
class DeveloperActivity:
    """A developer's pull requests and commits in one repository within a window."""

    pull_requests: list[LinkedPullRequest]
    commits: list[LinkedCommit]


def repository_matches(full_name: str, named: str) -> bool:
    """Whether ``owner/name`` is the repository a trace names (``owner/name``, a URL or a
    bare name, any case, with or without ``.git``)."""
    wanted = named.strip().lower().removesuffix("/").removesuffix(".git")
    # Only the last two segments count, so a URL's scheme and host (or scp-style
    # ``git@host:owner/name``) fall away once ':' separates like '/'.
    parts = [part for part in wanted.replace(":", "/").split("/") if part]
    own = full_name.lower()
    if len(parts) >= 2:
        return own == "/".join(parts[-2:])
    return bool(parts) and own.rsplit("/", 1)[-1] == parts[0]


async def activity_in_window(
    session: AsyncSession,
    tenant_id: int,
    developer: Sequence[DeveloperIdentity],
    repository: str,
    start: datetime,
    end: datetime,
) -> DeveloperActivity:
    """The pull requests and commits of ``developer`` (the identities one person commits under)
    in ``repository`` within [start, end]: commits authored then; pull requests they opened or
    merged then, or that those commits went to."""
    repositories = await analytics.repositories(session, tenant_id, None)
    repository_ids = {
        row.id for row in repositories if repository_matches(row.full_name, repository)
    }
    logins = {identity.login for identity in developer if identity.login}
    emails = {email for identity in developer for email in identity.emails}
    if not repository_ids or not (logins or emails):
        return DeveloperActivity(pull_requests=[], commits=[])
    commits = await rows_of.developer_commits(
        session, tenant_id, repository_ids, logins, emails, start, end
    )
    touched = {(c.repository_id, c.branch, c.pr_number) for c in commits}
    pulls = await rows_of.developer_pull_requests(
        session, tenant_id, repository_ids, logins, start, end, touched
    )
    return DeveloperActivity(
        pull_requests=[LinkedPullRequest(*row) for row in pulls],
        commits=[LinkedCommit(c.full_name, c.sha, c.subject, c.authored_at) for c in commits],
    )
