"""The KPIs computed from traces alone, their status against the settings' bars, and the
daily series behind them. Team figures are withheld below ``min_team_size`` developers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

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
from vantage.packs.aidev.settings import AidevSettings

DELIVERY_REASON = (
    "needs pull request and commit data from the delivery pack, which is not connected"
)
DELIVERY_KPIS = (
    ("token_efficiency", "Token efficiency", "lines/1k tokens"),
    ("pr_throughput", "PR throughput", "PRs/week"),
    ("commit_frequency", "Commit frequency", "commits/developer/day"),
    ("merge_time", "Merge time", "hours"),
    ("rework_rate", "Rework rate", "ratio"),
)


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


def withheld_reason(developers: int, settings: AidevSettings) -> str | None:
    """Why team figures are withheld (too few developers), or None when they are shown."""
    if developers >= settings.min_team_size:
        return None
    return (
        f"team figures are withheld below {settings.min_team_size} developers "
        f"({developers} active in the window)"
    )


async def metrics(
    session: AsyncSession, tenant_id: int, window: TimeWindow, settings: AidevSettings
) -> MetricsOut:
    """The nine KPIs over ``window``, with trends against the window before it."""
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
    kpis += [
        Kpi(key=key, name=name, value=None, unit=unit, status="unavailable", reason=DELIVERY_REASON)
        for key, name, unit in DELIVERY_KPIS
    ]
    return MetricsOut(
        window=window.out(),
        previous_window=before.out(),
        active_developers=developers,
        kpis=kpis,
        data_as_of=datetime.now(UTC),
    )


def day_series(days: Sequence[DayTotals], window: TimeWindow) -> list[DaySeries]:
    """One entry per day of the window (days without requests are zeros)."""
    start, end = day_span(window)
    by_day = {d.day: d for d in days}
    series = []
    for day in days_between(start, end):
        d = by_day.get(day)
        if d is None:
            series.append(
                DaySeries(
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
    session: AsyncSession, tenant_id: int, window: TimeWindow, settings: AidevSettings
) -> RawMetricsOut:
    """The daily series behind the KPIs (empty and withheld below the team-size floor)."""
    start, end = day_span(window)
    developers = await reads.distinct_developers(session, tenant_id, start, end)
    withheld = withheld_reason(developers, settings)
    days = [] if withheld else await reads.daily_totals(session, tenant_id, start, end)
    return RawMetricsOut(
        window=window.out(),
        withheld=withheld is not None,
        reason=withheld,
        days=[] if withheld else day_series(days, window),
        data_as_of=datetime.now(UTC),
    )
