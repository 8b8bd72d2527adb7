"""``GET /api/v1/delivery/pulls``, ``/contributors`` and ``/repositories``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.pagination import Cursors, Pagination
from vantage.packs.delivery.api.dora import Window
from vantage.packs.delivery.api.reads import begin_read
from vantage.packs.delivery.schemas import ContributorsOut, PullsOut, RepositoriesOut
from vantage.packs.delivery.service import analytics

router = APIRouter(prefix="/api/v1/delivery", tags=["delivery"])
Name = Annotated[str | None, Query(min_length=1, max_length=200)]


async def _list_query(
    window: Window,
    page: Pagination,
    cursors: Cursors,
    repository: Name = None,
    team: Name = None,
    project: Name = None,
) -> analytics.ListQuery:
    return analytics.ListQuery(
        window=window, repository=repository, team=team, project=project, page=page,
        cursors=cursors,
    )  # fmt: skip


ListQuery = Annotated[analytics.ListQuery, Depends(_list_query)]


@router.get(
    "/pulls",
    response_model=PullsOut,
    summary="Merged pull requests: stages, reviews",
)
async def get_pulls(
    reads: ConditionalReads, session: ReadSession, principal: ReadPrincipal, query: ListQuery
) -> Response:
    read = await begin_read(reads, principal.tenant_id, query.window)
    return await read.json(lambda: analytics.pulls(session, principal.tenant_id, query))


@router.get(
    "/contributors",
    response_model=ContributorsOut,
    summary="Activity, and who reviews whom",
)
async def get_contributors(
    reads: ConditionalReads, session: ReadSession, principal: ReadPrincipal, query: ListQuery
) -> Response:
    read = await begin_read(reads, principal.tenant_id, query.window)
    return await read.json(lambda: analytics.contributors(session, principal.tenant_id, query))


@router.get(
    "/repositories",
    response_model=RepositoriesOut,
    summary="Commit patterns, release cadence and merge methods per repository",
)
async def get_repositories(
    reads: ConditionalReads, session: ReadSession, principal: ReadPrincipal, query: ListQuery
) -> Response:
    read = await begin_read(reads, principal.tenant_id, query.window)
    return await read.json(lambda: analytics.repository_stats(session, principal.tenant_id, query))
