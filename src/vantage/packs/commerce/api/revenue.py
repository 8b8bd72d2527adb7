"""``GET /revenue``: revenue per day, week or month."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.db import ReadSession
from vantage.core.windows import MAX_DAYS, TimeWindow
from vantage.packs.commerce.api.conditional import begin_read, cached_json
from vantage.packs.commerce.api.windows import day_window
from vantage.packs.commerce.runtime import CommerceRuntimeDep
from vantage.packs.commerce.schemas import RevenueOut
from vantage.packs.commerce.service import analytics

router = APIRouter()


@router.get("/revenue", response_model=RevenueOut, summary="Revenue per day, week or month")
async def revenue(
    request: Request,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: CommerceRuntimeDep,
    window: Annotated[TimeWindow, day_window(lambda s: s.revenue_days)],
    granularity: Literal["day", "week", "month"] = "day",
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_DAYS, description="Only the latest N buckets")
    ] = None,
) -> Response:
    context = await begin_read(request, session, runtime, principal.tenant_id, window)
    return await cached_json(
        request,
        context,
        lambda: analytics.revenue(session, context.scope, window, granularity, limit),
    )
