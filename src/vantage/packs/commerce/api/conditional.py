"""Conditional reads of the commerce routes: 304 for a current client, else a cached answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from vantage.core.auth.principal import Scope
from vantage.core.cache import (
    CachedResponses,
    NotModified,
    cache_control,
    compute_etag,
    etag_matches,
    route_template,
)
from vantage.core.context import core_of
from vantage.core.revalidation import Validators
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.api.rate_limits import READ_RATE_LIMIT_GROUP
from vantage.packs.commerce.runtime import CommerceRuntime
from vantage.packs.commerce.service.analytics import ReadScope
from vantage.packs.commerce.service.read_state import read_state, watermark_key

JSON = "application/json"


def _remember_validator(request: Request, tenant_id: int, etag: str, control: str) -> None:
    """Let the next revalidation of this URL be answered before routing (core.early_answers)."""
    key = watermark_key(tenant_id)
    copy = core_of(request).database.watermarks.get(key)
    if copy is None:
        return  # copies are off: only the route can tell whether the watermark moved
    validators: Validators = core_of(request).early_answers.validators
    validators.remember(
        request, tenant_id, etag=etag, cache_control=control, scope=Scope.READ,
        rate_limit_group=READ_RATE_LIMIT_GROUP, watermark_key=key, watermark_copy=copy,
    )  # fmt: skip


@dataclass(frozen=True)
class ReadContext:
    """A read the client is not current on: its scope and the answer's ETag."""

    scope: ReadScope
    etag: str


async def begin_read(
    request: Request,
    session: AsyncSession,
    runtime: CommerceRuntime,
    tenant_id: int,
    window: TimeWindow | None,
) -> ReadContext:
    """Answer 304 when the client is current; otherwise the read's scope and ETag.

    The ETag covers the resolved window too: ``?days=7`` means another week tomorrow, with
    the same watermark.
    """
    watermark, currency = await read_state(session, tenant_id)
    params = list(request.query_params.multi_items())
    # The route template hides path parameters; two customers must not share an ETag.
    params += [(f"~path:{name}", str(value)) for name, value in request.path_params.items()]
    if window is not None:
        params.append(("~window", f"{window.start.isoformat()}/{window.end.isoformat()}"))
    etag = compute_etag(route_template(request), params, tenant_id, watermark)
    control = cache_control(core_of(request).settings.cache_max_age_seconds)
    _remember_validator(request, tenant_id, etag, control)
    if etag_matches(request.headers.get("if-none-match"), etag):
        raise NotModified(etag, control)
    scope = ReadScope(
        tenant_id=tenant_id,
        data_as_of=watermark.updated_at,
        currency=currency or runtime.settings.default_currency,
    )
    return ReadContext(scope=scope, etag=etag)


async def cached_json(
    request: Request, context: ReadContext, compute: Callable[[], Awaitable[BaseModel]]
) -> Response:
    """The answer's JSON from the response cache (keyed by the ETag), computing it on a miss."""
    cache: CachedResponses = core_of(request).response_cache

    async def render() -> bytes:
        return (await compute()).model_dump_json().encode()

    body = await cache.get_or_compute("commerce:" + context.etag, render)
    control = cache_control(core_of(request).settings.cache_max_age_seconds)
    return Response(body, media_type=JSON, headers={"ETag": context.etag, "Cache-Control": control})
