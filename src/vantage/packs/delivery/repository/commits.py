"""The commit graph of a repository: commits with their parents and generations, the parents
named but not stored (gaps), and whether the generations are to be recomputed."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import chunks, insert_for
from vantage.packs.delivery.models import Commit, CommitGap, Repository

COMMITS = cast(Table, Commit.__table__)


async def add_commits(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert commits not yet known (a commit never changes)."""
    for chunk in chunks(rows, 1_000):
        await session.execute(
            insert_for(session, Commit)
            .values(list(chunk))
            .on_conflict_do_nothing(index_elements=["tenant_id", "repository_id", "sha"])
        )


async def generations_stale(
    session: AsyncSession, tenant_id: int, repository_id: int, *, lock: bool = False
) -> bool:
    """Whether the repository's generations are to be recomputed before a walk.

    ``lock``: also hold the repository's graph until the transaction ends (on PostgreSQL;
    SQLite's single writer already serializes writers), with ``FOR NO KEY UPDATE``, as rows
    being inserted that refer to the repository hold a key-share lock on it, which a plain
    ``FOR UPDATE`` would wait on.
    """
    query = select(Repository.generations_stale).where(
        Repository.tenant_id == tenant_id, Repository.id == repository_id
    )
    if lock:
        query = query.with_for_update(key_share=True)
    return bool(await session.scalar(query))


async def set_generations_stale(
    session: AsyncSession, tenant_id: int, repository_id: int, stale: bool
) -> None:
    await session.execute(
        update(Repository)
        .where(Repository.tenant_id == tenant_id, Repository.id == repository_id)
        .values(generations_stale=stale)
    )


async def nodes(
    session: AsyncSession, tenant_id: int, repository_id: int, shas: Collection[str]
) -> dict[str, tuple[list[str], int | None]]:
    """The stored commits among ``shas``: their parents and generation."""
    found: dict[str, tuple[list[str], int | None]] = {}
    for chunk in chunks(sorted(set(shas))):
        rows = await session.execute(
            select(Commit.sha, Commit.parents, Commit.generation).where(
                Commit.tenant_id == tenant_id,
                Commit.repository_id == repository_id,
                Commit.sha.in_(chunk),
            )
        )
        found.update({sha: (list(parents or []), generation) for sha, parents, generation in rows})
    return found


async def commit_graph(
    session: AsyncSession, tenant_id: int, repository_id: int
) -> dict[str, list[str]]:
    """Every known commit of the repository with its parents."""
    rows = await session.execute(
        select(Commit.sha, Commit.parents).where(
            Commit.tenant_id == tenant_id, Commit.repository_id == repository_id
        )
    )
    return {sha: list(parents or []) for sha, parents in rows}


async def generations(
    session: AsyncSession, tenant_id: int, repository_id: int
) -> dict[str, int | None]:
    """Every stored generation of the repository, by sha."""
    rows = await session.execute(
        select(Commit.sha, Commit.generation).where(
            Commit.tenant_id == tenant_id, Commit.repository_id == repository_id
        )
    )
    return {sha: generation for sha, generation in rows}


async def set_generations(
    session: AsyncSession, tenant_id: int, repository_id: int, changed: Mapping[str, int]
) -> None:
    if not changed:
        return
    statement = (
        update(COMMITS)
        .where(
            COMMITS.c.tenant_id == tenant_id,
            COMMITS.c.repository_id == repository_id,
            COMMITS.c.sha == bindparam("commit_sha"),
        )
        .values(generation=bindparam("new_generation"))
    )
    await session.execute(
        statement,
        [{"commit_sha": sha, "new_generation": value} for sha, value in sorted(changed.items())],
    )


async def filled_gaps(
    session: AsyncSession, tenant_id: int, repository_id: int, shas: Collection[str]
) -> list[str]:
    """Which of ``shas`` stored commits name as a parent without it being stored."""
    found: list[str] = []
    for chunk in chunks(sorted(set(shas))):
        rows = await session.scalars(
            select(CommitGap.sha).where(
                CommitGap.tenant_id == tenant_id,
                CommitGap.repository_id == repository_id,
                CommitGap.sha.in_(chunk),
            )
        )
        found.extend(rows)
    return found


async def add_gaps(
    session: AsyncSession, tenant_id: int, repository_id: int, shas: Collection[str]
) -> None:
    rows = [{"tenant_id": tenant_id, "repository_id": repository_id, "sha": sha}
            for sha in sorted(set(shas))]  # fmt: skip
    for chunk in chunks(rows, 1_000):
        await session.execute(
            insert_for(session, CommitGap).values(list(chunk)).on_conflict_do_nothing()
        )


async def replace_gaps(
    session: AsyncSession, tenant_id: int, repository_id: int, shas: Collection[str]
) -> None:
    """The repository's gaps become ``shas``."""
    await session.execute(
        delete(CommitGap).where(
            CommitGap.tenant_id == tenant_id, CommitGap.repository_id == repository_id
        )
    )
    await add_gaps(session, tenant_id, repository_id, shas)
