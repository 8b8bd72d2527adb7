"""``GET /rfm``: RFM segments with counts and revenue."""

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
from vantage.packs.commerce.schemas import RfmOut
from vantage.packs.commerce.service import rfm

router = APIRouter()


@router.get("/rfm", response_model=RfmOut, summary="RFM segments with counts and revenue")
async def rfm_segments(
    request: Request,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: CommerceRuntimeDep,
    window: Annotated[TimeWindow, day_window(lambda s: s.rfm_days)],
) -> Response:
    context = await begin_read(request, session, runtime, principal.tenant_id, window)
    return await cached_json(request, context, lambda: rfm.rfm(session, context.scope, window))
