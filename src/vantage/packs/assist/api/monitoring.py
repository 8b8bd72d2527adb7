"""``/api/v1/ml/...``: predictions and outcomes, performance and drift, anomalies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from vantage.core.auth.dependencies import IngestPrincipal, ReadPrincipal
from vantage.core.db import ReadSession, WriteSession
from vantage.core.pagination import OffsetPagination
from vantage.core.ratelimit import rate_limit
from vantage.core.windows import TimeWindow, window_param
from vantage.packs.assist.api.freshness import answer_if_current
from vantage.packs.assist.schemas import (
    AnomaliesOut,
    MetricPointsIn,
    MetricPointsOut,
    OutcomeBatchIn,
    OutcomeBatchOut,
    PerformanceOut,
    PredictionBatchIn,
    PredictionBatchOut,
    PredictionPage,
)
from vantage.packs.assist.service import anomalies, monitoring

router = APIRouter(prefix="/api/v1/ml", tags=["assist"])
reads = APIRouter(dependencies=[Depends(rate_limit("assist.read"))])
writes = APIRouter(dependencies=[Depends(rate_limit("assist.ingest"))])
ModelQuery = Annotated[str | None, Query(min_length=1, max_length=128, description="One model")]


@writes.post("/predictions", response_model=PredictionBatchOut, summary="Record predictions")
async def record_predictions(
    body: PredictionBatchIn, session: WriteSession, principal: IngestPrincipal
) -> PredictionBatchOut:
    return await monitoring.record_predictions(session, principal.tenant_id, body)


@writes.post(
    "/predictions/outcomes", response_model=OutcomeBatchOut, summary="Record what happened"
)
async def record_outcomes(
    body: OutcomeBatchIn, session: WriteSession, principal: IngestPrincipal
) -> OutcomeBatchOut:
    return await monitoring.record_outcomes(session, principal.tenant_id, body)


@writes.post("/anomalies", response_model=MetricPointsOut, summary="Report daily metric values")
async def record_metric_points(
    body: MetricPointsIn, session: WriteSession, principal: IngestPrincipal
) -> MetricPointsOut:
    return await anomalies.record_metric_points(session, principal.tenant_id, body)


@reads.get("/predictions", response_model=PredictionPage, summary="Predictions, newest first")
async def list_predictions(
    request: Request,
    response: Response,
    session: ReadSession,
    principal: ReadPrincipal,
    page: OffsetPagination,
    model: ModelQuery = None,
) -> PredictionPage:
    await answer_if_current(request, response, session, principal.tenant_id)
    return await monitoring.list_predictions(
        session, principal.tenant_id, model, page.limit, page.offset
    )


@reads.get("/performance", response_model=PerformanceOut, summary="Quality, latency, drift")
async def performance(
    request: Request,
    response: Response,
    session: ReadSession,
    principal: ReadPrincipal,
    window: Annotated[TimeWindow, window_param(default_days=7)],
    model: ModelQuery = None,
    positive_label: Annotated[str, Query(min_length=1, max_length=128)] = "1",
) -> PerformanceOut:
    await answer_if_current(request, response, session, principal.tenant_id, window)
    return await monitoring.performance(session, principal.tenant_id, model, window, positive_label)


@reads.get("/anomalies", response_model=AnomaliesOut, summary="Anomalous days per metric")
async def list_anomalies(
    request: Request,
    response: Response,
    session: ReadSession,
    principal: ReadPrincipal,
    window: Annotated[TimeWindow, window_param(default_days=14)],
    model: ModelQuery = None,
) -> AnomaliesOut:
    await answer_if_current(request, response, session, principal.tenant_id, window)
    return await anomalies.anomalies(session, principal.tenant_id, model, window)


router.include_router(writes)
router.include_router(reads)
