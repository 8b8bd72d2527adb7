"""Ingest: validate a batch, check the tenant's currency, write it and advance the watermark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import utcnow
from vantage.core.errors import ValidationFailed
from vantage.core.watermarks import bump_watermark
from vantage.packs.commerce.ingest.batch import OrderBatch
from vantage.packs.commerce.ingest.payload import batch_from_orders
from vantage.packs.commerce.repository import accounts
from vantage.packs.commerce.repository.bulk import append_batch
from vantage.packs.commerce.repository.writer import write_batch
from vantage.packs.commerce.schemas import OrderBatchIn, OrderIn

PACK_NAME = "commerce"
_BATCH = TypeAdapter(OrderBatchIn)


@dataclass(frozen=True)
class IngestOutcome:
    accepted: int
    created: int
    updated: int
    lines: int
    committed_at: datetime


def _problem_errors(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": ["body", *item["loc"]], "message": item["msg"], "type": item["type"]}
        for item in error.errors(include_url=False)
    ]


def _too_many(max_orders: int) -> ValidationFailed:
    return ValidationFailed.field(
        ("body", "orders"), f"a batch holds at most {max_orders} orders", kind="too_long"
    )


def parse_batch(body: bytes, max_orders: int) -> list[OrderIn]:
    """Validate a JSON batch; every bad row and field is reported in one 422."""
    try:
        parsed = _BATCH.validate_json(body)
    except ValidationError as error:
        errors = _problem_errors(error)
        if any(e["loc"] == ["body", "orders"] and e["type"] == "too_long" for e in errors):
            raise _too_many(max_orders) from error
        rows = {e["loc"][2] for e in errors if len(e["loc"]) > 2 and e["loc"][1] == "orders"}
        detail = f"{len(errors)} invalid field(s) in {len(rows)} order(s); nothing was written"
        raise ValidationFailed(detail, errors=errors) from error
    if len(parsed.orders) > max_orders:
        raise _too_many(max_orders)
    return parsed.orders


def _duplicate_errors(orders: list[OrderIn]) -> list[dict[str, Any]]:
    first_seen: dict[str, int] = {}
    errors = []
    for index, order in enumerate(orders):
        if order.id in first_seen:
            message = f"order id {order.id!r} already appears at orders[{first_seen[order.id]}]"
            errors.append({"loc": ["body", "orders", index, "id"], "message": message,
                           "type": "duplicate"})  # fmt: skip
        else:
            first_seen[order.id] = index
    return errors


def _currency_errors(orders: list[OrderIn], currency: str) -> list[dict[str, Any]]:
    return [
        {
            "loc": ["body", "orders", index, "currency"],
            "message": f"amounts of this tenant are in {currency}, not {order.currency}",
            "type": "currency_mismatch",
        }
        for index, order in enumerate(orders)
        if order.currency is not None and order.currency != currency
    ]


async def resolve_currency(
    session: AsyncSession, tenant_id: int, requested: str | None, default: str
) -> str:
    """The tenant's currency; the first batch fixes it (its currency, else the default)."""
    current = await accounts.tenant_currency(session, tenant_id)
    if current is None:
        current = requested or default
        await accounts.set_tenant_currency(session, tenant_id, current)
    return current


async def ingest_orders(
    session: AsyncSession, tenant_id: int, orders: list[OrderIn], default_currency: str
) -> IngestOutcome:
    """Validate across rows, then write the batch atomically (all or nothing)."""
    errors = _duplicate_errors(orders)
    named = next((order.currency for order in orders if order.currency), None)
    currency = await resolve_currency(session, tenant_id, named, default_currency)
    errors += _currency_errors(orders, currency)
    if errors:
        errors.sort(key=lambda e: (e["loc"][2], str(e["loc"][3:])))
        raise ValidationFailed(
            f"{len(errors)} invalid field(s); nothing was written", errors=errors
        )
    return await ingest_batch(session, tenant_id, batch_from_orders(orders))


async def ingest_batch(
    session: AsyncSession, tenant_id: int, batch: OrderBatch, *, appending: bool = False
) -> IngestOutcome:
    """Write a built batch and its rollups, and advance the pack's watermark.

    ``appending`` (a file import's batches) writes the new orders straight into the fact tables
    and merges the rollups over them; the outcome and every rollup are the same either way.
    """
    now = utcnow()
    write = append_batch if appending else write_batch
    counts = await write(session, tenant_id, batch, now)
    await bump_watermark(session, tenant_id, PACK_NAME)
    return IngestOutcome(
        accepted=counts.orders,
        created=counts.created,
        updated=counts.updated,
        lines=counts.lines,
        committed_at=now,
    )
