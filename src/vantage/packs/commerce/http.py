"""HTTP plumbing of the commerce routes: runtime state, windows of whole days, conditional reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Annotated, Any, cast

from fastapi import Depends, Query, Request
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
from vantage.core.db import watermark_copies
from vantage.core.errors import ValidationFailed
from vantage.core.idempotency import IdempotencyStore
from vantage.core.revalidation import Validators
from vantage.core.watermarks import Watermark
from vantage.core.windows import MAX_DAYS, TimeWindow, resolve_window
from vantage.packs.commerce.realtime import DashboardPublisher
from vantage.packs.commerce.repository import accounts
from vantage.packs.commerce.service.analytics import ReadScope
from vantage.packs.commerce.service.ingest import PACK_NAME
from vantage.packs.commerce.settings import CommerceSettings

JSON = "application/json"
READ_RATE_LIMIT_GROUP = "commerce"


@dataclass
class CommerceRuntime:
    """What the pack keeps on ``app.state.commerce`` for the lifetime of the app."""

    settings: CommerceSettings
    idempotency: IdempotencyStore
    publisher: DashboardPublisher


async def runtime_of(request: Request) -> CommerceRuntime:
    runtime: CommerceRuntime = request.app.state.commerce
    return runtime


Runtime = Annotated[CommerceRuntime, Depends(runtime_of)]


def _require_whole_days(window: TimeWindow) -> TimeWindow:
    for name, value in (("from", window.start), ("to", window.end)):
        if value.timetz() != time(0, tzinfo=UTC):
            raise ValidationFailed.field(
                ("query", name),
                "commerce figures are kept per UTC day: use a date or a midnight UTC datetime",
            )
    return window


FromQuery = Annotated[
    str | None, Query(alias="from", max_length=40, description="First day (inclusive)")
]
ToQuery = Annotated[str | None, Query(alias="to", max_length=40, description="End (exclusive)")]
DaysQuery = Annotated[int | None, Query(ge=1, le=MAX_DAYS, description="The last N days")]


def day_window(default_days: Callable[[CommerceSettings], int]) -> Any:
    """``from``/``to``/``days`` as a window of whole UTC days ending tomorrow by default."""

    async def dependency(
        runtime: Runtime, start: FromQuery = None, end: ToQuery = None, days: DaysQuery = None
    ) -> TimeWindow:
        window = resolve_window(start, end, days, default_days=default_days(runtime.settings))
        return _require_whole_days(window)

    return Depends(dependency)


def optional_day_window() -> Any:
    """Like ``day_window`` but None when the request names no window (all time)."""

    async def dependency(
        start: FromQuery = None, end: ToQuery = None, days: DaysQuery = None
    ) -> TimeWindow | None:
        if start is None and end is None and days is None:
            return None
        return _require_whole_days(resolve_window(start, end, days, default_days=30))

    return Depends(dependency)


def month_window() -> Any:
    """Cohort windows: by default the last ``cohort_months`` calendar months, this one included."""

    async def dependency(
        runtime: Runtime, start: FromQuery = None, end: ToQuery = None, days: DaysQuery = None
    ) -> TimeWindow:
        if start is None and end is None and days is None:
            today = datetime.now(UTC).date()
            month = today.replace(day=1)
            for _ in range(runtime.settings.cohort_months - 1):
                month = (month - timedelta(days=1)).replace(day=1)
            begin = datetime.combine(month, time.min, tzinfo=UTC)
            stop = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
            return TimeWindow(begin, stop)
        return _require_whole_days(resolve_window(start, end, days, default_days=365))

    return Depends(dependency)


async def _read_state(session: AsyncSession, tenant_id: int) -> tuple[Watermark, str | None]:
    """The watermark and currency, from this process's short-lived copy when it has one."""
    copies = watermark_copies(session)
    read = partial(accounts.read_state, session, tenant_id, PACK_NAME)
    if copies is None:
        return await read()
    return cast(
        tuple[Watermark, str | None], await copies.get_or_read((tenant_id, PACK_NAME), read)
    )


def _remember_validator(request: Request, tenant_id: int, etag: str, control: str) -> None:
    """Let the next revalidation of this URL be answered before routing (core.early_answers)."""
    key = (tenant_id, PACK_NAME)
    copy = request.app.state.database.watermarks.get(key)
    if copy is None:
        return  # copies are off: only the route can tell whether the watermark moved
    validators: Validators = request.app.state.early_answers.validators
    validators.remember(
        request, tenant_id, etag=etag, cache_control=control, scope=Scope.READ,
        rate_limit_group=READ_RATE_LIMIT_GROUP, watermark_key=key, watermark_copy=copy,
    )  # fmt: skip


@dataclass(frozen=True)
class ReadContext:
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
    watermark, currency = await _read_state(session, tenant_id)
    params = list(request.query_params.multi_items())
    # The route template hides path parameters; two customers must not share an ETag.
    params += [(f"~path:{name}", str(value)) for name, value in request.path_params.items()]
    if window is not None:
        params.append(("~window", f"{window.start.isoformat()}/{window.end.isoformat()}"))
    etag = compute_etag(route_template(request), params, tenant_id, watermark)
    control = cache_control(request.app.state.settings.cache_max_age_seconds)
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
    cache: CachedResponses = request.app.state.response_cache

    async def render() -> bytes:
        return (await compute()).model_dump_json().encode()

    body = await cache.get_or_compute("commerce:" + context.etag, render)
    control = cache_control(request.app.state.settings.cache_max_age_seconds)
    return Response(body, media_type=JSON, headers={"ETag": context.etag, "Cache-Control": control})
