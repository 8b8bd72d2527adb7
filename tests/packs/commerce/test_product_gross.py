"""The gross (revenue before returns) that the migration gives stored product figures."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.packs.commerce import reference as ref
from tests.packs.commerce.support import ingest, new_tenant, open_database, order
from vantage.core import migrations

# Two orders of p1 (one re-sent with a return line), a return of p2 alone, a cancelled p3.
ORDERS = [
    order("g1", "c1", "2025-03-01T10:00:00Z", "completed", ("p1", 2, "10.00"), ("p2", 1, "4.00")),
    order("g2", "c2", "2025-03-02T10:00:00Z", "completed", ("p1", 1, "10.00")),
    order("g3", "c2", "2025-03-03T10:00:00Z", "completed", ("p2", -3, "4.00")),
    order("g4", "c3", "2025-03-04T10:00:00Z", "cancelled", ("p3", 5, "1.00")),
]
RESENT = [
    order("g2", "c2", "2025-03-02T10:00:00Z", "completed", ("p1", 3, "10.00"), ("p1", -4, "10.00")),
]


async def test_the_migration_computes_the_gross_of_stored_sales(database_url: str) -> None:
    async with open_database(database_url) as database:
        tenant_id = await new_tenant(database, f"gross-{uuid.uuid4().hex[:10]}")
        await ingest(database, tenant_id, ORDERS)
        await ingest(database, tenant_id, RESENT)
        async with database.reader() as session:
            assert await ref.product_stats_errors(session, tenant_id) == []
            kept = await _gross(session, tenant_id)
        assert kept == {"p1": 200_000, "p2": 40_000}
        await asyncio.to_thread(migrations.downgrade, database_url, "delivery_0007")
        await asyncio.to_thread(migrations.upgrade, database_url, "head")
        async with database.reader() as session:
            assert await _gross(session, tenant_id) == kept
            assert await ref.product_stats_errors(session, tenant_id) == []


async def _gross(session: AsyncSession, tenant_id: int) -> dict[str, int]:
    rows = await session.execute(
        text(
            "SELECT p.external_id, s.gross_minor FROM commerce_product_stats s"
            " JOIN commerce_products p ON p.id = s.product_id WHERE s.tenant_id = :t"
        ),
        {"t": tenant_id},
    )
    return {product: int(gross) for product, gross in rows}
