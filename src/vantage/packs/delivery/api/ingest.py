"""``POST /api/v1/delivery/deployments`` and ``/incidents``: the generic push API, atomic per
batch and idempotent with ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from vantage.core.auth.dependencies import IngestPrincipal
from vantage.core.context import core_of
from vantage.core.db import utcnow
from vantage.core.idempotency import Claim, StoredResponse, respond_idempotently
from vantage.packs.delivery.runtime import DeliveryRuntime, DeliveryRuntimeDep
from vantage.packs.delivery.schemas import (
    DeploymentBatchIn,
    IncidentBatchIn,
    IngestResult,
)
from vantage.packs.delivery.service import push_api

router = APIRouter(prefix="/api/v1/delivery", tags=["delivery"])
JSON = "application/json"
Apply = Callable[[AsyncSession, bytes], Awaitable[push_api.Outcome]]


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node


def _body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads its raw body (refs inlined)."""
    schema = model.model_json_schema()
    inline = _inline(schema, schema.pop("$defs", {}))
    return {"requestBody": {"required": True, "content": {JSON: {"schema": inline}}}}


async def _ingest(
    request: Request, tenant_id: int, runtime: DeliveryRuntime, scope: str, apply: Apply
) -> Response:
    database = core_of(request).database

    async def handle(claim: Claim | None) -> Response:
        body = await request.body()
        async with database.transaction() as session:
            outcome = await apply(session, body)
            result = IngestResult(
                accepted=outcome.accepted,
                created=outcome.created,
                updated=outcome.accepted - outcome.created,
                data_as_of=utcnow(),
            )
            encoded = result.model_dump_json().encode()
            if claim is not None:
                await runtime.idempotency.complete(
                    session, claim, StoredResponse(200, JSON, encoded)
                )
        await runtime.live.changed(
            tenant_id, {"source": "api", "event": scope, "accepted": outcome.accepted}
        )
        return Response(encoded, media_type=JSON)

    return await respond_idempotently(request, runtime.idempotency, tenant_id, scope, handle)


@router.post(
    "/deployments",
    response_model=IngestResult,
    summary="Record deployments or their new statuses (atomic batch)",
    openapi_extra=_body(DeploymentBatchIn),
    responses={409: {"description": "Same Idempotency-Key still in flight"}},
)
async def post_deployments(
    request: Request, principal: IngestPrincipal, runtime: DeliveryRuntimeDep
) -> Response:
    async def apply(session: AsyncSession, body: bytes) -> push_api.Outcome:
        batch = push_api.parse_batch(body, DeploymentBatchIn)
        return await push_api.ingest_deployments(
            session, principal.tenant_id, batch, runtime.settings, runtime.jobs
        )

    return await _ingest(request, principal.tenant_id, runtime, "delivery.deployments", apply)


@router.post(
    "/incidents",
    response_model=IngestResult,
    summary="Record incidents; each is attributed to the deployment that caused it",
    openapi_extra=_body(IncidentBatchIn),
    responses={409: {"description": "Same Idempotency-Key still in flight"}},
)
async def post_incidents(
    request: Request, principal: IngestPrincipal, runtime: DeliveryRuntimeDep
) -> Response:
    async def apply(session: AsyncSession, body: bytes) -> push_api.Outcome:
        batch = push_api.parse_batch(body, IncidentBatchIn)
        return await push_api.ingest_incidents(
            session, principal.tenant_id, batch, runtime.settings
        )

    return await _ingest(request, principal.tenant_id, runtime, "delivery.incidents", apply)
