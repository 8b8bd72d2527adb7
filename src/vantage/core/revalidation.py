"""Validators the read routes remember, so revalidations can be answered before routing.

A conditional read whose answer has not changed still pays for routing, dependency solving and
the ETag's hash just to say 304, and that work costs several times the 304 itself. So a read
route remembers, per (tenant, URL), the ETag it computed and the copy of the data watermark it
computed it from. The next ``If-None-Match`` request for that URL is answered by
``vantage.core.early_answers`` when:

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
from starlette.requests import Request
from starlette.types import Scope

from vantage.core.auth.principal import Scope as AuthScope
from vantage.core.telemetry import route_path

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
    route_path: str | None
    expires_at: float


def _seconds_to_next_utc_midnight() -> float:
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return (midnight - now).total_seconds()


class Validators:
    """The remembered validators of one application, by (tenant, path, query string)."""

    def __init__(self, max_entries: int = MAX_VALIDATORS) -> None:
        self._entries: LRUCache[tuple[int, str, bytes], Validator] = LRUCache(max_entries)

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
            route_path=route_path(request.scope),
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
