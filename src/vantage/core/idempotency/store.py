"""``Idempotency-Key`` for ingest POSTs: a replay returns the first response.

A key is claimed in a short transaction of its own (row ``in_flight`` with a lock that expires,
so a crashed request does not hold the key forever). The response is stored by ``complete``
inside the caller's own unit of work, so "the data was written" and "the key answers with this
response" commit together: a retry after a lost response can never apply a batch twice.

- same key, same body, first request done   -> the stored response, replayed byte for byte;
- same key, same body, first still running  -> 409 ``Conflict`` with ``Retry-After``;
- same key, different body                  -> 422: a key names one request, not a slot.

Keys are scoped per tenant and per operation (``scope``) and kept for a retention period.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from vantage.core.db import Database, utcnow
from vantage.core.errors import (
    PROBLEM_MEDIA_TYPE,
    Conflict,
    ValidationFailed,
    VantageError,
    vantage_error_response,
)
from vantage.core.idempotency import repository
from vantage.core.idempotency.models import DONE, MAX_KEY_LENGTH
from vantage.core.idempotency.repository import KeyRef

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class StoredResponse:
    """A response as it was first sent."""

    status_code: int
    media_type: str
    body: bytes

    def to_response(self) -> Response:
        """The replayed response, marked as a replay."""
        return Response(
            self.body,
            status_code=self.status_code,
            media_type=self.media_type,
            headers={REPLAY_HEADER: "true"},
        )


@dataclass(frozen=True)
class Claim:
    """The right to run one request; the caller must ``complete`` or ``release`` it."""

    tenant_id: int
    scope: str
    key: str
    fingerprint: str

    @property
    def ref(self) -> KeyRef:
        """The key this claim holds."""
        return KeyRef(self.tenant_id, self.scope, self.key)


def fingerprint_of(*parts: bytes) -> str:
    """A digest of everything that makes two requests "the same request"."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotency_key_of(request: Request) -> str | None:
    """The request's ``Idempotency-Key``, validated (1-255 visible ASCII characters)."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not all(33 <= ord(ch) <= 126 for ch in key):
        raise ValidationFailed.field(
            ("header", HEADER), f"must be 1-{MAX_KEY_LENGTH} visible ASCII characters"
        )
    return key


class IdempotencyStore:
    """Claims, completes and replays idempotency keys in the database."""

    def __init__(self, database: Database, *, ttl: timedelta, lock: timedelta) -> None:
        self._database = database
        self._ttl = ttl
        self._lock = lock

    async def claim(
        self, tenant_id: int, scope: str, key: str, fingerprint: str
    ) -> Claim | StoredResponse:
        """Claim ``key`` for this request, or return the response of the request that owns it."""
        claim = Claim(tenant_id, scope, key, fingerprint)
        now = utcnow()
        async with self._database.transaction() as session:
            await repository.delete_expired(session, now)
            created = await repository.insert_in_flight(
                session,
                claim.ref,
                fingerprint,
                now=now,
                locked_until=now + self._lock,
                expires_at=now + self._ttl,
            )
            if created:
                return claim
            return await self._resolve_existing(session, claim, now)

    async def _resolve_existing(
        self, session: AsyncSession, claim: Claim, now: datetime
    ) -> Claim | StoredResponse:
        record = await repository.get(session, claim.ref)
        if record.fingerprint != claim.fingerprint:
            raise ValidationFailed.field(
                ("header", HEADER),
                "this Idempotency-Key was already used with a different request body",
                kind="idempotency_key_reused",
            )
        if record.state == DONE:
            assert record.status_code is not None and record.body is not None
            return StoredResponse(record.status_code, record.media_type or "", record.body)
        if record.locked_until > now:
            wait = max(1, math.ceil((record.locked_until - now).total_seconds()))
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry later.",
                headers={"Retry-After": str(wait)},
            )
        # The first request died without answering: take the key over, unless another retry won.
        taken = await repository.take_over(
            session, claim.ref, locked_until_was=record.locked_until, locked_until=now + self._lock
        )
        if not taken:
            raise Conflict("A request with this Idempotency-Key is being processed; retry later.")
        return claim

    async def complete(self, session: AsyncSession, claim: Claim, response: StoredResponse) -> None:
        """Store the response in the caller's transaction (commits with the data it describes)."""
        await repository.store_response(
            session,
            claim.ref,
            claim.fingerprint,
            status_code=response.status_code,
            media_type=response.media_type,
            body=response.body,
        )

    async def complete_alone(self, claim: Claim, response: StoredResponse) -> None:
        """Store a response that wrote nothing else (a rejected request), in its own transaction."""
        async with self._database.transaction() as session:
            await self.complete(session, claim, response)

    async def release(self, claim: Claim) -> None:
        """Give the key up after an unexpected failure, so a retry can run the request again."""
        async with self._database.transaction() as session:
            await repository.delete_in_flight(session, claim.ref, claim.fingerprint)


Handler = Callable[[Claim | None], Awaitable[Response]]


async def respond_idempotently(
    request: Request,
    store: IdempotencyStore,
    tenant_id: int,
    scope: str,
    handler: Handler,
    *,
    fingerprint: str | None = None,
) -> Response:
    """Run ``handler`` at most once per ``Idempotency-Key`` (when the request carries one).

    The handler gets the claim and must ``complete`` it inside its own transaction. A client
    error (4xx problem) is stored and replayed like a success; anything else releases the key
    so a retry can run. ``fingerprint`` is for a route that streamed its body elsewhere and
    digested it on the way; by default the method, path and body are digested here.
    """
    key = idempotency_key_of(request)
    if key is None:
        return await handler(None)
    if fingerprint is None:
        body = await request.body()
        fingerprint = fingerprint_of(request.method.encode(), request.url.path.encode(), body)
    claimed = await store.claim(tenant_id, scope, key, fingerprint)
    if isinstance(claimed, StoredResponse):
        return claimed.to_response()
    try:
        return await handler(claimed)
    except VantageError as error:
        if not 400 <= error.status < 500:
            await store.release(claimed)
            raise
        response = vantage_error_response(request, error)
        await store.complete_alone(
            claimed, StoredResponse(response.status_code, PROBLEM_MEDIA_TYPE, bytes(response.body))
        )
        return response
    except BaseException:
        await store.release(claimed)
        raise
