"""The ``gateway.usage`` channel: usage rows as they are stored, one message per batch and tenant.

Subscribers (scope ``read``, over the core's WebSocket or SSE) receive the batch's totals and up
to ``MAX_ROWS`` of its rows, newest first; the channel keeps a short history for resuming.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, Protocol

from vantage.packs.gateway.channels import USAGE_CHANNEL
from vantage.packs.gateway.usage.record import UsageRecord

MAX_ROWS = 50


class Publisher(Protocol):
    async def publish(self, tenant_id: int, channel: str, data: Any) -> object: ...


def _row(record: UsageRecord) -> dict[str, Any]:
    return {
        "request_id": record.request_id,
        "created_at": record.created_at.isoformat().replace("+00:00", "Z"),
        "specialist": record.specialist_slug,
        "provider": record.provider,
        "model": record.model,
        "status": record.status,
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "cost_usd": None if record.cost_usd is None else str(record.cost_usd),
        "latency_ms": record.latency_ms,
        "estimated": record.estimated,
    }


def batch_message(records: list[UsageRecord]) -> dict[str, Any]:
    """Totals of one tenant's stored rows, and the newest of them."""
    newest = sorted(records, key=lambda r: r.created_at, reverse=True)
    return {
        "requests": len(records),
        "errors": sum(r.status != "ok" for r in records),
        "input_tokens": sum(r.input_tokens for r in records),
        "output_tokens": sum(r.output_tokens for r in records),
        "cost_usd": str(sum((r.cost_usd or Decimal(0) for r in records), Decimal(0))),
        "rows": [_row(r) for r in newest[:MAX_ROWS]],
    }


def usage_feed(hub: Publisher) -> Callable[[list[UsageRecord]], Awaitable[None]]:
    """The writer's ``on_stored`` callback publishing to ``gateway.usage``."""

    async def publish(records: list[UsageRecord]) -> None:
        by_tenant: dict[int, list[UsageRecord]] = {}
        for record in records:
            by_tenant.setdefault(record.tenant_id, []).append(record)
        for tenant_id, rows in sorted(by_tenant.items()):
            await hub.publish(tenant_id, USAGE_CHANNEL, batch_message(rows))

    return publish
