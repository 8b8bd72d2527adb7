"""The KPIs computed from traces alone, their status against the settings' bars, and the
daily series behind them. Team figures are withheld below ``min_team_size`` developers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.windows import TimeWindow
from vantage.packs.aidev.repository import reads
from vantage.packs.aidev.repository.reads import DayTotals, ModelTotals
from vantage.packs.aidev.schemas import (
    DaySeries,
    Kpi,
    MetricsOut,
    ModelAccuracy,
    RawMetricsOut,
    Status,
    Trend,
)
from vantage.packs.aidev.service.days import day_span, days_between, whole_days
from vantage.packs.aidev.service.outcomes import (
    DeliveryData,
    DeveloperCommits,
    commit_frequency,
    delivery_data,
    delivery_kpi_values,
)
from vantage.packs.aidev.settings import AidevSettings

DELIVERY_REASON = "needs pull request and commit data from the delivery pack, which is not enabled"
DELIVERY_NAMES = {
    "token_efficiency": ("Token efficiency", "lines/1k tokens"),
    "pr_throughput": ("PR throughput", "PRs/week"),
    "commit_frequency": ("Commit frequency", "commits/developer/day"),
    "merge_time": ("Merge time", "hours"),
    "rework_rate": ("Rework rate", "ratio"),
}


@dataclass(frozen=True)
class Bars:
    """A KPI's bars: ``good`` and ``warn`` limits, and which way is better."""

    good: float
    warn: float
    higher_is_better: bool

    def status(self, value: float | None) -> Status:
        if value is None:
            return "no_data"
        if self.higher_is_better:
            return "good" if value >= self.good else "warn" if value >= self.warn else "bad"
        return "good" if value <= self.good else "warn" if value <= self.warn else "bad"


