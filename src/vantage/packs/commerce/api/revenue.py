"""``GET /revenue``: revenue per day, week or month."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.windows import MAX_DAYS, TimeWindow
from vantage.packs.commerce.api.reads import begin_read
from vantage.packs.commerce.api.windows import day_window
from vantage.packs.commerce.runtime import CommerceRuntimeDep
from vantage.packs.commerce.schemas import RevenueOut
from vantage.packs.commerce.service import analytics

router = APIRouter()


@router.get("/revenue", response_model=RevenueOut, summary="Revenue per day, week or month")
async def revenue(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: CommerceRuntimeDep,
    window: Annotated[TimeWindow, day_window(lambda s: s.revenue_days)],
    granularity: Literal["day", "week", "month"] = "day",
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_DAYS, description="Only the latest N buckets")
    ] = None,
) -> Response:
    read, scope = await begin_read(reads, session, runtime, principal.tenant_id, window)
    return await read.json(
        lambda: analytics.revenue(session, scope, window, granularity, limit),
    )
