"""Running totals per product and day stay exact whichever stored days a batch touches."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.packs.commerce import reference as ref
from tests.packs.commerce.support import ingest, new_tenant, open_database, order


def _at(day: int) -> datetime:
    return datetime(2025, 3, day, 12, tzinfo=UTC)


async def test_batches_on_stored_new_earlier_and_later_days(database_url: str) -> None:
    async with open_database(database_url) as database:
        tenant_id = await new_tenant(database, "running-totals")
        await ingest(database, tenant_id, [
            order("o1", "c1", _at(3), "completed", ("p1", 1, "10"), ("p2", 2, "5")),
            order("o2", "c2", _at(5), "completed", ("p1", 2, "10")),
            order("o3", "c1", _at(9), "completed", ("p1", 1, "7")),
        ])  # fmt: skip
        # One batch: a stored day gains sales (5), a new day between stored ones (7), a new
        # first day (1), a new last day (12), and an order moves from day 9 back to day 2.
        await ingest(database, tenant_id, [
            order("o4", "c3", _at(5), "completed", ("p1", 3, "10")),
            order("o5", "c3", _at(7), "completed", ("p1", 1, "1")),
            order("o6", None, _at(1), "completed", ("p2", 1, "5")),
            order("o7", "c2", _at(12), "completed", ("p1", -1, "10")),
            order("o3", "c1", _at(2), "completed", ("p1", 1, "7")),
        ])  # fmt: skip
        # A refund takes a stored day's sale out again; later days move down.
        await ingest(database, tenant_id, [order("o2", "c2", _at(5), "refunded", ("p1", 2, "10"))])
        async with database.reader() as session:
            assert await ref.product_day_errors(session, tenant_id) == []
            stored = await ref.raw_product_sales(session, tenant_id, None, None)
    # (amount in 1/10,000, units, completed orders): o1 + o3 + o4 + o5 + o7, and o1 + o6
    assert stored == {"p1": (380_000, 5, 5), "p2": (150_000, 3, 2)}
