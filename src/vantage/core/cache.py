"""Conditional reads (watermark ETags, 304s) and an optional response cache.

An analytics answer is a function of (route, canonical query, tenant, data watermark). Hashing
those gives an ETag that changes exactly when the answer may change, so ``If-None-Match`` can be
answered with a 304 after one primary-key lookup, and cached bodies never need invalidating:
a new watermark is a new key.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import structlog
from starlette.requests import Request
from starlette.responses import Response

from vantage import __version__
from vantage.core.watermarks import Watermark

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = structlog.get_logger("vantage.cache")


class NotModified(Exception):
    """Raised by a conditional read whose ETag the client already holds."""

    def __init__(self, etag: str, cache_control: str) -> None:
        super().__init__(etag)
        self.etag = etag
        self.cache_control = cache_control


def compute_etag(
    route: str, params: Sequence[tuple[str, str]], tenant_id: int, watermark: Watermark
) -> str:
    """A strong ETag for one answer; query parameter order does not matter."""
    canonical = json.dumps(
        [__version__, route, sorted(params), tenant_id, watermark.token], separators=(",", ":")
    )
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` against our ETag."""
    if not if_none_match:
        return False
    candidates = [part.strip() for part in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in candidates)


def cache_control(max_age: int) -> str:
    return f"private, max-age={max_age}, must-revalidate"


async def not_modified_response(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotModified)
    return Response(status_code=304, headers={"ETag": exc.etag, "Cache-Control": exc.cache_control})


def route_template(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


def answer_etag(
    request: Request,
    tenant_id: int,
    watermark: Watermark,
    varies_on: Mapping[str, object] | None = None,
) -> str:
    """The ETag of this request's answer: route, query, path parameters, tenant, watermark.

    ``varies_on`` adds what else the answer depends on (a resolved default window: ``?days=7``
    means another week tomorrow, with the same watermark).
    """
    # Path parameters are part of the answer's identity: the template alone would give every
    # customer of /customers/{id} the same ETag (and the same cached body).
    params = list(request.query_params.multi_items())
    params += [(f"path:{name}", str(value)) for name, value in request.path_params.items()]
    params += [(f"~{name}", str(value)) for name, value in (varies_on or {}).items()]
    return compute_etag(route_template(request), params, tenant_id, watermark)


def check_freshness(
    request: Request, response: Response, tenant_id: int, watermark: Watermark, max_age: int
) -> str:
    """Raise ``NotModified`` when the client is current; else set the validators on ``response``."""
    etag = answer_etag(request, tenant_id, watermark)
    control = cache_control(max_age)
    if etag_matches(request.headers.get("if-none-match"), etag):
        raise NotModified(etag, control)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = control
    return etag


class ResponseCache(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: float) -> None: ...


class MemoryResponseCache:
    """A bounded LRU with per-entry expiry, for one process."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if self._max_entries <= 0 or ttl <= 0:
            return
        self._entries[key] = (time.monotonic() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


class RedisResponseCache:
    """Shared by every process; a Redis error is a cache miss, never a failed request."""

    def __init__(self, redis: Redis, prefix: str = "vantage:rc:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self._redis.get(self._prefix + key)
        except Exception as error:  # fail open: the database can still answer
            logger.warning("response cache read failed", error=str(error))
            return None
        if value is None:
            return None
        return value.encode() if isinstance(value, str) else bytes(value)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if ttl <= 0:
            return
        try:
            await self._redis.set(self._prefix + key, value, px=int(ttl * 1000))
        except Exception as error:  # fail open
            logger.warning("response cache write failed", error=str(error))


class SingleFlight:
    """Concurrent misses for one key compute once in this process; the others await it."""

    def __init__(self) -> None:
        self._inflight: dict[str, asyncio.Future[bytes]] = {}

    async def run(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        if key in self._inflight:
            return await asyncio.shield(self._inflight[key])
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await compute()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # mark retrieved: waiters (if any) re-raise it themselves
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._inflight[key]


class CachedResponses:
    """Get-or-compute over a backend, with single-flight per key."""

    def __init__(self, backend: ResponseCache, ttl: float) -> None:
        self.backend = backend
        self.ttl = ttl
        self._flights = SingleFlight()

    async def get_or_compute(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        cached = await self.backend.get(key)
        if cached is not None:
            return cached

        async def compute_and_store() -> bytes:
            value = await compute()
            await self.backend.set(key, value, self.ttl)
            return value

        return await self._flights.run(key, compute_and_store)


def create_response_cache(redis: Redis | None, ttl: float, max_entries: int) -> CachedResponses:
    backend: ResponseCache = (
        RedisResponseCache(redis) if redis is not None else MemoryResponseCache(max_entries)
    )
    return CachedResponses(backend, ttl)
