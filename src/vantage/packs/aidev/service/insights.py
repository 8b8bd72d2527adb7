"""Insights over the daily trace series: lagged correlations of usage with outcomes, anomalies
against same-weekday baselines, and recommendations citing the numbers behind them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.stats import anomalies
from vantage.core.windows import TimeWindow
from vantage.packs.aidev.repository import reads
from vantage.packs.aidev.schemas import (
    AnomalyOut,
    CorrelationOut,
    DaySeries,
    InsightsOut,
    RecommendationOut,
)
from vantage.packs.aidev.service.days import day_span
from vantage.packs.aidev.service.metrics import (
    DELIVERY_NAMES,
    NAMES,
    bars_of,
    day_series,
    delivery_values,
    kpi_values,
    withheld_reason,
)
from vantage.packs.aidev.service.outcomes import DeliveryData
from vantage.packs.aidev.settings import AidevSettings
from vantage.packs.aidev.stats import correlation
from vantage.packs.aidev.stats.recommendations import KpiFigure, SeriesAnomaly, recommend

USAGE_SERIES = ("requests", "tokens", "cost_usd")
OUTCOME_SERIES = ("acceptance_rate", "error_rate", "model_accuracy")
# Outcomes the delivery pack's pull requests and commits give, when it runs.
DELIVERY_OUTCOME_SERIES = ("pr_throughput", "commits")
WATCHED_SERIES = ("requests", "tokens", "cost_usd", "error_rate")


def _value(day: DaySeries, name: str) -> float:
    if name == "model_accuracy":
        return day.positive / day.with_feedback if day.with_feedback else math.nan
    if name == "pr_throughput":
        name = "merged_pull_requests"
    value = getattr(day, name)
    return math.nan if value is None else float(value)


def series_of(days: Sequence[DaySeries], names: Sequence[str]) -> dict[str, list[float]]:
    """Named daily series (NaN where a ratio has no denominator)."""
    return {name: [_value(day, name) for day in days] for name in names}


def since_data_began(days: Sequence[DaySeries], first_day: date | None) -> list[DaySeries]:
    """The days from the tenant's first day with requests on.

    A day without requests after it is a real zero; one before it is no observation at all.
    Counted as zeros, the empty weeks before the data would make every ordinary day a spike
    against a median of 0 and pair usage of 0 with real outcomes in the correlations.
    """
    if first_day is None:
        return []
    return [day for day in days if day.date >= first_day]


def _correlation_out(test: correlation.LagTest) -> CorrelationOut:
    return CorrelationOut(
        usage=test.usage,
        outcome=test.outcome,
        lag_days=test.lag,
        method=test.method,
        n=test.n,
        r=test.r,
        p=test.p,
        q=test.q,
    )


def _anomalies(days: Sequence[DaySeries]) -> list[AnomalyOut]:
    found = []
    for name, values in series_of(days, WATCHED_SERIES).items():
        for anomaly in anomalies.detect(values):
            found.append(
                AnomalyOut(
                    series=name,
                    date=days[anomaly.index].date,
                    value=anomaly.value,
                    median=anomaly.median,
                    mad=anomaly.mad,
                    robust_z=anomaly.robust_z,
                    direction=anomaly.direction,
                )
            )
    return found


def _kpi_figures(
    totals: Sequence[reads.DayTotals],
    delivery: dict[str, float | None] | None,
    settings: AidevSettings,
) -> list[KpiFigure]:
    values = kpi_values(totals) | (delivery or {})
    named = {key: names for key, names in (NAMES | DELIVERY_NAMES).items() if key in values}
    bars = bars_of(settings)
    return [
        KpiFigure(key, name, values[key], bars[key].status(values[key]), unit, bars[key].warn)
        for key, (name, unit) in named.items()
    ]


async def insights(
    session: AsyncSession,
    tenant_id: int,
    window: TimeWindow,
    max_lag: int,
    settings: AidevSettings,
    delivery: bool,
) -> InsightsOut:
    """Findings, every correlation test run, anomalies and recommendations over ``window``;
    merged pull requests and commits join the outcomes when ``delivery`` (the pack runs)."""
    start, end = day_span(window)
    developers = await reads.distinct_developers(session, tenant_id, start, end)
    withheld = withheld_reason(developers, settings)
    totals = [] if withheld else await reads.daily_totals(session, tenant_id, start, end)
    data: DeliveryData | None = None
    delivery_kpis = None
    if delivery and not withheld:
        data, delivery_kpis = await delivery_values(session, tenant_id, start, end, totals)
    days = day_series(totals, window, data)
    if not withheld:
        days = since_data_began(days, await reads.first_day(session, tenant_id))
    outcomes = OUTCOME_SERIES + (DELIVERY_OUTCOME_SERIES if data else ())
    tests = correlation.lagged_correlations(
        series_of(days, USAGE_SERIES), series_of(days, outcomes), max_lag
    )
    found = correlation.findings(tests)
    spotted = [] if withheld else _anomalies(days)
    advice = recommend(
        [] if withheld else _kpi_figures(totals, delivery_kpis, settings),
        [SeriesAnomaly(a.series, a.date, a.value, a.median, a.robust_z) for a in spotted],
        found,
        requests=sum(t.requests for t in totals),
        unpriced=sum(t.unpriced for t in totals),
    )
    return InsightsOut(
        window=window.out(),
        max_lag_days=max_lag,
        withheld=withheld is not None,
        reason=withheld,
        tests=len(tests),
        findings=[_correlation_out(t) for t in found],
        correlations=[_correlation_out(t) for t in tests],
        anomalies=spotted,
        recommendations=[
            RecommendationOut(
                rule=r.rule, severity=r.severity, message=r.message, evidence=r.evidence
            )
            for r in advice
        ],
        data_as_of=datetime.now(UTC),
    )
