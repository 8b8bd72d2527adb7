"""Conditional reads in one dependency: watermark -> ETag -> 304 -> response cache.

An analytics answer is a function of (route, query, path parameters, tenant, data watermark),
so its ETag is known after one primary-key lookup: a client that holds it gets a 304 before any
aggregation runs, and the answer's body can be cached under the ETag with no invalidation (a new
watermark is a new key). A read endpoint asks for ``ConditionalReads`` and writes::

    read = await reads.begin(principal.tenant_id, "commerce")
    return await read.json(lambda: service.dashboard(session, principal.tenant_id))

``begin`` raises ``NotModified`` (rendered as a 304 with the same validators) when the client's
``If-None-Match`` matches. With ``remember=`` the route also leaves its validator for the early
answers (``core.revalidation``), so the next revalidation of the URL skips routing altogether.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Annotated, cast

from fastapi import Depends, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from vantage.core.auth.principal import Scope
from vantage.core.cache import (
    CachedResponses,
    NotModified,
    answer_etag,
    cache_control,
    etag_matches,
)
from vantage.core.context import CoreServices, core_of
from vantage.core.db import ReadSession, watermark_copies
from vantage.core.watermarks import Watermark, read_watermark

JSON = "application/json"


@dataclass(frozen=True)
class RememberAs:
    """How the early answers may replay a route's 304: the scope and rate-limit group it needs.

    Only for routes whose answer depends on nothing but the tenant, the URL and the watermark,
    and whose access depends on nothing but the scope.
    """

    scope: Scope = Scope.READ
    rate_limit_group: str | None = None


@dataclass(frozen=True)
class FreshRead:
    """A read the client does not hold yet: its validators and the watermark it reads at."""

    pack: str
    etag: str
    cache_control: str
    watermark: Watermark
    cache: CachedResponses

    @property
    def headers(self) -> dict[str, str]:
        """``ETag`` and ``Cache-Control`` for the answer."""
        return {"ETag": self.etag, "Cache-Control": self.cache_control}

    def stamp(self, response: Response) -> None:
        """Put the validators on the response FastAPI renders from a declared model."""
        response.headers.update(self.headers)

    async def json(self, compute: Callable[[], Awaitable[BaseModel]]) -> Response:
        """The answer as JSON from the response cache (keyed by the ETag), computed on a miss."""

        async def render() -> bytes:
            return (await compute()).model_dump_json().encode()

        body = await self.cache.get_or_compute(f"{self.pack}:{self.etag}", render)
        return Response(body, media_type=JSON, headers=self.headers)


class ConditionalReader:
    """The conditional reads of one request (through the ``ConditionalReads`` dependency)."""

    def __init__(self, request: Request, session: AsyncSession, core: CoreServices) -> None:
        self._request = request
        self._session = session
        self._core = core

    async def begin(
        self,
        tenant_id: int,
        pack: str,
        *,
        varies_on: Mapping[str, object] | None = None,
        remember: RememberAs | None = None,
    ) -> FreshRead:
        """Raise ``NotModified`` (304) when the client holds the current answer; else the read.

        ``varies_on`` names what else the answer depends on beyond the URL (e.g. a resolved
        default window), so that it is part of the ETag.
        """
        watermark, copy = await self._watermark(tenant_id, pack)
        etag = answer_etag(self._request, tenant_id, watermark, varies_on)
        control = cache_control(self._core.settings.cache_max_age_seconds)
        if remember is not None and copy is not None:
            self._core.early_answers.validators.remember(
                self._request, tenant_id, etag=etag, cache_control=control, scope=remember.scope,
                rate_limit_group=remember.rate_limit_group, watermark_key=(tenant_id, pack),
                watermark_copy=copy,
            )  # fmt: skip
        if etag_matches(self._request.headers.get("if-none-match"), etag):
            raise NotModified(etag, control)
        return FreshRead(pack, etag, control, watermark, self._core.response_cache)

    async def _watermark(self, tenant_id: int, pack: str) -> tuple[Watermark, object | None]:
        """The watermark, from this process's short-lived copy when copies are on."""
        read = partial(read_watermark, self._session, tenant_id, pack)
        copies = watermark_copies(self._session)
        if copies is None:
            return await read(), None
        key = (tenant_id, pack)
        watermark = cast(Watermark, await copies.get_or_read(key, read))
        # The copy's identity is what an early answer checks (an ingest drops it at commit);
        # only the very copy the ETag is computed from may vouch for it.
        copy = copies.get(key)
        return watermark, copy if copy is watermark else None


# ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
async def _conditional_reader(request: Request, session: ReadSession) -> ConditionalReader:
    return ConditionalReader(request, session, core_of(request))


ConditionalReads = Annotated[ConditionalReader, Depends(_conditional_reader)]
