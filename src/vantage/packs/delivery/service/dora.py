"""DORA figures of a scope and window, from the rows kept as events arrive."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import read_watermark
from vantage.core.windows import TimeWindow
from vantage.packs.delivery.repository import dora as reads
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.repository.shipped_days import REWORK_KINDS
from vantage.packs.delivery.schemas import (
    CoverageOut,
    DoraOut,
    FrequencyOut,
    LeadTimeBreakdown,
    LeadTimeOut,
    MedianOut,
    RateOut,
    ScopeOut,
    Stage,
    TrendOut,
    TrendPoint,
)
from vantage.packs.delivery.service.bands import all_bands
from vantage.packs.delivery.service.ingest import PACK_NAME
from vantage.packs.delivery.service.stats import median, percent, percentile, share

T = TypeVar("T")


@dataclass(frozen=True)
class DoraFilter:
    project: str | None = None
    team: str | None = None
    repository: str | None = None
    service: str | None = None

    def out(self) -> ScopeOut:
        return ScopeOut(
            project=self.project, team=self.team, repository=self.repository, service=self.service
        )


@dataclass(frozen=True)
class Facts:
    """Everything the figures of one window are computed from."""

    deployments: Sequence[Any]
    lead_times: Sequence[Any]
    restorations: dict[int, tuple[datetime | None, int, int]]
    incidents: Sequence[Any]
    pull_requests: Sequence[Any]

    def within(self, start: datetime, end: datetime) -> Facts:
        """The facts of a sub-window."""
        return Facts(
            deployments=[d for d in self.deployments if start <= d.deployed_at < end],
            lead_times=[row for row in self.lead_times if start <= row.deployed_at < end],
            restorations=self.restorations,
            incidents=[i for i in self.incidents if start <= i.created_at < end],
            pull_requests=[p for p in self.pull_requests if start <= p.merged_at < end],
        )


async def _clause(
    session: AsyncSession, tenant_id: int, services: set[str], repository_ids: set[int]
) -> reads.Clause:
    pr_repositories = repository_ids | await reads.repositories_of_services(
        session, tenant_id, services
    )
    incident_services = services | await reads.services_of_repositories(
        session, tenant_id, repository_ids
    )
    return reads.Clause(
        frozenset(services),
        frozenset(repository_ids),
        frozenset(pr_repositories),
        frozenset(incident_services),
    )


async def resolve_scope(session: AsyncSession, tenant_id: int, query: DoraFilter) -> reads.Scope:
    """The filter as clauses every row must match (none: the whole tenant)."""
    clauses = []
    if query.repository is not None:
        ids = await records.repository_ids(session, tenant_id, [query.repository])
        clauses.append(await _clause(session, tenant_id, set(), ids))
    if query.service is not None:
        clauses.append(await _clause(session, tenant_id, {query.service}, set()))
    if query.team is not None or query.project is not None:
        owned = await reads.owned(session, tenant_id, team=query.team, project=query.project)
        services = {name for kind, name in owned if kind == "service"}
        names = [name for kind, name in owned if kind == "repository"]
        ids = await records.repository_ids(session, tenant_id, names)
        clauses.append(await _clause(session, tenant_id, services, ids))
    return clauses


async def load_facts(
    session: AsyncSession, tenant_id: int, scope: reads.Scope, window: TimeWindow
) -> Facts:
    """Read the rows behind the figures of ``window``."""
    start, end = window.start, window.end
    deployments = await reads.shipped(session, tenant_id, scope, start, end)
    failed = [d.id for d in deployments if d.incident_count > 0]
    return Facts(
        deployments=deployments,
        lead_times=await reads.lead_times(session, tenant_id, scope, start, end),
        restorations=await reads.restorations(session, tenant_id, failed),
        incidents=await reads.incidents(session, tenant_id, scope, start, end),
        pull_requests=await reads.merged_pull_requests(session, tenant_id, scope, start, end),
    )


def _iso_weeks(window: TimeWindow) -> list[tuple[datetime, datetime]]:
    """The ISO weeks (Monday 00:00 UTC) that overlap the window, clipped to it."""
    monday = window.start.date() - timedelta(days=window.start.weekday())
    cursor = datetime.combine(monday, time.min, tzinfo=UTC)
    weeks = []
    while cursor < window.end:
        following = cursor + timedelta(days=7)
        weeks.append((max(cursor, window.start), min(following, window.end)))
        cursor = following
    return weeks


def frequency(facts: Facts, window: TimeWindow) -> FrequencyOut:
    """|D| / days(W) and the median of distinct deployment dates per ISO week."""
    count = len(facts.deployments)
    days_per_week = [
        float(
            len({d.deployed_at.date() for d in facts.deployments if start <= d.deployed_at < end})
        )
        for start, end in _iso_weeks(window)
    ]
    return FrequencyOut(
        deployments=count,
        days=window.days,
        per_day=count / window.days,
        deployment_days_per_week=median(days_per_week),
    )


def _stage(values: Sequence[float | None]) -> Stage:
    known = [value for value in values if value is not None]
    return Stage(count=len(known), p50_seconds=median(known))


def lead_time(facts: Facts) -> LeadTimeOut:
    """Percentiles of the lead time per pull request, and the median of each stage."""
    rows = facts.lead_times
    values = [row.lead_seconds for row in rows]
    return LeadTimeOut(
        count=len(values),
        p50_seconds=percentile(values, 0.5),
        p75_seconds=percentile(values, 0.75),
        p90_seconds=percentile(values, 0.9),
        breakdown=LeadTimeBreakdown(
            coding=_stage([row.coding_seconds for row in rows]),
            pickup=_stage([row.pickup_seconds for row in rows]),
            review=_stage([row.review_seconds for row in rows]),
            deploy=_stage([row.deploy_seconds for row in rows]),
        ),
    )


def recovery(facts: Facts) -> MedianOut:
    """Median of (latest restoration of its incidents - deploy time) over failed deployments
    whose incidents are all restored."""
    durations = []
    for deployment in facts.deployments:
        restored, total, done = facts.restorations.get(deployment.id, (None, 0, 0))
        if total and done == total and restored is not None:
            durations.append((restored - deployment.deployed_at).total_seconds())
    return MedianOut(count=len(durations), p50_seconds=median(durations))


def mttr(facts: Facts) -> MedianOut:
    """Median of resolved - created over the window's resolved incidents."""
    durations = [
        (i.resolved_at - i.created_at).total_seconds()
        for i in facts.incidents
        if i.resolved_at is not None
    ]
    return MedianOut(count=len(durations), p50_seconds=median(durations))