def bars_of(settings: AidevSettings) -> dict[str, Bars]:
    """The status bars of each trace KPI."""
    s = settings
    return {
        "ai_velocity": Bars(s.velocity_good, s.velocity_warn, True),
        "acceptance_rate": Bars(s.acceptance_good, s.acceptance_warn, True),
        "error_rate": Bars(s.error_rate_good, s.error_rate_warn, False),
        "model_accuracy": Bars(s.accuracy_good, s.accuracy_warn, True),
        "token_efficiency": Bars(s.token_efficiency_good, s.token_efficiency_warn, True),
        "pr_throughput": Bars(s.pr_throughput_good, s.pr_throughput_warn, True),
        "commit_frequency": Bars(s.commit_frequency_good, s.commit_frequency_warn, True),
        "merge_time": Bars(s.merge_time_good_hours, s.merge_time_warn_hours, False),
        "rework_rate": Bars(s.rework_rate_good, s.rework_rate_warn, False),
    }


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when nothing was counted."""
    return numerator / denominator if denominator else None


def kpi_values(days: Sequence[DayTotals]) -> dict[str, float | None]:
    """The four trace KPIs over the days given (see docs/packs/aidev.md for each formula)."""
    return {
        "ai_velocity": ratio(
            sum(d.identified_requests for d in days), sum(d.active_developers for d in days)
        ),
        "acceptance_rate": ratio(sum(d.accepted for d in days), sum(d.shown for d in days)),
        "error_rate": ratio(sum(d.failed for d in days), sum(d.requests for d in days)),
        "model_accuracy": ratio(sum(d.positive for d in days), sum(d.with_feedback for d in days)),
    }


NAMES = {
    "ai_velocity": ("AI velocity", "interactions/developer/day"),
    "acceptance_rate": ("Acceptance rate", "ratio"),
    "error_rate": ("Error rate", "ratio"),
    "model_accuracy": ("Model accuracy", "ratio"),
}


def _trend(value: float | None, previous: float | None) -> Trend:
    if value is None or previous is None:
        return Trend(previous=previous, change=None, direction=None)
    change = value - previous
    direction = "up" if change > 0 else "down" if change < 0 else "flat"
    return Trend(previous=previous, change=change, direction=direction)


def _by_model(models: Sequence[ModelTotals]) -> list[ModelAccuracy]:
    return [
        ModelAccuracy(
            model=m.model,
            value=ratio(m.positive, m.with_feedback),
            responses_with_feedback=m.with_feedback,
            positive=m.positive,
        )
        for m in models
        if m.with_feedback
    ]


def previous_window(window: TimeWindow) -> TimeWindow:
    """The window of the same length just before ``window``."""
    return TimeWindow(window.start - (window.end - window.start), window.start)


def _trace_kpis(
    current: dict[str, float | None],
    previous: dict[str, float | None],
    models: Sequence[ModelTotals],
    settings: AidevSettings,
    withheld: str | None,
) -> list[Kpi]:
    bars = bars_of(settings)
    found = []
    for key, (name, unit) in NAMES.items():
        if withheld:
            found.append(
                Kpi(key=key, name=name, value=None, unit=unit, status="withheld", reason=withheld)
            )
            continue
        value = current[key]
        found.append(
            Kpi(
                key=key,
                name=name,
                value=value,
                unit=unit,
                status=bars[key].status(value),
                trend=_trend(value, previous[key]),
                by_model=_by_model(models) if key == "model_accuracy" else None,
            )
        )
    return found


def _delivery_kpis(
    current: dict[str, float | None] | None,
    previous: dict[str, float | None] | None,
    settings: AidevSettings,
    withheld: str | None,
) -> list[Kpi]:
    bars = bars_of(settings)
    found = []
    for key, (name, unit) in DELIVERY_NAMES.items():
        if current is None or previous is None:
            found.append(
                Kpi(key=key, name=name, value=None, unit=unit, status="unavailable",
                    reason=DELIVERY_REASON)
            )  # fmt: skip
        elif withheld and key == "token_efficiency":
            # Lines per token would show the tokens of a team too small to show them.
            found.append(
                Kpi(key=key, name=name, value=None, unit=unit, status="withheld", reason=withheld)
            )
        else:
            value = current[key]
            found.append(
                Kpi(key=key, name=name, value=value, unit=unit, status=bars[key].status(value),
                    trend=_trend(value, previous[key]))
            )  # fmt: skip
    return found


async def delivery_values(
    session: AsyncSession, tenant_id: int, start: date, end: date, totals: Sequence[DayTotals]
) -> tuple[DeliveryData, dict[str, float | None]]:
    """The delivery data of the days [start, end) and the five KPIs it gives."""
    data = await delivery_data(session, tenant_id, whole_days(start, end))
    tokens = sum(d.tokens for d in totals)
    return data, delivery_kpi_values(data, tokens, (end - start).days)


def withheld_reason(developers: int, settings: AidevSettings) -> str | None:
    """Why team figures are withheld (too few developers), or None when they are shown."""
    if developers >= settings.min_team_size:
        return None
    return (
        f"team figures are withheld below {settings.min_team_size} developers "
        f"({developers} active in the window)"
    )


async def metrics(
    session: AsyncSession,
    tenant_id: int,
    window: TimeWindow,
    settings: AidevSettings,
    delivery: bool,
) -> MetricsOut:
    """The nine KPIs over ``window``, with trends against the window before it; the five that
    need pull requests and commits are ``unavailable`` unless ``delivery`` (the pack runs)."""
    start, end = day_span(window)
    before = previous_window(whole_days(start, end))
    current_days = await reads.daily_totals(session, tenant_id, start, end)
    previous_days = await reads.daily_totals(
        session, tenant_id, before.start.date(), before.end.date()
    )
    models = await reads.model_totals(session, tenant_id, start, end)
    developers = await reads.distinct_developers(session, tenant_id, start, end)
    withheld = withheld_reason(developers, settings)
    kpis = _trace_kpis(
        kpi_values(current_days), kpi_values(previous_days), models, settings, withheld
    )
    current = previous = None
    if delivery:
        _, current = await delivery_values(session, tenant_id, start, end, current_days)
        _, previous = await delivery_values(
            session, tenant_id, before.start.date(), before.end.date(), previous_days
        )
    kpis += _delivery_kpis(current, previous, settings, withheld)
    return MetricsOut(
        window=window.out(),
        previous_window=before.out(),
        active_developers=developers,
        kpis=kpis,
        data_as_of=datetime.now(UTC),
    )


@dataclass
class DeliveryDay:
    """One day's pull requests merged and commits per developer."""

    merged: int = 0
    commits: list[DeveloperCommits] = field(default_factory=list)


