"""Storing commits with their generations, and walking the graph only as far as a question
needs: the commits a deployment ships since the previous one, whether a commit ships another.

A commit's generation exceeds every ancestor's, so a walk that takes commits in decreasing
generation knows that no commit still queued can reach one already taken, and stops when
nothing left can change the answer (the range of two deployments costs about the commits
between them, not the repository's history). Commits arrive in any order: a parent stored
after its children marks the repository stale, and the next walk recomputes its generations.
Where the answer depends on the whole history (no previous deployment, a commit not stored),
the graph is read whole.
"""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable, Iterable, Sequence
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.delivery.repository import commits as rows_of
from vantage.packs.delivery.service.graph import ancestors, commit_range, generations_of

FROM_HEAD, FROM_PREVIOUS = 1, 2
Answer = TypeVar("Answer")


async def store_commits(
    session: AsyncSession, tenant_id: int, repository_id: int, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert the commits not yet stored, each with its generation; note the parents that are
    not stored, and mark the repository stale when one of the commits is such a parent."""
    if not rows:
        return
    stale = await rows_of.generations_stale(session, tenant_id, repository_id, lock=True)
    parents_of = {row["sha"]: list(row["parents"]) for row in rows}
    outside = set(chain.from_iterable(parents_of.values())) - parents_of.keys()
    stored = await rows_of.nodes(session, tenant_id, repository_id, parents_of.keys() | outside)
    new = {sha: parents for sha, parents in parents_of.items() if sha not in stored}
    if not new:
        return
    known = {sha: generation or 0 for sha, (_, generation) in stored.items()}
    levels = generations_of(new, known)
    await rows_of.add_commits(
        session, [{**row, "generation": levels[row["sha"]]} for row in rows if row["sha"] in new]
    )
    await rows_of.add_gaps(session, tenant_id, repository_id, outside - stored.keys())
    unsettled = any(generation is None for _, generation in stored.values())
    filled = await rows_of.filled_gaps(session, tenant_id, repository_id, new.keys())
    if not stale and (filled or unsettled):
        await rows_of.set_generations_stale(session, tenant_id, repository_id, True)


async def settle(session: AsyncSession, tenant_id: int, repository_id: int) -> None:
    """Recompute every generation and gap of the repository from its whole graph."""
    await rows_of.generations_stale(session, tenant_id, repository_id, lock=True)  # the lock
    graph = await rows_of.commit_graph(session, tenant_id, repository_id)
    stored = await rows_of.generations(session, tenant_id, repository_id)
    fresh = generations_of(graph, {})
    changed = {sha: level for sha, level in fresh.items() if stored.get(sha) != level}
    await rows_of.set_generations(session, tenant_id, repository_id, changed)
    missing = set(chain.from_iterable(graph.values())) - graph.keys()
    await rows_of.replace_gaps(session, tenant_id, repository_id, missing)
    await rows_of.set_generations_stale(session, tenant_id, repository_id, False)


class _Unsettled(Exception):
    """A walk met a commit stored without a generation (by an older version, or by hand)."""


class _Walk:
    """The commits of one repository, read as a walk reaches them. A parent that is not
    stored is a commit without parents and of generation 0 (below every stored one)."""

    def __init__(self, session: AsyncSession, tenant_id: int, repository_id: int) -> None:
        self._session, self._tenant, self._repository = session, tenant_id, repository_id
        self.nodes: dict[str, tuple[list[str], int]] = {}
        self.stored: set[str] = set()

    async def load(self, shas: Iterable[str]) -> None:
        wanted = {sha for sha in shas if sha not in self.nodes}
        if not wanted:
            return
        found = await rows_of.nodes(self._session, self._tenant, self._repository, wanted)
        for sha in wanted:
            parents, generation = found.get(sha, ([], 0))
            if generation is None:
                raise _Unsettled(sha)
            self.nodes[sha] = (parents, generation)
        self.stored |= found.keys()

    def generation(self, sha: str) -> int:
        return self.nodes[sha][1]

    def parents(self, sha: str) -> list[str]:
        return self.nodes[sha][0]


async def _walked(
    session: AsyncSession,
    tenant_id: int,
    repository_id: int,
    question: Callable[[_Walk], Awaitable[Answer]],
) -> Answer:
    """The question's answer from a walk over settled generations."""
    if await rows_of.generations_stale(session, tenant_id, repository_id):
        await settle(session, tenant_id, repository_id)
    try:
        return await question(_Walk(session, tenant_id, repository_id))
    except _Unsettled:
        await settle(session, tenant_id, repository_id)
        return await question(_Walk(session, tenant_id, repository_id))


async def shipped_between(
    session: AsyncSession, tenant_id: int, repository_id: int, head: str, previous: str | None
) -> set[str] | None:
    """The commits in (previous, head]: reachable from ``head`` but not from ``previous``
    (every one reachable from ``head`` when ``previous`` is None or not stored); None when
    ``head`` is not stored."""

    async def question(walk: _Walk) -> set[str] | None:
        await walk.load([head] if previous is None else [head, previous])
        if head not in walk.stored:
            return None
        if previous is None or previous not in walk.stored:
            graph = await rows_of.commit_graph(session, tenant_id, repository_id)
            return commit_range(graph, head, None)
        return await _paint(walk, head, previous)

    return await _walked(session, tenant_id, repository_id, question)


async def _paint(walk: _Walk, head: str, previous: str) -> set[str]:
    """Mark what ``head`` and ``previous`` reach, highest generation first, until no queued
    commit is reached from ``head`` alone; those taken so far are the range."""
    marks = {head: FROM_HEAD}
    marks[previous] = marks.get(previous, 0) | FROM_PREVIOUS
    queue = [(-walk.generation(sha), sha) for sha in marks]
    heapq.heapify(queue)
    head_only = sum(1 for mark in marks.values() if mark == FROM_HEAD)
    taken: set[str] = set()
    shipped: set[str] = set()
    while head_only and queue:
        sha = heapq.heappop(queue)[1]
        taken.add(sha)
        mark = marks[sha]
        if mark == FROM_HEAD:
            head_only -= 1
            shipped.add(sha)
        # One read for the parents of everything queued: the walk goes a level at a time.
        await walk.load(chain(walk.parents(sha), *(walk.parents(s) for _, s in queue)))
        for parent in walk.parents(sha):
            old = marks.get(parent)
            if old is None:
                marks[parent] = mark
                heapq.heappush(queue, (-walk.generation(parent), parent))
                head_only += mark == FROM_HEAD
            elif parent not in taken and old | mark != old:
                marks[parent] = old | mark
                head_only -= old == FROM_HEAD
    return shipped


async def reaches(
    session: AsyncSession, tenant_id: int, repository_id: int, head: str, target: str
) -> bool | None:
    """Whether ``target`` is ``head`` or one of its ancestors; None when ``head`` is not
    stored."""

    async def question(walk: _Walk) -> bool | None:
        await walk.load([head, target])
        if head not in walk.stored:
            return None
        if target not in walk.stored:
            graph = await rows_of.commit_graph(session, tenant_id, repository_id)
            return target in ancestors(graph, head)
        return await _descends(walk, head, target)

    return await _walked(session, tenant_id, repository_id, question)


async def _descends(walk: _Walk, head: str, target: str) -> bool:
    """Whether ``target`` is reached from ``head``, never going below its generation."""
    floor = walk.generation(target)
    seen, frontier = {head}, [head]
    while frontier and target not in seen:
        await walk.load(chain.from_iterable(walk.parents(sha) for sha in frontier))
        parents = dict.fromkeys(chain.from_iterable(walk.parents(sha) for sha in frontier))
        frontier = [sha for sha in parents if sha not in seen and walk.generation(sha) >= floor]
        seen.update(frontier)
    return target in seen


async def is_stored(session: AsyncSession, tenant_id: int, repository_id: int, sha: str) -> bool:
    return sha in await rows_of.nodes(session, tenant_id, repository_id, [sha])


async def first_reaching(
    session: AsyncSession,
    tenant_id: int,
    repository_id: int,
    heads: Sequence[str | None],
    target: str | None,
) -> int | None:
    """The position of the first of ``heads`` that has ``target`` among its commits, or may
    have: a head that is None or not stored counts (the caller's other evidence decides);
    None when no head does. The whole graph is read at most once, when ``target`` is not
    stored (only a stored commit naming it as a parent can reach it then)."""
    stored_target = target is not None and await is_stored(
        session, tenant_id, repository_id, target
    )
    whole: dict[str, list[str]] | None = None
    for position, head in enumerate(heads):
        if head is None or not await is_stored(session, tenant_id, repository_id, head):
            return position
        if target is None:
            continue
        if stored_target:
            found = await reaches(session, tenant_id, repository_id, head, target)
        else:
            if whole is None:
                whole = await rows_of.commit_graph(session, tenant_id, repository_id)
            found = target in ancestors(whole, head)
        if found:
            return position
    return None
