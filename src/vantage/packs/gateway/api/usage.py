"""``GET /api/v1/usage`` (the log) and ``GET /api/v1/usage/summary`` (the rollup)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.ids import MAX_ROW_ID
from vantage.core.pagination import Cursors, Page, Pagination
from vantage.core.ratelimit import rate_limit
from vantage.core.windows import TimeWindow, window_param
from vantage.packs.gateway.api.rate_limit_groups import READ_GROUP
from vantage.packs.gateway.schemas import UsageRead, UsageSummary
from vantage.packs.gateway.service.usage_queries import list_usage, summarize_usage
from vantage.packs.gateway.settings import PACK_NAME
from vantage.packs.gateway.usage.filters import UsageFilters

router = APIRouter(
    prefix="/api/v1/usage", tags=["gateway"], dependencies=[Depends(rate_limit(READ_GROUP))]
)
Window = Annotated[TimeWindow, window_param(default_days=7)]
Status = Literal["ok", "error", "client_disconnect", "timeout"]
EndpointName = Literal["send", "stream", "openai"]


@router.get("", response_model=Page[UsageRead])
async def usage_log(
    principal: ReadPrincipal,
    session: ReadSession,
    page: Pagination,
    cursors: Cursors,
    window: Window,
    user_hash: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
    specialist: Annotated[str | None, Query(max_length=64)] = None,
    provider: Annotated[str | None, Query(max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    status: Status | None = None,
    endpoint: EndpointName | None = None,
    estimated: bool | None = None,
    api_key_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> Page[UsageRead]:
    """One row per request, newest first; deep pages use ``next_cursor``."""
    filters = UsageFilters(
        start=window.start,
        end=window.end,
        user_hash=user_hash,
        specialist=specialist,
        provider=provider,
        model=model,
        status=status,
        endpoint=endpoint,
        estimated=estimated,
        api_key_id=api_key_id,
    )
    return await list_usage(session, principal.tenant_id, filters, page, cursors)


@router.get("/summary", response_model=UsageSummary)
async def usage_summary(
    reads: ConditionalReads,
    response: Response,
    principal: ReadPrincipal,
    session: ReadSession,
    window: Window,
    group_by: Literal["day", "model", "provider", "specialist", "user"] = "day",
) -> UsageSummary:
    """Requests, tokens, cost and latency per day, model, provider, specialist or user hash."""
    read = await reads.begin(principal.tenant_id, PACK_NAME)
    read.stamp(response)
    totals, groups = await summarize_usage(session, principal.tenant_id, window, group_by)
    return UsageSummary(
        group_by=group_by,
        window=window.out(),
        totals=totals,
        data=groups,
        data_as_of=read.watermark.updated_at,
    )
