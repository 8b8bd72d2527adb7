"""Anomaly alerts on daily model metrics, from the core's same-weekday robust detector.

Series per model: ``predictions`` (count), ``error_rate``, ``latency_ms`` (mean) and
``accuracy`` (of labelled outcomes), derived from the recorded predictions, plus any metric
reported through ``POST /api/v1/ml/anomalies``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.stats.anomalies import same_weekday_anomalies
from vantage.core.windows import TimeWindow
from vantage.packs.assist.repository import monitoring
from vantage.packs.assist.schemas import AnomaliesOut, AnomalyOut, MetricPointsIn, MetricPointsOut
from vantage.packs.assist.service.freshness import data_changed

BASELINE_WEEKS = 8
Series = dict[tuple[str, str], dict[date, float]]


async def record_metric_points(
    session: AsyncSession, tenant_id: int, batch: MetricPointsIn
) -> MetricPointsOut:
    """Store reported daily values (the last report of a day wins)."""
    unique = {(p.model, p.metric, p.day): p.model_dump() for p in batch.points}
    stored = await monitoring.upsert_metric_points(session, tenant_id, list(unique.values()))
    await data_changed(session, tenant_id)
    return MetricPointsOut(stored=stored)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _derived(rows: list[dict[str, Any]]) -> Series:
    series: Series = defaultdict(dict)
    for row in rows:
        model, day, count = str(row["model"]), _as_date(row["day"]), int(row["predictions"])
        series[(model, "predictions")][day] = float(count)
        series[(model, "error_rate")][day] = int(row["failed"] or 0) / count
        if row["latency_mean"] is not None:
            series[(model, "latency_ms")][day] = float(row["latency_mean"])
        if row["labelled"]:
            series[(model, "accuracy")][day] = int(row["correct"] or 0) / int(row["labelled"])
    return series


async def anomalies(
    session: AsyncSession, tenant_id: int, model: str | None, window: TimeWindow
) -> AnomaliesOut:
    """Anomalous days in the window of every series of every model (or of ``model``)."""
    first, stop = window.start.date(), window.end.date()
    history = window.start - timedelta(weeks=BASELINE_WEEKS)
    series = _derived(await monitoring.daily_series(session, tenant_id, model, history, window.end))
    points = await monitoring.metric_points(session, tenant_id, model, history.date(), stop)
    for name, metric, day, value in points:
        series[(name, metric)][day] = value
    days = [first + timedelta(days=n) for n in range((stop - first).days)]
    found = []
    for (name, metric), values in sorted(series.items()):
        for anomaly in same_weekday_anomalies(values, days, weeks=BASELINE_WEEKS):
            found.append(
                AnomalyOut(
                    model=name,
                    metric=metric,
                    day=anomaly.day,
                    value=anomaly.value,
                    baseline_median=anomaly.baseline_median,
                    mad=anomaly.mad,
                    robust_z=anomaly.robust_z if math.isfinite(anomaly.robust_z) else None,
                    direction="high" if anomaly.robust_z > 0 else "low",
                )
            )
    return AnomaliesOut(window=window.out(), series_checked=len(series), anomalies=found)
