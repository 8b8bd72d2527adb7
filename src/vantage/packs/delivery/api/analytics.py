"""``GET /api/v1/delivery/pulls``, ``/contributors`` and ``/repositories``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from vantage.core.db import ReadSession
from vantage.core.pagination import Cursors, Pagination
from vantage.packs.delivery.api.reads import Read, Window
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
async def get_pulls(read: Read, session: ReadSession, query: ListQuery) -> Response:
    return await read.json(lambda: analytics.pulls(session, read.tenant_id, query))


@router.get(
    "/contributors",
    response_model=ContributorsOut,
    summary="Activity, and who reviews whom",
)
async def get_contributors(read: Read, session: ReadSession, query: ListQuery) -> Response:
    return await read.json(lambda: analytics.contributors(session, read.tenant_id, query))


@router.get(
    "/repositories",
    response_model=RepositoriesOut,
    summary="Commit patterns, release cadence and merge methods per repository",
)
async def get_repositories(read: Read, session: ReadSession, query: ListQuery) -> Response:
    return await read.json(lambda: analytics.repository_stats(session, read.tenant_id, query))
