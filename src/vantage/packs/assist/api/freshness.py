"""Conditional reads: an ETag from the data version, the query and the resolved window."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.cache import (
    NotModified,
    cache_control,
    compute_etag,
    etag_matches,
    route_template,
)
from vantage.core.context import core_of
from vantage.core.windows import TimeWindow
from vantage.packs.assist.service.freshness import data_version


async def answer_if_current(
    request: Request,
    response: Response,
    session: AsyncSession,
    tenant_id: int,
    window: TimeWindow | None = None,
) -> None:
    """Raise ``NotModified`` (304) when the client's copy is current; else set the validators.

    The resolved window is part of the answer's identity: ``?days=7`` is another week tomorrow,
    with the same data version.
    """
    params = list(request.query_params.multi_items())
    params += [(f"~path:{name}", str(value)) for name, value in request.path_params.items()]
    if window is not None:
        params.append(("~window", window.span))
    version = await data_version(session, tenant_id)
    etag = compute_etag(route_template(request), params, tenant_id, version)
    control = cache_control(core_of(request).settings.cache_max_age_seconds)
    if etag_matches(request.headers.get("if-none-match"), etag):
        raise NotModified(etag, control)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = control
