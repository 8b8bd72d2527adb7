"""Commit ranges and ancestry answered by walks over generations equal those of the whole
graph, for random histories (merges, parents never stored) stored in random batches and
orders, on SQLite and PostgreSQL; and a range between two deployments reads only the commits
near them."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.packs.delivery.support import sha_of
from tests.support.property_databases import new_tenant, opened_database
from vantage.core.db import Database
from vantage.packs.delivery.models import Commit, CommitGap
from vantage.packs.delivery.repository import commits as commit_rows
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service import commits as walks
from vantage.packs.delivery.service.graph import ancestors, commit_range, generations_of

WHEN = datetime(2025, 3, 3, tzinfo=UTC)


def _row(tenant_id: int, repository_id: int, sha: str, parents: Sequence[str]) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "repository_id": repository_id, "sha": sha,
            "parents": list(parents), "subject": sha[:8], "authored_at": WHEN,
            "committed_at": WHEN}  # fmt: skip


@st.composite
def histories(draw: st.DrawFn) -> dict[str, Any]:
    """Commits naming earlier ones (or a parent never stored) as parents, the order and
    batches they arrive in, and the questions asked."""
    size = draw(st.integers(1, 24))
    parents: dict[str, list[str]] = {}
    for index in range(size):
        earlier = list(parents)
        chosen = (
            draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
        )
        if draw(st.integers(0, 9)) == 0:
            chosen.append(sha_of(f"missing-{index}"))
        parents[sha_of(f"c{index}")] = chosen
    shas = list(parents)
    arrival = draw(st.permutations(shas))
    cuts = sorted(draw(st.lists(st.integers(1, size), max_size=4)))
    candidates = st.sampled_from([*shas, sha_of("missing-0"), sha_of("unknown")])
    pairs = st.tuples(candidates, st.one_of(st.none(), candidates))
    questions = draw(st.lists(pairs, min_size=1, max_size=8))
    return {"parents": parents, "arrival": arrival, "cuts": cuts, "questions": questions}


async def _store(database: Database, tenant_id: int, case: dict[str, Any]) -> int:
    async with database.transaction() as session:
        repository = await records.add_repository(session, tenant_id, "acme/graph")
    arrival, bounds = case["arrival"], [0, *case["cuts"], len(case["arrival"])]
    for start, end in itertools.pairwise(bounds):
        rows = [
            _row(tenant_id, repository.id, sha, case["parents"][sha]) for sha in arrival[start:end]
        ]
        async with database.transaction() as session:
            await walks.store_commits(session, tenant_id, repository.id, rows)
    return repository.id


async def _check_questions(
    database: Database, tenant_id: int, repository_id: int, case: dict[str, Any]
) -> None:
    graph: dict[str, list[str]] = case["parents"]
    for head, other in case["questions"]:
        async with database.transaction() as session:
            shipped = await walks.shipped_between(session, tenant_id, repository_id, head, other)
            reached = None
            if other is not None:
                reached = await walks.reaches(session, tenant_id, repository_id, head, other)
        if head not in graph:
            assert shipped is None and reached is None
            continue
        assert shipped == commit_range(graph, head, other if other in graph else None)
        if other is not None:
            assert reached == (other in ancestors(graph, head))
    await _check_first_reaching(database, tenant_id, repository_id, case)


async def _check_first_reaching(
    database: Database, tenant_id: int, repository_id: int, case: dict[str, Any]
) -> None:
    """The first of the questions' heads that reaches the first question's other commit (a
    head not stored counts), as the whole graph says."""
    graph: dict[str, list[str]] = case["parents"]
    heads = [head for head, _ in case["questions"]]
    target = case["questions"][0][1]
    async with database.transaction() as session:
        first = await walks.first_reaching(session, tenant_id, repository_id, heads, target)
    expected = next(
        (
            position
            for position, head in enumerate(heads)
            if head not in graph or (target is not None and target in ancestors(graph, head))
        ),
        None,
    )
    assert first == expected


async def _check_stored_generations(
    database: Database, tenant_id: int, repository_id: int, case: dict[str, Any]
) -> None:
    """After the walks (each settles a stale repository first), the generations and gaps are
    those of the whole graph."""
    graph: dict[str, list[str]] = case["parents"]
    async with database.reader() as session:
        stored = await commit_rows.generations(session, tenant_id, repository_id)
        gaps = set(
            await session.scalars(
                select(CommitGap.sha).where(CommitGap.repository_id == repository_id)
            )
        )
        stale = await commit_rows.generations_stale(session, tenant_id, repository_id)
    assert not stale
    assert stored == generations_of(graph, {})
    missing = {parent for parents in graph.values() for parent in parents} - graph.keys()
    assert gaps == missing


async def _run(url: str, case: dict[str, Any]) -> None:
    async with opened_database(url) as database:
        tenant_id = await new_tenant(database)
        repository_id = await _store(database, tenant_id, case)
        await _check_questions(database, tenant_id, repository_id, case)
        await _check_stored_generations(database, tenant_id, repository_id, case)


PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(case=histories())
def test_walks_answer_as_the_whole_graph_does_sqlite(sqlite_url: str, case: dict[str, Any]) -> None:
    asyncio.run(_run(sqlite_url, case))


@pytest.mark.postgres
@settings(PROPERTY, max_examples=25)
@given(case=histories())
def test_walks_answer_as_the_whole_graph_does_postgres(
    postgres_url: str, case: dict[str, Any]
) -> None:
    asyncio.run(_run(postgres_url, case))


def test_generations_put_parents_first_whatever_the_order_and_survive_a_cycle() -> None:
    assert generations_of({"c": ["b"], "b": ["a"], "a": []}, {}) == {"a": 1, "b": 2, "c": 3}
    assert generations_of({"m": ["x", "b"], "b": ["gone"]}, {"x": 7}) == {"b": 1, "m": 8}
    looped = generations_of({"a": ["b"], "b": ["a"]}, {})
    assert set(looped) == {"a", "b"} and looped["a"] != looped["b"]


async def test_commits_stored_without_generations_are_settled_by_the_first_walk(
    database_url: str,
) -> None:
    graph = {sha_of("r"): [], sha_of("s"): [sha_of("r")], sha_of("t"): [sha_of("s")]}
    async with opened_database(database_url) as database:
        tenant_id = await new_tenant(database)
        async with database.transaction() as session:
            repository = await records.add_repository(session, tenant_id, "acme/old")
            for sha, parents in graph.items():
                session.add(Commit(**_row(tenant_id, repository.id, sha, parents)))
        async with database.transaction() as session:
            shipped = await walks.shipped_between(
                session, tenant_id, repository.id, sha_of("t"), sha_of("r")
            )
        assert shipped == {sha_of("s"), sha_of("t")}
        async with database.reader() as session:
            stored = await commit_rows.generations(session, tenant_id, repository.id)
        assert stored == {sha_of("r"): 1, sha_of("s"): 2, sha_of("t"): 3}


async def test_a_range_between_two_deployments_reads_only_the_commits_near_them(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long history with merges of side branches: the range of the last ten commits reads
    a few dozen commits, never the whole graph."""
    parents: dict[str, list[str]] = {sha_of("main-0"): []}
    for index in range(1, 3_000):
        sha, tip = sha_of(f"main-{index}"), sha_of(f"main-{index - 1}")
        parents[sha] = [tip]
        if index % 5 == 0:  # a side branch off the previous commit, merged here
            parents[sha_of(f"side-{index}")] = [tip]
            parents[sha].append(sha_of(f"side-{index}"))
    order = list(parents)
    random.Random(7).shuffle(order)  # one batch in any order: parents are found within it
    async with opened_database(database_url) as database:
        tenant_id = await new_tenant(database)
        async with database.transaction() as session:
            repository = await records.add_repository(session, tenant_id, "acme/long")
        rows = [_row(tenant_id, repository.id, sha, parents[sha]) for sha in order]
        async with database.transaction() as session:
            await walks.store_commits(session, tenant_id, repository.id, rows)
        head, previous = sha_of("main-2999"), sha_of("main-2989")
        async with database.transaction() as session:
            await walks.reaches(session, tenant_id, repository.id, head, previous)
        read: list[int] = []
        real_nodes = commit_rows.nodes

        async def counted(*args: Any) -> Any:
            found = await real_nodes(*args)
            read.append(len(found))
            return found

        async def whole_graph(*args: Any) -> Any:
            raise AssertionError("the walk read the whole graph")

        monkeypatch.setattr(commit_rows, "nodes", counted)
        monkeypatch.setattr(commit_rows, "commit_graph", whole_graph)
        async with database.transaction() as session:
            shipped = await walks.shipped_between(session, tenant_id, repository.id, head, previous)
            reached = await walks.reaches(session, tenant_id, repository.id, head, previous)
    assert shipped == commit_range(parents, head, previous)
    assert len(shipped) == 12 and reached is True  # ten on main, two side-branch commits
    assert sum(read) < 100
