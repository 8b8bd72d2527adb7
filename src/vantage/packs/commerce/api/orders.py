"""``POST /api/v1/commerce/orders``: one atomic batch, idempotent with ``Idempotency-Key``."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from starlette.responses import Response

from vantage.core.auth.dependencies import IngestPrincipal
from vantage.core.context import core_of
from vantage.core.idempotency import (
    IDEMPOTENT_WRITE_RESPONSES,
    IdempotentWrite,
    write_idempotently,
)
from vantage.core.offload import parse_off_loop
from vantage.core.openapi import request_body
from vantage.packs.commerce.runtime import CommerceRuntimeDep
from vantage.packs.commerce.schemas import IngestResult, OrderBatchIn
from vantage.packs.commerce.service.ingest import ingest_orders, parse_batch

router = APIRouter()
IDEMPOTENCY_SCOPE = "commerce.orders"


@router.post(
    "/orders",
    response_model=IngestResult,
    summary="Ingest a batch of orders (atomic; re-sent ids replace earlier versions)",
    openapi_extra=request_body(OrderBatchIn),
    responses=IDEMPOTENT_WRITE_RESPONSES,
)
async def post_orders(
    request: Request, principal: IngestPrincipal, runtime: CommerceRuntimeDep
) -> Response:
    tenant_id = principal.tenant_id
    database = core_of(request).database

    async def work(write: IdempotentWrite) -> Response:
        read = partial(parse_batch, max_orders=runtime.settings.max_batch_orders)
        orders = await parse_off_loop(read, await request.body())
        async with database.transaction() as session:
            outcome = await ingest_orders(
                session, tenant_id, orders, runtime.settings.default_currency
            )
            result = IngestResult(
                accepted=outcome.accepted,
                created=outcome.created,
                updated=outcome.updated,
                lines=outcome.lines,
                data_as_of=outcome.committed_at,
            )
            response = await write.answer(session, result)
        runtime.publisher.notify(tenant_id)
        return response

    return await write_idempotently(
        request, runtime.idempotency, tenant_id, IDEMPOTENCY_SCOPE, work
    )
