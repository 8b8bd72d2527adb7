"""Job handlers of the delivery pack: each owns its unit of work, as an endpoint does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vantage.core.jobs import JobContext, JobHandler
from vantage.packs.delivery.service import webhooks
from vantage.packs.delivery.service.live import LivePublisher
from vantage.packs.delivery.settings import DeliverySettings


def process_webhook_job(settings_of: Callable[[], DeliverySettings]) -> JobHandler:
    """``delivery.process_webhook``: apply one stored delivery, then publish what changed."""

    async def handle(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        settings = settings_of()
        row_id = int(params["delivery"])
        try:
            async with ctx.database.transaction() as session:
                outcome = await webhooks.process(session, ctx.tenant_id, row_id, settings)
        except Exception as error:
            async with ctx.database.transaction() as session:
                await webhooks.mark_failed(
                    session, ctx.tenant_id, row_id, f"{type(error).__name__}: {error}"
                )
            raise
        if outcome is None:
            return {"status": "already handled"}
        live = LivePublisher(ctx.jobs.publisher.publish, ctx.database, settings)
        await live.changed(
            ctx.tenant_id,
            {
                "source": "github",
                "delivery_id": outcome.delivery_id,
                "event": outcome.event,
                "action": outcome.action,
                "repository": outcome.repository,
                "status": outcome.status,
            },
        )
        return {"status": outcome.status}

    return handle
