"""Sessions and developer profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.pagination import Cursors, Pagination
from vantage.core.sorting import SortKey, sort_param
from vantage.core.windows import MAX_DAYS, TimeWindow, WindowBound, resolve_window, window_param
from vantage.packs.aidev.api.reads import begin_read
from vantage.packs.aidev.runtime import AidevRuntimeDep
from vantage.packs.aidev.schemas import ProfileOut, SessionDetail, SessionFilters, SessionPage
from vantage.packs.aidev.service import sessions

router = APIRouter()
Name = Annotated[str | None, Query(min_length=1, max_length=320)]


@router.get("/sessions", response_model=SessionPage, summary="Sessions, filtered and sorted")
async def list_sessions(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: AidevRuntimeDep,
    page: Pagination,
    cursors: Cursors,
    sort: Annotated[list[SortKey], sort_param(sessions.SORT_FIELDS, "-timestamp", max_keys=1)],
    developer: Name = None,
    model: Name = None,
    repository: Name = None,
    start: Annotated[WindowBound | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[WindowBound | None, Query(alias="to", max_length=40)] = None,
) -> Response:
    window = resolve_window(start, end, None, default_days=MAX_DAYS) if start or end else None
    filters = SessionFilters(
        developer=developer,
        model=model,
        repository=repository,
        start=window.start if window and start else None,
        end=window.end if window and end else None,
    )
    tenant_id = principal.tenant_id
    read = await begin_read(reads, session, tenant_id)
    return await read.json(
        lambda: sessions.list_sessions(session, tenant_id, filters, sort, page, cursors)
    )


@router.get(
    "/sessions/{session_id}", response_model=SessionDetail, summary="One session and its requests"
)
async def get_session(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: AidevRuntimeDep,
    session_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> Response:
    tenant_id = principal.tenant_id
    read = await begin_read(reads, session, tenant_id, runtime=runtime)
    return await read.json(
        lambda: sessions.session_detail(session, tenant_id, session_id, runtime.delivery_running())
    )


@router.get(
    "/profile",
    response_model=ProfileOut,
    summary="One developer's usage",
    responses={404: {"description": "No requests of that developer"}},
)
async def get_profile(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: AidevRuntimeDep,
    developer: Annotated[str, Query(min_length=1, max_length=320)],
    window: Annotated[TimeWindow, window_param(30)],
) -> Response:
    tenant_id = principal.tenant_id
    read = await begin_read(reads, session, tenant_id, window=window)
    return await read.json(lambda: sessions.profile(session, tenant_id, developer, window))
