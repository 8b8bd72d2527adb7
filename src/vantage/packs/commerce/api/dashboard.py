"""``GET /dashboard``: totals, status mix, trend and top products of a window."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.api.reads import begin_read
from vantage.packs.commerce.api.windows import day_window
from vantage.packs.commerce.runtime import CommerceRuntimeDep
from vantage.packs.commerce.schemas import DashboardOut
from vantage.packs.commerce.service import analytics

router = APIRouter()


@router.get("/dashboard", response_model=DashboardOut, summary="Totals, status mix, top products")
async def dashboard(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: CommerceRuntimeDep,
    window: Annotated[TimeWindow, day_window(lambda s: s.dashboard_days)],
) -> Response:
    read, scope = await begin_read(reads, session, runtime, principal.tenant_id, window)
    settings = runtime.settings
    return await read.json(
        lambda: analytics.dashboard(
            session,
            scope,
            window,
            top=settings.dashboard_top_products,
            trend_days=settings.trend_days,
        ),
    )
