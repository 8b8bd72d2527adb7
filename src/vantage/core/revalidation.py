"""Revalidations answered before routing, from validators the routes remember.

A conditional read whose answer has not changed still pays for routing, dependency solving and
the ETag's hash just to say 304, and that work costs several times the 304 itself. So a read
route remembers, per (tenant, URL), the ETag it computed and the copy of the data watermark it
computed it from. The next ``If-None-Match`` request for that URL is answered here when:

- its credential authenticates (the same check as the routes') and holds the route's scope;
- the validator belongs to the caller's tenant and has not expired (at the latest at the next
  UTC midnight, when default windows such as "the last 30 days" move);
- the watermark copy is still the very object the ETag was computed from: an ingest committed
  by this process drops the copy at once, and any copy lives at most
  ``watermark_cache_seconds``, so this path is exactly as fresh as the route itself;
- the ETag matches and the route's rate-limit group admits the request.

Anything else goes on to the route, which answers as it always does (200, 401, 403, 429...).
Only routes whose answer depends on nothing but the tenant, the URL and the watermark (and whose
access depends on nothing but a scope) may remember validators.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cachetools import LRUCache
from prometheus_client import CollectorRegistry, Counter
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from vantage.core.auth.dependencies import authenticate_credential, presented_credential
from vantage.core.auth.principal import Principal
from vantage.core.auth.principal import Scope as AuthScope
from vantage.core.cache import etag_matches
from vantage.core.errors import VantageError
from vantage.core.ratelimit import STATE_DECISIONS, principal_identity

MAX_VALIDATORS = 10_000
# A validator is also checked against the watermark copy, which lives far shorter; this only
# bounds how long an idle entry occupies the table.
VALIDATOR_SECONDS = 300.0


@dataclass(frozen=True)
class Validator:
    """What a route computed for one (tenant, URL), and what it depends on."""

    etag: str
    cache_control: str
    scope: AuthScope
    rate_limit_group: str | None
    watermark_key: tuple[int, str]
    watermark_copy: object
    route: Any
    expires_at: float


def _seconds_to_next_utc_midnight() -> float:
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return (midnight - now).total_seconds()


class Validators:
    """The remembered validators of one application, by (tenant, path, query string)."""

    def __init__(self, registry: CollectorRegistry, max_entries: int = MAX_VALIDATORS) -> None:
        self._entries: LRUCache[tuple[int, str, bytes], Validator] = LRUCache(max_entries)
        self.answered = Counter(
            "vantage_revalidations_answered_early",
            "304s answered from a remembered validator, before routing",
            registry=registry,
        )

    def __len__(self) -> int:
        return len(self._entries)

    def remember(
        self,
        request: Request,
        tenant_id: int,
        *,
        etag: str,
        cache_control: str,
        scope: AuthScope,
        rate_limit_group: str | None,
        watermark_key: tuple[int, str],
        watermark_copy: object,
    ) -> None:
        lifetime = min(VALIDATOR_SECONDS, _seconds_to_next_utc_midnight())
        key = (tenant_id, request.scope["path"], request.scope["query_string"])
        self._entries[key] = Validator(
            etag=etag,
            cache_control=cache_control,
            scope=scope,
            rate_limit_group=rate_limit_group,
            watermark_key=watermark_key,
            watermark_copy=watermark_copy,
            route=request.scope.get("route"),
            expires_at=time.monotonic() + lifetime,
        )

    def current(self, tenant_id: int, scope: Scope, watermarks: Any) -> Validator | None:
        """The validator of this URL for this tenant, if its watermark copy is still current."""
        key = (tenant_id, scope["path"], scope["query_string"])
        validator = self._entries.get(key)
        if validator is None:
            return None
        if validator.expires_at <= time.monotonic():
            self._entries.pop(key, None)
            return None
        if watermarks.get(validator.watermark_key) is not validator.watermark_copy:
            return None
        return validator


class RevalidationMiddleware:
    """Answers a conditional GET from its remembered validator, or passes it on untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and await self._answered(scope, send)
        ):
            return
        await self.app(scope, receive, send)

    async def _answered(self, scope: Scope, send: Send) -> bool:
        state = scope["app"].state
        validators: Validators = state.validators
        if not len(validators):
            return False
        headers = Headers(scope=scope)
        if_none_match = headers.get("if-none-match")
        if if_none_match is None:
            return False
        principal = await _principal(scope, headers)
        if principal is None:
            return False
        validator = validators.current(principal.tenant_id, scope, state.database.watermarks)
        if (
            validator is None
            or not principal.has(validator.scope)
            or not etag_matches(if_none_match, validator.etag)
            or not await _admitted(scope, principal, validator)
        ):
            return False
        scope["route"] = validator.route
        validators.answered.inc()
        await send(
            {
                "type": "http.response.start",
                "status": 304,
                "headers": [
                    (b"etag", validator.etag.encode()),
                    (b"cache-control", validator.cache_control.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
        return True


async def _principal(scope: Scope, headers: Headers) -> Principal | None:
    """The caller, kept in the request state for the route when this path does not answer."""
    try:
        credential = presented_credential(headers)
        if credential is None:
            return None
        principal = await authenticate_credential(scope["app"], credential)
    except VantageError:
        return None  # the route answers it: the one 401 of bad credentials, or a 503
    scope.setdefault("state", {})["principal"] = principal
    return principal


async def _admitted(scope: Scope, principal: Principal, validator: Validator) -> bool:
    """Spend one request of the route's rate-limit group; a refusal is left to the route.

    A refused check is not counted, so the route's own check refuses too and answers 429.
    """
    state = scope["app"].state
    if validator.rate_limit_group is None or not state.settings.rate_limit_enabled:
        return True
    decision = await state.rate_limiter.check(
        validator.rate_limit_group, principal_identity(principal)
    )
    if not decision.allowed:
        return False
    scope.setdefault("state", {}).setdefault(STATE_DECISIONS, []).append(decision)
    return True
