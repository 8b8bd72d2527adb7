"""The commit graph: which commits a deployment's commit ships.

A walk loads only the commits it reaches, as ``git rev-list previous..head`` does: newest
first (by commit time), painting what the previous deployment's commit reaches, and it stops
once every commit still queued is reached from there. A deployment's cost so follows the
commits since the previous deployment, not the repository's history.
"""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Node:
    parents: tuple[str, ...]
    committed_at: datetime


# Loads the known commits among the shas asked for (unknown ones are left out).
Loader = Callable[[Iterable[str]], Awaitable[Mapping[str, Node]]]

HEAD, PREVIOUS = 1, 2


def ancestors(graph: Mapping[str, Sequence[str]], start: str) -> set[str]:
    """``start`` and every commit reachable from it through parents (as far as known)."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        sha = stack.pop()
        if sha in seen:
            continue
        seen.add(sha)
        stack.extend(parent for parent in graph.get(sha, ()) if parent not in seen)
    return seen


def contains(commits: set[str], sha: str) -> bool:
    """Whether ``sha`` (full or abbreviated) names one of ``commits``."""
    if sha in commits:
        return True
    return len(sha) < 40 and any(commit.startswith(sha) for commit in commits)


class _Walk:
    """Commits loaded so far, their paint, and the queue of commits still to visit."""

    def __init__(self, load: Loader) -> None:
        self.load = load
        self.nodes: dict[str, Node] = {}
        self.paint: dict[str, int] = {}
        self.queue: list[tuple[float, str]] = []
        self.queued: set[str] = set()
        self.unknown: dict[str, int] = {}  # parents named but not stored, with their paint

    async def fetch(self, shas: Iterable[str]) -> None:
        wanted = [sha for sha in set(shas) if sha not in self.nodes and sha not in self.unknown]
        if wanted:
            found = await self.load(wanted)
            self.nodes.update(found)
            self.unknown.update((sha, 0) for sha in wanted if sha not in found)

    async def fetch_parents_of_queue(self) -> None:
        """Load the parents of everything queued at once: one query per generation."""
        await self.fetch(parent for sha in self.queued for parent in self.nodes[sha].parents)

    def push(self, sha: str, flags: int) -> None:
        """Add ``flags`` to a commit's paint; queue a known commit when its paint grew."""
        if sha in self.unknown:
            self.unknown[sha] |= flags
            return
        before = self.paint.get(sha, 0)
        if before | flags == before:
            return
        self.paint[sha] = before | flags
        if sha not in self.queued:
            self.queued.add(sha)
            heapq.heappush(self.queue, (-self.nodes[sha].committed_at.timestamp(), sha))

    def pop(self) -> str:
        _, sha = heapq.heappop(self.queue)
        self.queued.discard(sha)
        return sha

    def interesting(self) -> bool:
        """Whether a queued commit is not (yet) reached from the previous deployment's."""
        return any(not self.paint[sha] & PREVIOUS for sha in self.queued)

    async def run(self) -> set[str]:
        """Visit newest first until only commits reached from the previous one are left."""
        visited: set[str] = set()
        while self.queued and self.interesting():
            await self.fetch_parents_of_queue()
            sha = self.pop()
            visited.add(sha)
            for parent in self.nodes[sha].parents:
                self.push(parent, self.paint[sha])
        shipped = {sha for sha in visited if not self.paint[sha] & PREVIOUS}
        return shipped | {sha for sha, paint in self.unknown.items() if paint == HEAD}


async def commit_range(load: Loader, head: str, previous: str | None) -> set[str] | None:
    """The commits in (previous, head]: reachable from ``head`` and not from ``previous``;
    None when ``head`` is not a known commit."""
    walk = _Walk(load)
    await walk.fetch([head] if previous is None else [head, previous])
    if head not in walk.nodes:
        return None
    walk.push(head, HEAD)
    if previous is not None:
        walk.push(previous, PREVIOUS)
    return await walk.run()


async def reaches(load: Loader, head: str, target: str) -> bool | None:
    """Whether ``target`` is ``head`` or one of its ancestors; None when ``head`` is not a
    known commit. Commits older than ``target`` are not walked: they cannot lead to it."""
    walk = _Walk(load)
    await walk.fetch([head, target])
    if head not in walk.nodes:
        return None
    goal = walk.nodes.get(target)
    walk.push(head, HEAD)
    while walk.queued:
        sha = walk.pop()
        if sha == target:
            return True
        await walk.fetch(walk.nodes[sha].parents)
        for parent in walk.nodes[sha].parents:
            if parent == target:
                return True
            node = walk.nodes.get(parent)
            if node is not None and (goal is None or node.committed_at >= goal.committed_at):
                walk.push(parent, HEAD)
    return False
