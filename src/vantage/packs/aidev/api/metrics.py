"""The KPIs, their daily series, and insights."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.windows import TimeWindow, window_param
from vantage.packs.aidev.api.reads import begin_read
from vantage.packs.aidev.runtime import AidevRuntimeDep
from vantage.packs.aidev.schemas import InsightsOut, MetricsOut, RawMetricsOut
from vantage.packs.aidev.service import insights, metrics

router = APIRouter()


@router.get("/metrics", response_model=MetricsOut, summary="The nine KPIs with status and trend")
async def get_metrics(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: AidevRuntimeDep,
    window: Annotated[TimeWindow, window_param(7)],
) -> Response:
    tenant_id = principal.tenant_id
    read = await begin_read(reads, session, tenant_id, window=window, runtime=runtime)
    return await read.json(
        lambda: metrics.metrics(
            session, tenant_id, window, runtime.settings, runtime.delivery_running()
        )
    )


@router.get("/metrics/raw", response_model=RawMetricsOut, summary="Daily series behind the KPIs")
async def get_raw_metrics(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: AidevRuntimeDep,
    window: Annotated[TimeWindow, window_param(30)],
) -> Response:
    tenant_id = principal.tenant_id
    read = await begin_read(reads, session, tenant_id, window=window, runtime=runtime)
    return await read.json(
        lambda: metrics.raw_metrics(
            session, tenant_id, window, runtime.settings, runtime.delivery_running()
        )
    )


@router.get(
    "/insights",
    response_model=InsightsOut,
    summary="Lagged correlations (BH q), anomalies and recommendations",
)
async def get_insights(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: AidevRuntimeDep,
    window: Annotated[TimeWindow, window_param(90)],
    max_lag_days: Annotated[int, Query(ge=0, le=30)] = 14,
) -> Response:
    tenant_id = principal.tenant_id
    read = await begin_read(reads, session, tenant_id, window=window, runtime=runtime)
    return await read.json(
        lambda: insights.insights(
            session,
            tenant_id,
            window,
            max_lag_days,
            runtime.settings,
            runtime.delivery_running(),
        )
    )
