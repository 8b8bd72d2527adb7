"""ML monitoring: predictions, their outcomes, performance and drift per model."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import utcnow
from vantage.core.pagination import PaginationMeta
from vantage.core.windows import TimeWindow
from vantage.packs.assist.repository import monitoring
from vantage.packs.assist.schemas import (
    FeatureDriftOut,
    LatencyOut,
    ModelPerformanceOut,
    OutcomeBatchIn,
    OutcomeBatchOut,
    PerformanceOut,
    PredictionBatchIn,
    PredictionBatchOut,
    PredictionOut,
    PredictionPage,
)
from vantage.packs.assist.service.drift import drift
from vantage.packs.assist.service.freshness import data_changed

SAMPLE_CAP = 50_000


async def record_predictions(
    session: AsyncSession, tenant_id: int, batch: PredictionBatchIn
) -> PredictionBatchOut:
    """Store a batch; predictions already recorded (same model and id) are left as they are."""
    unique = {(p.model, p.prediction_id): p for p in batch.predictions}
    rows = [prediction.model_dump() for prediction in unique.values()]
    inserted = await monitoring.insert_predictions(session, tenant_id, rows)
    if inserted:
        await data_changed(session, tenant_id)
    received = len(batch.predictions)
    return PredictionBatchOut(received=received, inserted=inserted, duplicates=received - inserted)


async def record_outcomes(
    session: AsyncSession, tenant_id: int, batch: OutcomeBatchIn
) -> OutcomeBatchOut:
    """Attach what actually happened to recorded predictions (the last report of one wins)."""
    latest = {(o.model, o.prediction_id): o for o in batch.outcomes}
    by_model: dict[str, list[str]] = {}
    for model, prediction_id in latest:
        by_model.setdefault(model, []).append(prediction_id)
    known: dict[tuple[str, str], int] = {}
    for model, ids in by_model.items():
        found = await monitoring.known_prediction_ids(session, tenant_id, model, ids)
        known.update(((model, prediction_id), row_id) for prediction_id, row_id in found.items())
    now = utcnow()
    rows = [
        {
            "id": known[model, prediction_id],
            "actual_label": outcome.actual_label,
            "actual_value": outcome.actual_value,
            "outcome_at": outcome.observed_at or now,
        }
        for (model, prediction_id), outcome in latest.items()
        if (model, prediction_id) in known
    ]
    await monitoring.record_outcomes(session, tenant_id, rows)
    if rows:
        await data_changed(session, tenant_id)
    unknown = [o.prediction_id for o in batch.outcomes if (o.model, o.prediction_id) not in known]
    return OutcomeBatchOut(updated=len(rows), unknown=unknown)


async def list_predictions(
    session: AsyncSession, tenant_id: int, model: str | None, limit: int, offset: int
) -> PredictionPage:
    """A page of predictions, newest first."""
    rows, total = await monitoring.list_predictions(session, tenant_id, model, limit, offset)
    return PredictionPage(
        data=[PredictionOut.model_validate(row, from_attributes=True) for row in rows],
        pagination=PaginationMeta(limit=limit, offset=offset, total=total),
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _latency(samples: list[float], mean: Any) -> LatencyOut:
    if not samples:
        return LatencyOut(p50=None, p95=None, mean=None)
    p50, p95 = np.percentile(samples, [50, 95])
    return LatencyOut(p50=float(p50), p95=float(p95), mean=float(mean))


def _feature_values(rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for features in rows:
        for name, value in features.items():
            if isinstance(value, int | float) and math.isfinite(value):
                values.setdefault(name, []).append(float(value))
    return values


async def _drift(
    session: AsyncSession, tenant_id: int, model: str, window: TimeWindow, baseline: TimeWindow
) -> list[FeatureDriftOut]:
    current = _feature_values(
        await monitoring.feature_rows(
            session, tenant_id, model, window.start, window.end, SAMPLE_CAP
        )
    )
    reference = _feature_values(
        await monitoring.feature_rows(
            session, tenant_id, model, baseline.start, baseline.end, SAMPLE_CAP
        )
    )
    found = []
    for feature in sorted(current.keys() | reference.keys()):
        measured = drift(reference.get(feature, []), current.get(feature, []))
        found.append(
            FeatureDriftOut(
                feature=feature,
                psi=measured.psi,
                ks_statistic=measured.ks_statistic,
                ks_p_value=measured.ks_p_value,
                baseline_count=len(reference.get(feature, [])),
                current_count=len(current.get(feature, [])),
            )
        )
    return found


async def performance(
    session: AsyncSession,
    tenant_id: int,
    model: str | None,
    window: TimeWindow,
    positive_label: str,
) -> PerformanceOut:
    """Per model in the window: errors, latency, accuracy, precision, recall, MAE, RMSE and
    drift of each feature against the window of the same length just before it."""
    baseline = TimeWindow(window.start - (window.end - window.start), window.start)
    models = []
    totals = await monitoring.model_totals(
        session, tenant_id, model, window.start, window.end, positive_label
    )
    for row in totals:
        name = str(row["model"])
        samples = await monitoring.latencies(
            session, tenant_id, name, window.start, window.end, SAMPLE_CAP
        )
        tp, fp, fn = int(row["tp"] or 0), int(row["fp"] or 0), int(row["fn"] or 0)
        regressions = int(row["regressions"] or 0)
        mse = _ratio(float(row["sq_error"] or 0), regressions)
        models.append(
            ModelPerformanceOut(
                model=name,
                predictions=int(row["predictions"]),
                failed=int(row["failed"] or 0),
                error_rate=_ratio(int(row["failed"] or 0), int(row["predictions"])),
                latency_ms=_latency(samples, row["latency_mean"]),
                with_outcome=int(row["with_outcome"] or 0),
                accuracy=_ratio(int(row["correct"] or 0), int(row["labelled"] or 0)),
                positive_label=positive_label,
                precision=_ratio(tp, tp + fp),
                recall=_ratio(tp, tp + fn),
                mae=_ratio(float(row["abs_error"] or 0), regressions),
                rmse=None if mse is None else math.sqrt(mse),
                drift=await _drift(session, tenant_id, name, window, baseline),
            )
        )
    return PerformanceOut(window=window.out(), baseline=baseline.out(), models=models)
