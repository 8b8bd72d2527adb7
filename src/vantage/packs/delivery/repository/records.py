"""Repositories, pull requests, reviews and commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import insert_for
from vantage.packs.delivery.models import Commit, MergedDay, PullRequest, Repository, Review
from vantage.packs.delivery.repository import day_counts

# Reviews that count as someone looking at the change (a pending review is not yet visible).
COUNTED_REVIEW_STATES = ("approved", "changes_requested", "commented", "dismissed")


async def repository_named(
    session: AsyncSession, tenant_id: int, full_name: str
) -> Repository | None:
    """The tenant's repository called ``owner/name`` (case-insensitive, as GitHub is)."""
    return (
        (
            await session.execute(
                select(Repository)
                .where(
                    Repository.tenant_id == tenant_id,
                    func.lower(Repository.full_name) == full_name.lower(),
                )
                .order_by(Repository.id)  # two spellings created at once: the first one stands
            )
        )
        .scalars()
        .first()
    )


async def add_repository(
    session: AsyncSession,
    tenant_id: int,
    full_name: str,
    *,
    github_id: int | None = None,
    default_branch: str | None = None,
) -> Repository:
    """The repository, created when missing under any spelling (concurrent creators agree)."""
    found = await repository_named(session, tenant_id, full_name)
    if found is None:
        found = await _inserted_repository(session, tenant_id, full_name, github_id, default_branch)
    if default_branch and found.default_branch != default_branch:
        found.default_branch = default_branch
        await session.flush()
    return found


async def _inserted_repository(
    session: AsyncSession,
    tenant_id: int,
    full_name: str,
    github_id: int | None,
    default_branch: str | None,
) -> Repository:
    await session.execute(
        insert_for(session, Repository)
        .values(
            tenant_id=tenant_id,
            full_name=full_name,
            github_id=github_id,
            default_branch=default_branch,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "full_name"])
    )
    found = await repository_named(session, tenant_id, full_name)
    assert found is not None  # inserted, or inserted by a concurrent creator
    return found


async def repository_ids(session: AsyncSession, tenant_id: int, names: Iterable[str]) -> set[int]:
    """Ids of the tenant's repositories among ``names``."""
    lowered = [name.lower() for name in names]
    if not lowered:
        return set()
    rows = await session.execute(
        select(Repository.id).where(
            Repository.tenant_id == tenant_id, func.lower(Repository.full_name).in_(lowered)
        )
    )
    return {int(row[0]) for row in rows}


async def upsert_pull_request(
    session: AsyncSession,
    tenant_id: int,
    repository_id: int,
    values: dict[str, Any],
    sticky: Iterable[str] = (),
) -> PullRequest:
    """Insert or update the pull request ``values["number"]``; the stored row. ``sticky``
    columns keep their stored value when the update carries none. The merged counts per day
    follow the row."""
    before = await _merged_tally(
        session,
        PullRequest.repository_id == repository_id,
        PullRequest.number == values["number"],
        tenant_id=tenant_id,
    )
    statement = insert_for(session, PullRequest).values(
        tenant_id=tenant_id, repository_id=repository_id, **values
    )
    changes: dict[str, Any] = {key: statement.excluded[key] for key in values if key != "number"}
    for key in sticky:
        changes[key] = func.coalesce(statement.excluded[key], getattr(PullRequest, key))
    if "merged_at" in sticky:
        merged = func.coalesce(statement.excluded.merged_at, PullRequest.merged_at)
        changes["state"] = case((merged.is_not(None), "merged"), else_=statement.excluded.state)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "repository_id", "number"], set_=changes
        )
    )
    found = await pull_request(session, tenant_id, repository_id, values["number"])
    assert found is not None
    await _count_merged(
        session, tenant_id, before, _tally_of(found.merged_at, repository_id, found.deployment_id)
    )
    return found


# Where a pull request counts: (day merged, repository id, shipped by a deployment); None
# while it is not merged.
Tally = tuple[date, int, bool] | None


def _tally_of(merged_at: datetime | None, repository_id: int, deployment_id: int | None) -> Tally:
    if merged_at is None:
        return None
    return (day_counts.utc_day(merged_at), repository_id, deployment_id is not None)


async def _merged_tally(
    session: AsyncSession, *where: ColumnElement[bool], tenant_id: int
) -> Tally:
    row = (
        await session.execute(
            select(
                PullRequest.merged_at, PullRequest.repository_id, PullRequest.deployment_id
            ).where(PullRequest.tenant_id == tenant_id, *where)
        )
    ).first()
    return None if row is None else _tally_of(*row)


async def _count_merged(session: AsyncSession, tenant_id: int, before: Tally, after: Tally) -> None:
    """Move one pull request in the merged counts per day, from ``before`` to ``after``."""
    if before == after:
        return
    for tally, step in ((before, -1), (after, 1)):
        if tally is not None:
            day, repository_id, linked = tally
            await day_counts.add(
                session,
                MergedDay,
                {"tenant_id": tenant_id, "day": day, "repository_id": repository_id},
                {"merged": 1, "linked": int(linked)},
                step,
            )


