"""The KPIs, their daily series, and insights."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.db import ReadSession
from vantage.core.windows import TimeWindow, window_param
from vantage.packs.aidev.runtime import AidevRuntimeDep
from vantage.packs.aidev.schemas import InsightsOut, MetricsOut, RawMetricsOut
from vantage.packs.aidev.service import insights, metrics

router = APIRouter()


@router.get("/metrics", response_model=MetricsOut, summary="The nine KPIs with status and trend")
async def get_metrics(
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: AidevRuntimeDep,
    window: Annotated[TimeWindow, window_param(7)],
) -> MetricsOut:
    return await metrics.metrics(
        session, principal.tenant_id, window, runtime.settings, runtime.delivery_running()
    )


@router.get("/metrics/raw", response_model=RawMetricsOut, summary="Daily series behind the KPIs")
async def get_raw_metrics(
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: AidevRuntimeDep,
    window: Annotated[TimeWindow, window_param(30)],
) -> RawMetricsOut:
    return await metrics.raw_metrics(
        session, principal.tenant_id, window, runtime.settings, runtime.delivery_running()
    )


@router.get(
    "/insights",
    response_model=InsightsOut,
    summary="Lagged correlations (BH q), anomalies and recommendations",
)
async def get_insights(
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: AidevRuntimeDep,
    window: Annotated[TimeWindow, window_param(90)],
    max_lag_days: Annotated[int, Query(ge=0, le=30)] = 14,
) -> InsightsOut:
    return await insights.insights(
        session,
        principal.tenant_id,
        window,
        max_lag_days,
        runtime.settings,
        runtime.delivery_running(),
    )
