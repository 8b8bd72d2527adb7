"""``GET /cohorts``: the monthly retention matrix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.api.reads import begin_read
from vantage.packs.commerce.api.windows import month_window
from vantage.packs.commerce.runtime import CommerceRuntimeDep
from vantage.packs.commerce.schemas import CohortsOut
from vantage.packs.commerce.service import cohorts

router = APIRouter()


@router.get("/cohorts", response_model=CohortsOut, summary="Monthly retention matrix")
async def cohort_matrix(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: CommerceRuntimeDep,
    window: Annotated[TimeWindow, month_window()],
) -> Response:
    read, scope = await begin_read(reads, session, runtime, principal.tenant_id, window)
    return await read.json(lambda: cohorts.cohorts(session, scope, window))
