"""``GET /dashboard``: totals, status mix, trend and top products of a window."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.db import ReadSession
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.api.conditional import begin_read, cached_json
from vantage.packs.commerce.api.windows import day_window
from vantage.packs.commerce.runtime import CommerceRuntimeDep
from vantage.packs.commerce.schemas import DashboardOut
from vantage.packs.commerce.service import analytics

router = APIRouter()


@router.get("/dashboard", response_model=DashboardOut, summary="Totals, status mix, top products")
async def dashboard(
    request: Request,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: CommerceRuntimeDep,
    window: Annotated[TimeWindow, day_window(lambda s: s.dashboard_days)],
) -> Response:
    context = await begin_read(request, session, runtime, principal.tenant_id, window)
    settings = runtime.settings
    return await cached_json(
        request,
        context,
        lambda: analytics.dashboard(
            session,
            context.scope,
            window,
            top=settings.dashboard_top_products,
            trend_days=settings.trend_days,
        ),
    )
