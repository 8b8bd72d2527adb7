"""The reads behind pull request, contributor and repository analytics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import tenant_rows
from vantage.packs.delivery.models import Commit, Deployment, PullRequest, Repository, Review
from vantage.packs.delivery.repository.shipped_days import SUCCESS

CHUNK = 500


def _in_repositories(column: Any, repository_ids: frozenset[int] | None) -> list[Any]:
    return [] if repository_ids is None else [column.in_(sorted(repository_ids))]


async def merged_pull_requests(
    session: AsyncSession,
    tenant_id: int,
    start: datetime,
    end: datetime,
    repository_ids: frozenset[int] | None,
) -> Sequence[Any]:
    """Pull requests merged in [start, end) with their repository's name, newest first."""
    rows = await session.execute(
        select(
            PullRequest.id,
            PullRequest.repository_id,
            Repository.full_name.label("repository"),
            PullRequest.number,
            PullRequest.title,
            PullRequest.author,
            PullRequest.head_ref,
            PullRequest.opened_at,
            PullRequest.merged_at,
            PullRequest.first_commit_at,
            PullRequest.first_review_at,
            PullRequest.additions,
            PullRequest.deletions,
            PullRequest.merge_method,
            PullRequest.deployment_id,
        )
        .join(Repository, Repository.id == PullRequest.repository_id)
        .where(
            PullRequest.tenant_id == tenant_id,
            Repository.tenant_id == tenant_id,
            PullRequest.merged_at >= start,
            PullRequest.merged_at < end,
            *_in_repositories(PullRequest.repository_id, repository_ids),
        )
        .order_by(PullRequest.merged_at.desc(), PullRequest.id.desc())
    )
    return rows.all()


async def review_counts(
    session: AsyncSession, tenant_id: int, repository_ids: Iterable[int]
) -> dict[tuple[int, int], tuple[int, int]]:
    """Per (repository, pull number): reviews and distinct reviewers."""
    ids = sorted(set(repository_ids))
    found: dict[tuple[int, int], tuple[int, int]] = {}
    for begin in range(0, len(ids), CHUNK):
        rows = await session.execute(
            select(
                Review.repository_id,
                Review.pull_number,
                func.count(Review.id),
                func.count(func.distinct(Review.reviewer)),
            )
            .where(
                Review.tenant_id == tenant_id, Review.repository_id.in_(ids[begin : begin + CHUNK])
            )
            .group_by(Review.repository_id, Review.pull_number)
        )
        for repository_id, number, reviews, reviewers in rows:
            found[(int(repository_id), int(number))] = (int(reviews), int(reviewers))
    return found


async def reworked_pull_requests(
    session: AsyncSession, tenant_id: int, pull_request_ids: Iterable[int]
) -> set[int]:
    """Pull requests with a commit on their branch authored after their first review."""
    ids = sorted(set(pull_request_ids))
    found: set[int] = set()
    for begin in range(0, len(ids), CHUNK):
        rows = await session.execute(
            select(PullRequest.id)
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
            .distinct()
        )
        found |= {int(row[0]) for row in rows}
    return found


async def commits_between(
    session: AsyncSession,
    tenant_id: int,
    start: datetime,
    end: datetime,
    repository_ids: frozenset[int] | None,
) -> Sequence[Any]:
    """Commits authored in [start, end): repository, author identity, authored_at."""
    rows = await session.execute(
        select(
            Commit.repository_id,
            func.coalesce(Commit.author_login, Commit.author_email, Commit.author_name).label(
                "author"
            ),
            Commit.authored_at,
        ).where(
            Commit.tenant_id == tenant_id,
            Commit.authored_at >= start,
            Commit.authored_at < end,
            *_in_repositories(Commit.repository_id, repository_ids),
        )
    )
    return rows.all()


async def opened_pull_requests(
    session: AsyncSession,
    tenant_id: int,
    start: datetime,
    end: datetime,
    repository_ids: frozenset[int] | None,
) -> Sequence[Any]:
    """Pull requests opened in [start, end): author and whether merged."""
    rows = await session.execute(
        select(PullRequest.author, PullRequest.merged_at).where(
            PullRequest.tenant_id == tenant_id,
            PullRequest.opened_at >= start,
            PullRequest.opened_at < end,
            *_in_repositories(PullRequest.repository_id, repository_ids),
        )
    )
    return rows.all()


async def reviews_given(
    session: AsyncSession,
    tenant_id: int,
    start: datetime,
    end: datetime,
    repository_ids: frozenset[int] | None,
) -> Sequence[Any]:
    """Reviews submitted in [start, end) with the reviewed pull request's author."""
    rows = await session.execute(
        select(Review.reviewer, PullRequest.author)
        .join(
            PullRequest,
            and_(
                PullRequest.tenant_id == tenant_id,
                PullRequest.repository_id == Review.repository_id,
                PullRequest.number == Review.pull_number,
            ),
        )
        .where(
            Review.tenant_id == tenant_id,
            Review.submitted_at >= start,
            Review.submitted_at < end,
            *_in_repositories(Review.repository_id, repository_ids),
        )
    )
    return rows.all()


async def repositories(
    session: AsyncSession, tenant_id: int, repository_ids: frozenset[int] | None
) -> Sequence[Any]:
    """The tenant's repositories by name."""
    rows = await session.execute(
        select(Repository.id, Repository.full_name)
        .where(Repository.tenant_id == tenant_id, *_in_repositories(Repository.id, repository_ids))
        .order_by(Repository.full_name)
    )
    return rows.all()


async def deployments_between(
    session: AsyncSession,
    tenant_id: int,
    start: datetime,
    end: datetime,
    repository_ids: frozenset[int] | None,
) -> Sequence[Any]:
    """Successful production deployments in [start, end) by repository, in time order."""
    rows = await session.execute(
        select(Deployment.repository_id, Deployment.deployed_at)
        .where(
            Deployment.tenant_id == tenant_id,
            Deployment.production.is_(True),
            Deployment.result == SUCCESS,
            Deployment.deployed_at >= start,
            Deployment.deployed_at < end,
            Deployment.repository_id.is_not(None),
            *_in_repositories(Deployment.repository_id, repository_ids),
        )
        .order_by(Deployment.deployed_at)
    )
    return rows.all()


async def identities(session: AsyncSession, tenant_id: int) -> Sequence[Any]:
    """Distinct (login, e-mail, name) of commit authors and committers."""
    authors = select(Commit.author_login, Commit.author_email, Commit.author_name).where(
        Commit.tenant_id == tenant_id
    )
    committers = select(
        Commit.committer_login, Commit.committer_email, Commit.committer_name
    ).where(Commit.tenant_id == tenant_id)
    rows = await session.execute(authors.union(committers))
    return rows.all()
