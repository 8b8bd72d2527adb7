"""Idempotent ingest endpoints in a few lines: ``Idempotency-Key`` replays, conflicts, 422s.

An ingest endpoint hands its work to ``write_idempotently``; the work receives an
``IdempotentWrite`` and ends its transaction with ``write.answer(session, result)``, which
stores the answer for replays in that same transaction::

    async def work(write: IdempotentWrite) -> Response:
        async with database.transaction() as session:
            outcome = await ingest(session, ...)
            return await write.answer(session, IngestResult.of(outcome))

    return await write_idempotently(request, runtime.idempotency, tenant_id, "pack.thing", work)

- same key, first request done        -> the first response, byte for byte
  (``Idempotent-Replayed: true``);
- same key, a different body          -> 422;
- same key, first request in flight   -> 409 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from vantage.core.idempotency.store import (
    HEADER,
    Claim,
    IdempotencyStore,
    StoredResponse,
    respond_idempotently,
)

JSON = "application/json"
_PROBLEM: dict[str, Any] = {"application/problem+json": {}}

# ``responses=`` of an idempotent ingest route, so its OpenAPI documents the key's outcomes.
IDEMPOTENT_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {
        "description": f"A request with the same {HEADER} is still in flight",
        "content": _PROBLEM,
    },
    422: {
        "description": f"Invalid body, or an {HEADER} already used with another body",
        "content": _PROBLEM,
    },
}


@dataclass(frozen=True)
class IdempotentWrite:
    """The request's hold on its ``Idempotency-Key`` (none when it sent no key)."""

    store: IdempotencyStore
    claim: Claim | None

    async def answer(
        self, session: AsyncSession, result: BaseModel, *, status_code: int = 200
    ) -> Response:
        """``result`` as the JSON response, kept for replays in ``session``'s transaction."""
        body = result.model_dump_json().encode()
        if self.claim is not None:
            stored = StoredResponse(status_code, JSON, body)
            await self.store.complete(session, self.claim, stored)
        return Response(body, status_code=status_code, media_type=JSON)


Work = Callable[[IdempotentWrite], Awaitable[Response]]


async def write_idempotently(
    request: Request,
    store: IdempotencyStore,
    tenant_id: int,
    operation: str,
    work: Work,
    *,
    fingerprint: str | None = None,
) -> Response:
    """Run ``work`` at most once per ``Idempotency-Key`` of ``tenant_id`` and ``operation``.

    A client error the work raises (a 4xx problem) is stored and replayed like a success;
    anything else gives the key up so that a retry runs again. ``fingerprint`` replaces the
    digest of method, path and body (see ``respond_idempotently``).
    """

    async def handle(claim: Claim | None) -> Response:
        return await work(IdempotentWrite(store, claim))

    return await respond_idempotently(
        request, store, tenant_id, operation, handle, fingerprint=fingerprint
    )
