"""``vantage demo`` for commerce: generated orders fed through the real ingest path."""

from __future__ import annotations

from vantage.core.packs import DemoContext
from vantage.packs.commerce.demo_data import DemoGenerator, DemoOrder
from vantage.packs.commerce.ingest.batch import OrderBatch
from vantage.packs.commerce.service.ingest import ingest_batch, resolve_currency
from vantage.packs.commerce.settings import CommerceSettings

# (orders, days, products) per scale.
SCALES = {
    "small": (20_000, 365, 300),
    "medium": (200_000, 730, 1_500),
    "large": (1_000_000, 730, 3_000),
}
BATCH = 5_000
LATE_REFUND_SHARE = 50  # one completed order in 50 is refunded later (a re-send)


def add_demo_order(batch: OrderBatch, generator: DemoGenerator, order: DemoOrder) -> None:
    """Append a generated order, naming its customer and products."""
    name, country = generator.catalog.customers.get(order.customer_id or "", (None, None))
    seq = batch.add_order(
        order.id, order.customer_id, order.placed_at, order.status,
        customer_name=name, country=country,
    )  # fmt: skip
    names = generator.product_names
    for product_id, quantity, price in order.lines:
        batch.add_line(seq, product_id, quantity, price, names[product_id])


async def load_demo(context: DemoContext) -> str:
    """Load the scale's orders, then re-send some as refunded, as a shop's feed would."""
    orders, days, products = SCALES[context.scale]
    generator = DemoGenerator(orders=orders, days=days, products=products)
    total = generator.orders
    refunds: list[DemoOrder] = []
    batch = OrderBatch()
    done = 0

    async def flush(current: OrderBatch) -> None:
        async with context.database.transaction() as session:
            await resolve_currency(
                session, context.tenant_id, None, CommerceSettings().default_currency
            )
            await ingest_batch(session, context.tenant_id, current)

    for order in generator:
        add_demo_order(batch, generator, order)
        if order.status == "completed" and len(refunds) * LATE_REFUND_SHARE < done:
            refunds.append(order)
        if len(batch) >= BATCH:
            await flush(batch)
            done += len(batch)
            context.progress(done, total + len(refunds))
            batch = OrderBatch()
    if len(batch):
        await flush(batch)
        done += len(batch)
    late = OrderBatch()
    for order in refunds:
        add_demo_order(late, generator, DemoOrder(
            order.id, order.customer_id, order.placed_at, "refunded", order.lines))  # fmt: skip
    if len(late):
        await flush(late)
    context.progress(total + len(refunds), total + len(refunds))
    customers = len(generator.catalog.customers)
    return (
        f"{total:,} orders ({len(refunds):,} refunded later), {customers:,} customers, "
        f"{len(generator.catalog.products):,} products"
    )
