"""``GET /rfm``: RFM segments with counts and revenue."""

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
from vantage.packs.commerce.schemas import RfmOut
from vantage.packs.commerce.service import rfm

router = APIRouter()


@router.get("/rfm", response_model=RfmOut, summary="RFM segments with counts and revenue")
async def rfm_segments(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: CommerceRuntimeDep,
    window: Annotated[TimeWindow, day_window(lambda s: s.rfm_days)],
) -> Response:
    read, scope = await begin_read(reads, session, runtime, principal.tenant_id, window)
    return await read.json(lambda: rfm.rfm(session, scope, window))