def coverage(facts: Facts) -> CoverageOut:
    """How much of the window's work is linked: pull requests shipped, incidents attributed."""
    prs = len(facts.pull_requests)
    linked = sum(1 for p in facts.pull_requests if p.deployment_id is not None)
    incidents = len(facts.incidents)
    attributed = sum(1 for i in facts.incidents if i.deployment_id is not None)
    return _coverage(prs, linked, incidents, attributed)


def _coverage(prs: int, linked: int, incidents: int, attributed: int) -> CoverageOut:
    return CoverageOut(
        pull_requests_merged=prs,
        pull_requests_linked=linked,
        pull_requests_linked_pct=percent(linked, prs),
        incidents=incidents,
        incidents_attributed=attributed,
        incidents_attributed_pct=percent(attributed, incidents),
    )


def _rate(part: int, whole: int) -> RateOut:
    return RateOut(numerator=part, denominator=whole, rate=share(part, whole))


def figures(
    facts: Facts, window: TimeWindow, query: DoraFilter, data_as_of: datetime | None
) -> DoraOut:
    """Every DORA figure of the window."""
    count = len(facts.deployments)
    failed = sum(1 for d in facts.deployments if d.incident_count > 0)
    reworked = sum(1 for d in facts.deployments if d.kind in REWORK_KINDS)
    return _dora_out(
        window,
        query,
        data_as_of,
        frequency(facts, window),
        lead_time(facts),
        (count, failed, reworked),
        (recovery(facts), mttr(facts)),
        coverage(facts),
    )


def _dora_out(
    window: TimeWindow,
    query: DoraFilter,
    data_as_of: datetime | None,
    deploys: FrequencyOut,
    leads: LeadTimeOut,
    shipped: tuple[int, int, int],
    recoveries: tuple[MedianOut, MedianOut],
    covered: CoverageOut,
) -> DoraOut:
    """The answer, from the figures; ``shipped`` is (deployments, failed, reworked) and
    ``recoveries`` the failed-deployment recovery time and the time to restore service."""
    count, failed, reworked = shipped
    restore, repair = recoveries
    failure = _rate(failed, count)
    return DoraOut(
        window=window.out(),
        scope=query.out(),
        data_as_of=data_as_of,
        deployment_frequency=deploys,
        lead_time=leads,
        change_failure_rate=failure,
        failed_deployment_recovery_time=restore,
        mttr=repair,
        rework_rate=_rate(reworked, count),
        bands=all_bands(
            per_day=deploys.per_day,
            lead_time=leads.p50_seconds,
            failure_rate=failure.rate,
            recovery=restore.p50_seconds,
            time_to_restore=repair.p50_seconds,
        ),
        coverage=covered,
    )


