"""``GET /api/v1/delivery/dora`` and ``/dora/trend``: DORA figures of a scope and window."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.windows import MAX_DAYS, TimeWindow, WindowBound, resolve_window
from vantage.packs.delivery.api.reads import begin_read
from vantage.packs.delivery.runtime import DeliveryRuntimeDep
from vantage.packs.delivery.schemas import DoraOut, TrendOut
from vantage.packs.delivery.service import dora as dora_service

router = APIRouter(prefix="/api/v1/delivery", tags=["delivery"])
Name = Annotated[str | None, Query(min_length=1, max_length=200)]


async def _window(
    runtime: DeliveryRuntimeDep,
    start: Annotated[
        WindowBound | None, Query(alias="from", max_length=40, description="Start")
    ] = None,
    end: Annotated[
        WindowBound | None, Query(alias="to", max_length=40, description="End (excl.)")
    ] = None,
    days: Annotated[int | None, Query(ge=1, le=MAX_DAYS, description="The last N days")] = None,
) -> TimeWindow:
    return resolve_window(start, end, days, default_days=runtime.settings.dora_days)


async def _filter(
    project: Name = None, team: Name = None, repository: Name = None, service: Name = None
) -> dora_service.DoraFilter:
    return dora_service.DoraFilter(
        project=project, team=team, repository=repository, service=service
    )


Window = Annotated[TimeWindow, Depends(_window)]
Filter = Annotated[dora_service.DoraFilter, Depends(_filter)]


@router.get(
    "/dora",
    response_model=DoraOut,
    summary="DORA figures, bands and linkage coverage",
)
async def get_dora(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    window: Window,
    scope: Filter,
) -> Response:
    read = await begin_read(reads, principal.tenant_id, window)
    return await read.json(lambda: dora_service.dora(session, principal.tenant_id, scope, window))


@router.get(
    "/dora/trend",
    response_model=TrendOut,
    summary="DORA figures per ISO week",
)
async def get_dora_trend(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    window: Window,
    scope: Filter,
    granularity: Literal["week"] = "week",
) -> Response:
    read = await begin_read(reads, principal.tenant_id, window)
    return await read.json(lambda: dora_service.trend(session, principal.tenant_id, scope, window))
