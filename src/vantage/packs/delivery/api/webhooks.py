"""``POST /api/v1/webhooks/github``: GitHub's deliveries, verified by their signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from vantage.core.errors import VantageError
from vantage.packs.delivery.github.signature import SIGNATURE_HEADER
from vantage.packs.delivery.runtime import DeliveryRuntimeDep
from vantage.packs.delivery.schemas import WebhookAck
from vantage.packs.delivery.service import webhooks

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
    source: Annotated[int | None, Query(ge=1, description="The source's id")] = None,
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
                body=await request.body(),
            )
        )
    except VantageError as error:
        runtime.webhooks_received.labels(event[:64], f"rejected_{error.status}").inc()
        raise
    runtime.webhooks_received.labels(receipt.event, receipt.status).inc()
    return WebhookAck(delivery_id=receipt.delivery_id, event=receipt.event, status=receipt.status)
