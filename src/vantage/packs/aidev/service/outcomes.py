"""What the delivery pack adds: merged pull requests and commits in a window, with commit
authors named as aidev names developers, and the five KPIs computed from them.

A delivery identity (login, e-mails, names) belongs to the developer the alias table maps one
of its names to, else to its first e-mail (traces name developers by e-mail first), else to
its login: so a developer's requests and commits meet under one key.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.windows import TimeWindow
from vantage.packs.aidev.repository import traces as trace_rows
from vantage.packs.delivery.service.activity import (
    DeveloperActivity,
    MergedPullRequest,
    activity_in_window,
    commit_counts_by_day,
    merged_pull_requests,
)
from vantage.packs.delivery.service.identities import DeveloperIdentity, developer_identities

HOUR = 3600.0
DELIVERY_KEYS = (
    "token_efficiency",
    "pr_throughput",
    "commit_frequency",
    "merge_time",
    "rework_rate",
)


@dataclass(frozen=True)
class DeveloperCommits:
    """Commits of one aidev developer (None: an author nobody can name) on one UTC day."""

    day: date
    developer: str | None
    commits: int


@dataclass(frozen=True)
class DeliveryData:
    """The merged pull requests and the commits of a window."""

    merged: list[MergedPullRequest]
    commits: list[DeveloperCommits]


def developer_of(identity: DeveloperIdentity, aliases: dict[str, str]) -> str:
    """The aidev developer a delivery identity belongs to."""
    names = [*sorted(identity.emails), *([identity.login] if identity.login else [])]
    for name in [*names, *sorted(identity.names)]:
        if name in aliases:
            return aliases[name]
    return names[0]


async def _aliases(session: AsyncSession, tenant_id: int) -> dict[str, str]:
    return dict(await trace_rows.list_aliases(session, tenant_id))


async def delivery_data(session: AsyncSession, tenant_id: int, window: TimeWindow) -> DeliveryData:
    """Pull requests merged and commits authored in ``window``, commits per aidev developer."""
    merged = await merged_pull_requests(session, tenant_id, window.start, window.end)
    aliases = await _aliases(session, tenant_id)
    developers = {
        identity.key: developer_of(identity, aliases)
        for identity in await developer_identities(session, tenant_id)
    }
    counts: dict[tuple[date, str | None], int] = {}
    for row in await commit_counts_by_day(session, tenant_id, window.start, window.end):
        developer = developers.get(row.developer, row.developer) if row.developer else None
        counts[(row.day, developer)] = counts.get((row.day, developer), 0) + row.commits
    commits = [DeveloperCommits(day, dev, n) for (day, dev), n in counts.items()]
    return DeliveryData(merged=merged, commits=commits)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def commit_frequency(commits: Sequence[DeveloperCommits]) -> float | None:
    """Commits of named developers / developer-days with at least one commit."""
    named = [c for c in commits if c.developer is not None and c.commits]
    return _ratio(sum(c.commits for c in named), len({(c.day, c.developer) for c in named}))


def delivery_kpi_values(data: DeliveryData, tokens: int, days: int) -> dict[str, float | None]:
    """The five delivery KPIs over a window of ``days`` days in which ``tokens`` were used."""
    merged = data.merged
    lines = sum(pr.additions + pr.deletions for pr in merged)
    hours = [(pr.merged_at - pr.opened_at).total_seconds() / HOUR for pr in merged]
    reworked = sum(1 for pr in merged if pr.commits_after_first_review > 0)
    return {
        "token_efficiency": _ratio(lines, tokens / 1000),
        "pr_throughput": _ratio(len(merged), days / 7),
        "commit_frequency": commit_frequency(data.commits),
        "merge_time": statistics.median(hours) if hours else None,
        "rework_rate": _ratio(reworked, len(merged)),
    }


async def developer_activity(
    session: AsyncSession, tenant_id: int, developer: str, repository: str, window: TimeWindow
) -> DeveloperActivity:
    """The pull requests and commits of an aidev developer in ``repository`` within ``window``:
    every delivery identity that belongs to them, and the names the alias table gives them."""
    aliases = await _aliases(session, tenant_id)
    own = [
        identity
        for identity in await developer_identities(session, tenant_id)
        if developer_of(identity, aliases) == developer
    ]
    named = [developer, *(alias for alias, dev in aliases.items() if dev == developer)]
    own += [
        DeveloperIdentity(login=None, emails={name.lower()})
        if "@" in name
        else DeveloperIdentity(login=name)
        for name in named
    ]
    return await activity_in_window(session, tenant_id, own, repository, window.start, window.end)