def _positions(count: int, fraction: float) -> tuple[float, int, int]:
    """Where ``percentile`` reads: the position and its two closest ranks."""
    position = (count - 1) * fraction
    lower = math.floor(position)
    return position, lower, min(lower + 1, count - 1)


async def _percentiles(
    session: AsyncSession,
    tenant_id: int,
    scope: reads.Scope,
    window: TimeWindow,
    name: str,
    count: int,
    fractions: Sequence[float],
    whole: bool,
) -> list[float | None]:
    """``percentile`` of one lead-time column at each fraction, reading only the values at the
    ranks it interpolates between (the same arithmetic, so the same floats)."""
    if not count:
        return [None for _ in fractions]
    wanted = [_positions(count, fraction) for fraction in fractions]
    values = await reads.lead_time_values_at(
        session,
        tenant_id,
        scope,
        None if whole else (window.start, window.end),
        name,
        {rank for _, lower, upper in wanted for rank in (lower, upper)},
        count,
    )
    return [
        values[lower] + (values[upper] - values[lower]) * (position - lower)
        for position, lower, upper in wanted
    ]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _whole_days(window: TimeWindow) -> tuple[date, date] | None:
    """The whole UTC days [first, last) inside the window, if there is one."""
    first = window.start.astimezone(UTC).date()
    if _midnight(first) < window.start:
        first += timedelta(days=1)
    last = window.end.astimezone(UTC).date()
    return (first, last) if first < last else None


def _edges(window: TimeWindow, days: tuple[date, date]) -> list[tuple[datetime, datetime]]:
    """The parts of the window before and after its whole days (none when it starts and
    ends at midnight)."""
    parts = [(window.start, _midnight(days[0])), (_midnight(days[1]), window.end)]
    return [(start, end) for start, end in parts if start < end]


async def _by_days_and_edges(
    window: TimeWindow,
    whole_days: Callable[[date, date], Awaitable[T]],
    rows: Callable[[datetime, datetime], Awaitable[T]],
    plus: Callable[[T, T], T],
) -> T:
    """A count over the window: its whole days from the per-day counts (a read that does not
    grow with the history), the parts before and after them from the rows."""
    days = _whole_days(window)
    if days is None:
        return await rows(window.start, window.end)
    total = await whole_days(*days)
    for start, end in _edges(window, days):
        total = plus(total, await rows(start, end))
    return total


async def _lead_time_counts(
    session: AsyncSession, tenant_id: int, scope: reads.Scope, window: TimeWindow
) -> dict[str, int]:
    """Per lead-time column, how many rows of the window have a value."""
    return await _by_days_and_edges(
        window,
        partial(reads.lead_time_day_counts, session, tenant_id, scope),
        partial(reads.lead_time_counts, session, tenant_id, scope),
        lambda counts, more: {name: counts[name] + more[name] for name in counts},
    )


async def _merged_counts(
    session: AsyncSession, tenant_id: int, scope: reads.Scope, window: TimeWindow
) -> tuple[int, int]:
    """Pull requests merged in the window, and how many of them a deployment shipped."""
    return await _by_days_and_edges(
        window,
        partial(reads.merged_day_counts, session, tenant_id, scope),
        partial(reads.merged_counts, session, tenant_id, scope),
        lambda counts, more: (counts[0] + more[0], counts[1] + more[1]),
    )


async def _shipped_by_day(
    session: AsyncSession, tenant_id: int, scope: reads.Scope, window: TimeWindow
) -> list[tuple[date, int, int, int]]:
    """Per UTC date with a shipped deployment in the window: shipped, failed, reworked."""
    return await _by_days_and_edges(
        window,
        partial(reads.shipped_day_counts, session, tenant_id, scope),
        partial(reads.shipped_by_day, session, tenant_id, scope),
        lambda days, more: sorted([*days, *more]),
    )


async def _lead_time_of(
    session: AsyncSession, tenant_id: int, scope: reads.Scope, window: TimeWindow
) -> LeadTimeOut:
    counts = await _lead_time_counts(session, tenant_id, scope, window)
    # A window holding every lead-time row of the tenant needs no deploy-time filter.
    whole = False
    if counts["lead_seconds"]:
        first, last = await reads.lead_time_span(session, tenant_id)
        if first is not None and last is not None:
            whole = window.start <= first and last < window.end

    async def ranked(name: str, fractions: Sequence[float]) -> list[float | None]:
        return await _percentiles(
            session, tenant_id, scope, window, name, counts[name], fractions, whole
        )

    async def stage(name: str) -> Stage:
        return Stage(count=counts[name], p50_seconds=(await ranked(name, [0.5]))[0])

    p50, p75, p90 = await ranked("lead_seconds", [0.5, 0.75, 0.9])
    return LeadTimeOut(
        count=counts["lead_seconds"],
        p50_seconds=p50,
        p75_seconds=p75,
        p90_seconds=p90,
        breakdown=LeadTimeBreakdown(
            coding=await stage("coding_seconds"),
            pickup=await stage("pickup_seconds"),
            review=await stage("review_seconds"),
            deploy=await stage("deploy_seconds"),
        ),
    )


