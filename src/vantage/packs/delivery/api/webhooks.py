"""``POST /api/v1/webhooks/github``: GitHub's deliveries, verified by their signature.

GitHub expects an answer within seconds and a busy organisation sends many deliveries a second,
so the same handling is also registered as an early post (``vantage.core.early_answers``):
a delivery with a plain ``?source=<id>`` is answered before routing, and only other query
strings (which the route validates into a 422) reach the route.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from starlette.responses import Response

from vantage.core.context import core_of
from vantage.core.early_answers import EarlyPost
from vantage.core.errors import VantageError
from vantage.core.ids import MAX_ROW_ID
from vantage.packs.delivery.github.signature import SIGNATURE_HEADER
from vantage.packs.delivery.runtime import PACK_NAME, DeliveryRuntime, DeliveryRuntimeDep
from vantage.packs.delivery.schemas import WebhookAck
from vantage.packs.delivery.service import webhooks
from vantage.packs.delivery.service.sources import WEBHOOK_PATH

RATE_LIMIT_GROUP = "delivery.webhooks"
JSON = "application/json"
# What the route's ``source`` parameter accepts without a doubt: a positive int64 or nothing.
_PLAIN_SOURCE = re.compile(rb"(?:source=[1-9][0-9]{0,17})?")

router = APIRouter(prefix="/api/v1/webhooks", tags=["delivery"])


@router.post(
    "/github",
    response_model=WebhookAck,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Receive a GitHub webhook delivery (signed with the source's secret)",
    responses={401: {"description": "Missing or wrong X-Hub-Signature-256"}},
)
async def receive_github(
    request: Request,
    runtime: DeliveryRuntimeDep,
    source: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="The source's id")] = None,
) -> WebhookAck:
    return await _acknowledge(runtime, request, source, await request.body())


def github_early_post() -> EarlyPost:
    """``receive_github`` answered before routing, for a query string that is plainly valid."""

    def accepts(request: Request) -> bool:
        return _PLAIN_SOURCE.fullmatch(request.scope["query_string"]) is not None

    async def answer(request: Request, body: bytes) -> Response:
        runtime = core_of(request).runtimes.get(PACK_NAME, DeliveryRuntime)
        query = request.scope["query_string"]
        source = int(query.partition(b"=")[2]) if query else None
        ack = await _acknowledge(runtime, request, source, body)
        return Response(ack.model_dump_json(), status.HTTP_202_ACCEPTED, media_type=JSON)

    return EarlyPost(
        path=WEBHOOK_PATH, rate_limit_group=RATE_LIMIT_GROUP, accepts=accepts, answer=answer
    )


async def _acknowledge(
    runtime: DeliveryRuntime, request: Request, source: int | None, body: bytes
) -> WebhookAck:
    headers = request.headers
    event = headers.get(webhooks.EVENT_HEADER) or "unknown"
    try:
        receipt = await runtime.intake.receive(
            webhooks.WebhookRequest(
                source_id=source,
                event=headers.get(webhooks.EVENT_HEADER),
                delivery_id=headers.get(webhooks.DELIVERY_HEADER),
                signature=headers.get(SIGNATURE_HEADER),
                body=body,
            )
        )
    except VantageError as error:
        runtime.webhooks_received.labels(event[:64], f"rejected_{error.status}").inc()
        raise
    runtime.webhooks_received.labels(receipt.event, receipt.status).inc()
    return WebhookAck(delivery_id=receipt.delivery_id, event=receipt.event, status=receipt.status)
