"""The commit graph: which commits a deployment's commit ships."""

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