def _delivery_days(data: DeliveryData | None) -> dict[date, DeliveryDay]:
    if data is None:
        return {}
    by_day: dict[date, DeliveryDay] = {}
    for pr in data.merged:
        by_day.setdefault(pr.merged_at.date(), DeliveryDay()).merged += 1
    for row in data.commits:
        by_day.setdefault(row.day, DeliveryDay()).commits.append(row)
    return by_day


def _delivery_fields(day: date, by_day: dict[date, DeliveryDay], known: bool) -> dict[str, Any]:
    """The delivery fields of one day's series entry (none without delivery data)."""
    if not known:
        return {}
    found = by_day.get(day, DeliveryDay())
    return {
        "merged_pull_requests": found.merged,
        "commits": sum(c.commits for c in found.commits),
        "committers": len({c.developer for c in found.commits if c.developer is not None}),
        "commit_frequency": commit_frequency(found.commits),
    }


def day_series(
    days: Sequence[DayTotals], window: TimeWindow, delivery: DeliveryData | None = None
) -> list[DaySeries]:
    """One entry per day of the window (days without requests are zeros); the delivery
    fields stay null without delivery data."""
    start, end = day_span(window)
    by_day = {d.day: d for d in days}
    delivery_by_day = _delivery_days(delivery)
    series = []
    for day in days_between(start, end):
        d = by_day.get(day)
        outcomes = _delivery_fields(day, delivery_by_day, delivery is not None)
        if d is None:
            series.append(
                DaySeries(
                    **outcomes,
                    date=day,
                    requests=0,
                    active_developers=0,
                    velocity=None,
                    suggestions_shown=0,
                    suggestions_accepted=0,
                    acceptance_rate=None,
                    failed=0,
                    error_rate=None,
                    with_feedback=0,
                    positive=0,
                    tokens=0,
                    cost_usd=0,
                )
            )
            continue
        series.append(
            DaySeries(
                **outcomes,
                date=day,
                requests=d.requests,
                active_developers=d.active_developers,
                velocity=ratio(d.identified_requests, d.active_developers),
                suggestions_shown=d.shown,
                suggestions_accepted=d.accepted,
                acceptance_rate=ratio(d.accepted, d.shown),
                failed=d.failed,
                error_rate=ratio(d.failed, d.requests),
                with_feedback=d.with_feedback,
                positive=d.positive,
                tokens=d.tokens,
                cost_usd=d.cost_usd,
            )
        )
    return series


async def raw_metrics(
    session: AsyncSession,
    tenant_id: int,
    window: TimeWindow,
    settings: AidevSettings,
    delivery: bool,
) -> RawMetricsOut:
    """The daily series behind the KPIs (empty and withheld below the team-size floor)."""
    start, end = day_span(window)
    developers = await reads.distinct_developers(session, tenant_id, start, end)
    withheld = withheld_reason(developers, settings)
    if withheld:
        return RawMetricsOut(
            window=window.out(),
            withheld=True,
            reason=withheld,
            days=[],
            data_as_of=datetime.now(UTC),
        )
    days = await reads.daily_totals(session, tenant_id, start, end)
    data = await delivery_data(session, tenant_id, whole_days(start, end)) if delivery else None
    return RawMetricsOut(
        window=window.out(),
        withheld=False,
        reason=None,
        days=day_series(days, window, data),
        data_as_of=datetime.now(UTC),
    )
