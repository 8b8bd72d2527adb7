"""API-shaped orders (``OrderIn``) into the columnar batch."""

from __future__ import annotations

from collections.abc import Iterable

from vantage.packs.commerce.domain.money import to_minor
from vantage.packs.commerce.ingest.batch import OrderBatch
from vantage.packs.commerce.schemas import OrderIn


def append_order(batch: OrderBatch, order: OrderIn) -> None:
    """Append one validated order with its lines."""
    seq = batch.add_order(
        order.id,
        order.customer_id,
        order.placed_at,
        order.status.value,
        customer_name=order.customer_name or None,
        country=order.country or None,
    )
    for line in order.lines:
        batch.add_line(
            seq, line.product_id, line.quantity, to_minor(line.unit_price),
            line.product_name or None,
        )  # fmt: skip


def batch_from_orders(orders: Iterable[OrderIn]) -> OrderBatch:
    """The columnar batch of validated API orders."""
    batch = OrderBatch()
    for order in orders:
        append_order(batch, order)
    return batch
