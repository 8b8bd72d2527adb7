"""The reads other packs join their data on: rework counts, commits in a window, and one
developer's pull requests and commits in one repository."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import tenant_rows
from vantage.packs.delivery.models import Commit, PullRequest, Repository

CHUNK = 500


async def commits_after_first_review(
    session: AsyncSession, tenant_id: int, pull_request_ids: Iterable[int]
) -> dict[int, int]:
    """Per pull request: commits on its branch authored after its first review."""
    ids = sorted(set(pull_request_ids))
    found: dict[int, int] = {}
    for begin in range(0, len(ids), CHUNK):
        rows = await session.execute(
            select(PullRequest.id, func.count(Commit.id))
            .join(
                Commit,
                and_(
                    Commit.tenant_id == tenant_id,
                    Commit.repository_id == PullRequest.repository_id,
                    Commit.branch == PullRequest.head_ref,
                    Commit.authored_at > PullRequest.first_review_at,
                ),
            )
            .where(
                tenant_rows(
                    PullRequest.tenant_id, tenant_id, PullRequest.id, ids[begin : begin + CHUNK]
                )
            )
            .group_by(PullRequest.id)
        )
        found |= {int(pull_id): int(count) for pull_id, count in rows}
    return found


async def commits_authored(
    session: AsyncSession, tenant_id: int, start: datetime, end: datetime
) -> Sequence[Any]:
    """Commits authored in [start, end): author login, e-mail, authored_at and parents."""
    rows = await session.execute(
        select(Commit.author_login, Commit.author_email, Commit.authored_at, Commit.parents).where(
            Commit.tenant_id == tenant_id, Commit.authored_at >= start, Commit.authored_at < end
        )
    )
    return rows.all()


async def developer_commits(
    session: AsyncSession,
    tenant_id: int,
    repository_ids: Collection[int],
    logins: Collection[str],
    emails: Collection[str],
    start: datetime,
    end: datetime,
) -> Sequence[Any]:
    """Commits of the given authors in the repositories, authored in [start, end], in time order."""
    rows = await session.execute(
        select(
            Repository.full_name,
            Commit.sha,
            Commit.subject,
            Commit.branch,
            Commit.pr_number,
            Commit.authored_at,
            Commit.repository_id,
        )
        .join(Repository, Repository.id == Commit.repository_id)
        .where(
            Commit.tenant_id == tenant_id,
            Commit.repository_id.in_(sorted(repository_ids)),
            or_(
                Commit.author_login.in_(sorted(logins)),
                func.lower(Commit.author_email).in_(sorted(emails)),
            ),
            Commit.authored_at >= start,
            Commit.authored_at <= end,
        )
        .order_by(Commit.authored_at, Commit.sha)
    )
    return rows.all()


async def developer_pull_requests(
    session: AsyncSession,
    tenant_id: int,
    repository_ids: Collection[int],
    logins: Collection[str],
    start: datetime,
    end: datetime,
    touched: Collection[tuple[int, str | None, int | None]],
) -> Sequence[Any]:
    """Pull requests in the repositories opened or merged in [start, end] by the authors, or
    touched by one of the (repository id, branch, pull number) given, in opening order."""
    by_author = and_(
        PullRequest.author.in_(sorted(logins)),
        or_(
            PullRequest.opened_at.between(start, end),
            PullRequest.merged_at.between(start, end),
        ),
    )
    by_commit = [
        and_(
            PullRequest.repository_id == repository_id,
            or_(PullRequest.head_ref == branch, PullRequest.number == number),
        )
        for repository_id, branch, number in touched
    ]
    rows = await session.execute(
        select(
            Repository.full_name,
            PullRequest.number,
            PullRequest.title,
            PullRequest.author,
            PullRequest.state,
            PullRequest.opened_at,
            PullRequest.merged_at,
        )
        .join(Repository, Repository.id == PullRequest.repository_id)
        .where(
            PullRequest.tenant_id == tenant_id,
            PullRequest.repository_id.in_(sorted(repository_ids)),
            or_(by_author, *by_commit),
        )
        .order_by(PullRequest.opened_at, PullRequest.number)
    )
    return rows.all()
