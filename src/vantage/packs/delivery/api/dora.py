"""``GET /api/v1/delivery/dora`` and ``/dora/trend``: DORA figures of a scope and window."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.cache import (
    NotModified,
    cache_control,
    compute_etag,
    etag_matches,
    route_template,
)
from vantage.core.context import core_of
from vantage.core.db import ReadSession
from vantage.core.windows import MAX_DAYS, TimeWindow, WindowBound, resolve_window
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


async def _conditional(
    request: Request,
    response: Response,
    session: ReadSession,
    principal: ReadPrincipal,
    window: Window,
) -> None:
    """304 when the client holds the current answer; else the ETag and Cache-Control headers.

    The ETag covers the resolved window too: ``?days=7`` means another week tomorrow, with the
    same data.
    """
    watermark = await dora_service.watermark(session, principal.tenant_id)
    params = list(request.query_params.multi_items())
    params.append(("~window", f"{window.start.isoformat()}/{window.end.isoformat()}"))
    etag = compute_etag(route_template(request), params, principal.tenant_id, watermark)
    control = cache_control(core_of(request).settings.cache_max_age_seconds)
    if etag_matches(request.headers.get("if-none-match"), etag):
        raise NotModified(etag, control)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = control


Conditional = Depends(_conditional)


@router.get(
    "/dora",
    response_model=DoraOut,
    summary="DORA figures, bands and linkage coverage",
    dependencies=[Conditional],
)
async def get_dora(
    session: ReadSession, principal: ReadPrincipal, window: Window, scope: Filter
) -> DoraOut:
    return await dora_service.dora(session, principal.tenant_id, scope, window)


@router.get(
    "/dora/trend",
    response_model=TrendOut,
    summary="DORA figures per ISO week",
    dependencies=[Conditional],
)
async def get_dora_trend(
    session: ReadSession,
    principal: ReadPrincipal,
    window: Window,
    scope: Filter,
    granularity: Literal["week"] = "week",
) -> TrendOut:
    return await dora_service.trend(session, principal.tenant_id, scope, window)