def _days_per_week(days: Sequence[date], window: TimeWindow) -> float | None:
    """The median over the window's ISO weeks of the distinct deployment dates in each."""
    per_monday: dict[date, int] = {}
    for day in days:
        monday = day - timedelta(days=day.weekday())
        per_monday[monday] = per_monday.get(monday, 0) + 1
    return median(
        [
            float(per_monday.get(start.date() - timedelta(days=start.weekday()), 0))
            for start, _ in _iso_weeks(window)
        ]
    )


async def dora(
    session: AsyncSession, tenant_id: int, query: DoraFilter, window: TimeWindow
) -> DoraOut:
    """The DORA figures of a scope over a window, read as counts and the ranked values the
    percentiles need (the same figures ``figures`` computes from the window's rows)."""
    scope = await resolve_scope(session, tenant_id, query)
    start, end = window.start, window.end
    by_day = await _shipped_by_day(session, tenant_id, scope, window)
    days = [day for day, _, _, _ in by_day]
    count = sum(shipped for _, shipped, _, _ in by_day)
    failed = sum(failures for _, _, failures, _ in by_day)
    reworked = sum(reworks for _, _, _, reworks in by_day)
    deploys = FrequencyOut(
        deployments=count,
        days=window.days,
        per_day=count / window.days,
        deployment_days_per_week=_days_per_week(days, window),
    )
    leads = await _lead_time_of(session, tenant_id, scope, window)
    durations = []
    if failed:
        failures = await reads.failed_shipped(session, tenant_id, scope, start, end)
        restored_by = await reads.restorations(session, tenant_id, [d.id for d in failures])
        for deployment in failures:
            restored, total, done = restored_by.get(deployment.id, (None, 0, 0))
            if total and done == total and restored is not None:
                durations.append((restored - deployment.deployed_at).total_seconds())
    restore = MedianOut(count=len(durations), p50_seconds=median(durations))
    resolved = await reads.resolved_incidents(session, tenant_id, scope, start, end)
    repairs = [(i.resolved_at - i.created_at).total_seconds() for i in resolved]
    repair = MedianOut(count=len(repairs), p50_seconds=median(repairs))
    prs, linked = await _merged_counts(session, tenant_id, scope, window)
    incidents, attributed = await reads.incident_counts(session, tenant_id, scope, start, end)
    watermark = await read_watermark(session, tenant_id, PACK_NAME)
    return _dora_out(
        window,
        query,
        watermark.updated_at,
        deploys,
        leads,
        (count, failed, reworked),
        (restore, repair),
        _coverage(prs, linked, incidents, attributed),
    )


async def dora_from_rows(
    session: AsyncSession, tenant_id: int, query: DoraFilter, window: TimeWindow
) -> DoraOut:
    """The same figures computed from the window's rows (what ``dora`` must always equal)."""
    scope = await resolve_scope(session, tenant_id, query)
    facts = await load_facts(session, tenant_id, scope, window)
    watermark = await read_watermark(session, tenant_id, PACK_NAME)
    return figures(facts, window, query, watermark.updated_at)


async def trend(
    session: AsyncSession, tenant_id: int, query: DoraFilter, window: TimeWindow
) -> TrendOut:
    """The figures per ISO week of the window (edge weeks clipped to it)."""
    scope = await resolve_scope(session, tenant_id, query)
    facts = await load_facts(session, tenant_id, scope, window)
    watermark = await read_watermark(session, tenant_id, PACK_NAME)
    points = []
    for start, end in _iso_weeks(window):
        week = TimeWindow(start, end)
        weekly = figures(facts.within(start, end), week, query, None)
        points.append(
            TrendPoint(
                start=start,
                end=end,
                deployments=weekly.deployment_frequency.deployments,
                per_day=weekly.deployment_frequency.per_day,
                lead_time_p50_seconds=weekly.lead_time.p50_seconds,
                change_failure_rate=weekly.change_failure_rate.rate,
                rework_rate=weekly.rework_rate.rate,
                failed_deployment_recovery_p50_seconds=(
                    weekly.failed_deployment_recovery_time.p50_seconds
                ),
                coverage=weekly.coverage,
            )
        )
    return TrendOut(
        window=window.out(),
        scope=query.out(),
        granularity="week",
        data_as_of=watermark.updated_at,
        points=points,
    )
