"""The commit graph: which commits a deployment's commit ships, and commit generations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


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


def commit_range(graph: Mapping[str, Sequence[str]], head: str, previous: str | None) -> set[str]:
    """The commits in (previous, head]: reachable from ``head`` but not from ``previous``."""
    shipped = ancestors(graph, head)
    if previous is not None and previous in graph:
        shipped -= ancestors(graph, previous)
    return shipped


def contains(commits: set[str], sha: str) -> bool:
    """Whether ``sha`` (full or abbreviated) names one of ``commits``."""
    if sha in commits:
        return True
    return len(sha) < 40 and any(commit.startswith(sha) for commit in commits)


def generations_of(
    parents_of: Mapping[str, Sequence[str]], known: Mapping[str, int]
) -> dict[str, int]:
    """The generation of each commit of ``parents_of``: 1 + the highest among its parents
    that are in ``parents_of`` or ``known`` (1 when none is), parents first whatever the order
    of the mapping. A parent that is its own descendant (no git history has one, a forged
    payload may) counts as absent."""
    found: dict[str, int] = {}
    on_path: set[str] = set()
    for start in parents_of:
        stack = [start]
        while stack:
            sha = stack[-1]
            if sha in found:
                stack.pop()
                continue
            on_path.add(sha)
            waiting = [p for p in parents_of[sha]
                       if p in parents_of and p not in found and p not in on_path]  # fmt: skip
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            on_path.discard(sha)
            levels = [found.get(p) or known.get(p, 0) for p in parents_of[sha]]
            found[sha] = 1 + max(levels, default=0)
    return found