async def pull_request(
    session: AsyncSession, tenant_id: int, repository_id: int, number: int
) -> PullRequest | None:
    """The pull request ``number`` of a repository."""
    return (
        await session.execute(
            select(PullRequest)
            .where(
                PullRequest.tenant_id == tenant_id,
                PullRequest.repository_id == repository_id,
                PullRequest.number == number,
            )
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def refresh_first_review(
    session: AsyncSession, tenant_id: int, repository_id: int, number: int
) -> None:
    """Set the pull request's first review time from its reviews by others than its author."""
    first = (
        select(func.min(Review.submitted_at))
        .where(
            Review.tenant_id == tenant_id,
            Review.repository_id == repository_id,
            Review.pull_number == number,
            Review.state.in_(COUNTED_REVIEW_STATES),
            func.coalesce(Review.reviewer, "") != func.coalesce(PullRequest.author, ""),
        )
        .scalar_subquery()
    )
    await session.execute(
        update(PullRequest)
        .where(
            PullRequest.tenant_id == tenant_id,
            PullRequest.repository_id == repository_id,
            PullRequest.number == number,
        )
        .values(first_review_at=first)
    )


async def refresh_first_commit(
    session: AsyncSession, tenant_id: int, repository_id: int, number: int
) -> None:
    """Set the pull request's first commit time: the earliest authored commit of its branch."""
    first = (
        select(func.min(Commit.authored_at))
        .where(
            Commit.tenant_id == tenant_id,
            Commit.repository_id == repository_id,
            Commit.branch == PullRequest.head_ref,
        )
        .scalar_subquery()
    )
    await session.execute(
        update(PullRequest)
        .where(
            PullRequest.tenant_id == tenant_id,
            PullRequest.repository_id == repository_id,
            PullRequest.number == number,
        )
        .values(first_commit_at=first)
    )


async def upsert_review(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert or update one review (by GitHub's review id)."""
    statement = insert_for(session, Review).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "repository_id", "github_id"],
            set_={
                "state": statement.excluded.state,
                "submitted_at": statement.excluded.submitted_at,
            },
        )
    )


async def commit(
    session: AsyncSession, tenant_id: int, repository_id: int, sha: str
) -> Commit | None:
    """One known commit of the repository."""
    return (
        await session.execute(
            select(Commit).where(
                Commit.tenant_id == tenant_id,
                Commit.repository_id == repository_id,
                Commit.sha == sha,
            )
        )
    ).scalar_one_or_none()


async def set_merge_method(
    session: AsyncSession, tenant_id: int, pull_request_id: int, method: str
) -> None:
    """Record how a pull request was merged."""
    await session.execute(
        update(PullRequest)
        .where(PullRequest.tenant_id == tenant_id, PullRequest.id == pull_request_id)
        .values(merge_method=method)
    )


async def branch_prs(
    session: AsyncSession, tenant_id: int, repository_id: int, branches: Iterable[str]
) -> Sequence[int]:
    """Numbers of the pull requests whose head branch is one of ``branches``."""
    names = list(set(branches))
    if not names:
        return []
    rows = await session.execute(
        select(PullRequest.number).where(
            PullRequest.tenant_id == tenant_id,
            PullRequest.repository_id == repository_id,
            PullRequest.head_ref.in_(names),
        )
    )
    return [int(row[0]) for row in rows]


async def merged_prs_with_shas(
    session: AsyncSession, tenant_id: int, repository_id: int, shas: Iterable[str]
) -> Sequence[PullRequest]:
    """Merged pull requests of the repository whose merge commit is among ``shas``."""
    wanted = list(set(shas))
    if not wanted:
        return []
    found: list[PullRequest] = []
    for start in range(0, len(wanted), 500):
        rows = await session.execute(
            select(PullRequest).where(
                PullRequest.tenant_id == tenant_id,
                PullRequest.repository_id == repository_id,
                PullRequest.merged_at.is_not(None),
                PullRequest.merge_commit_sha.in_(wanted[start : start + 500]),
            )
        )
        found.extend(rows.scalars().all())
    return found


async def merged_prs_between(
    session: AsyncSession,
    tenant_id: int,
    repository_id: int,
    after: datetime | None,
    until: datetime,
) -> Sequence[PullRequest]:
    """Merged pull requests of the repository merged in (after, until]."""
    conditions = [
        PullRequest.tenant_id == tenant_id,
        PullRequest.repository_id == repository_id,
        PullRequest.merged_at.is_not(None),
        PullRequest.merged_at <= until,
    ]
    if after is not None:
        conditions.append(PullRequest.merged_at > after)
    rows = await session.execute(select(PullRequest).where(and_(*conditions)))
    return rows.scalars().all()


async def link_pull_request(
    session: AsyncSession, tenant_id: int, pull_request_id: int, deployment_id: int
) -> None:
    """Record which deployment shipped the pull request. Shipped for the first time, it
    counts as linked on its merge day; moved to another deployment, the counts stand."""
    where = (PullRequest.tenant_id == tenant_id, PullRequest.id == pull_request_id)
    first = (
        await session.execute(
            update(PullRequest)
            .where(*where, PullRequest.deployment_id.is_(None))
            .values(deployment_id=deployment_id)
            .returning(PullRequest.merged_at, PullRequest.repository_id)
        )
    ).first()
    if first is None:
        await session.execute(update(PullRequest).where(*where).values(deployment_id=deployment_id))
    elif first.merged_at is not None:
        await day_counts.add(
            session,
            MergedDay,
            {
                "tenant_id": tenant_id,
                "day": day_counts.utc_day(first.merged_at),
                "repository_id": first.repository_id,
            },
            {"merged": 0, "linked": 1},
            1,
        )
