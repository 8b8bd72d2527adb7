"""``GET /api/v1/delivery/dora`` and ``/dora/trend``: DORA figures of a scope and window."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from vantage.core.db import ReadSession
from vantage.packs.delivery.api.reads import Read
from vantage.packs.delivery.schemas import DoraOut, TrendOut
from vantage.packs.delivery.service import dora as dora_service

router = APIRouter(prefix="/api/v1/delivery", tags=["delivery"])
Name = Annotated[str | None, Query(min_length=1, max_length=200)]


async def _filter(
    project: Name = None, team: Name = None, repository: Name = None, service: Name = None
) -> dora_service.DoraFilter:
    return dora_service.DoraFilter(
        project=project, team=team, repository=repository, service=service
    )


Filter = Annotated[dora_service.DoraFilter, Depends(_filter)]


@router.get(
    "/dora",
    response_model=DoraOut,
    summary="DORA figures, bands and linkage coverage",
)
async def get_dora(read: Read, session: ReadSession, scope: Filter) -> Response:
    return await read.json(lambda: dora_service.dora(session, read.tenant_id, scope, read.window))


@router.get(
    "/dora/trend",
    response_model=TrendOut,
    summary="DORA figures per ISO week",
)
async def get_dora_trend(
    read: Read, session: ReadSession, scope: Filter, granularity: Literal["week"] = "week"
) -> Response:
    return await read.json(lambda: dora_service.trend(session, read.tenant_id, scope, read.window))
