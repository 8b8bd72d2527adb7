"""The dashboard's top sellers equal the head of the full revenue ranking, edge cases included.

March 2025: p1 sells 20.00; p2 sells once at a price of 0 (an order, no revenue); p3 has only a
return (-5.00); p4 sold in February only, so it has no sales in March but ranks at 0.00 on
revenue alone, tied with p2.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.packs.commerce.support import ingest, new_tenant, open_database, order
from vantage.packs.commerce.repository import products as reads
from vantage.packs.commerce.repository.products import ProductWindowRow

Reading = tuple[AsyncSession, int]
MARCH = (date(2025, 3, 1), date(2025, 4, 1))
FEBRUARY = (date(2025, 2, 1), date(2025, 3, 1))
ORDERS = [
    order("o1", "c1", "2025-03-01T10:00:00Z", "completed", ("p1", 2, "10.00")),
    order("o2", "c2", "2025-03-02T10:00:00Z", "completed", ("p2", 1, "0")),
    order("o3", "c3", "2025-03-03T10:00:00Z", "completed", ("p3", -1, "5.00")),
    order("o4", "c4", "2025-02-01T10:00:00Z", "completed", ("p4", 1, "7.00")),
]


@asynccontextmanager
async def _reading(database_url: str, orders: list[dict[str, Any]]) -> AsyncIterator[Reading]:
    """A read session over a new tenant holding ``orders``, and the tenant's id."""
    async with open_database(database_url) as database:
        tenant_id = await new_tenant(database, f"top-{uuid.uuid4().hex[:10]}")
        await ingest(database, tenant_id, orders)
        async with database.reader() as session:
            yield session, tenant_id


async def _ranking(
    reading: Reading,
    window: tuple[date, date] | None,
    limit: int,
    sort: str = "revenue",
    descending: bool = True,
) -> list[ProductWindowRow]:
    session, tenant_id = reading
    return await reads.product_ranking(
        session, tenant_id, window, sort=sort, descending=descending, limit=limit, offset=0
    )


@pytest.mark.parametrize(
    ("window", "limit", "expected"),
    [
        (MARCH, 1, [("p1", 200_000, 2, 1)]),
        (MARCH, 2, [("p1", 200_000, 2, 1), ("p2", 0, 1, 1)]),  # p4's 0 must not take p2's place
        (MARCH, 3, [("p1", 200_000, 2, 1), ("p2", 0, 1, 1), ("p3", -50_000, -1, 1)]),
        (FEBRUARY, 1, [("p4", 70_000, 1, 1)]),
    ],
)
async def test_top_sellers_are_the_head_of_the_ranking(
    database_url: str,
    window: tuple[date, date],
    limit: int,
    expected: list[tuple[str, int, int, int]],
) -> None:
    async with _reading(database_url, ORDERS) as reading:
        top = await reads.top_sellers(*reading, window, limit)
        ranking = await _ranking(reading, window, limit)
    got = [(row.external_id, row.amount_minor, row.units, row.orders) for row in top]
    assert got == expected
    assert got == [(row.external_id, row.amount_minor, row.units, row.orders) for row in ranking]


async def test_tied_products_rank_by_their_own_ids_whatever_order_they_arrived_in(
    database_url: str,
) -> None:
    """Internal ids follow arrival order; two imports of the same sales must rank alike."""
    ties = [
        order(f"t{n}", "c1", "2025-03-05T10:00:00Z", "completed", (product, 1, "3.00"))
        for n, product in enumerate(("pb", "pc", "pa"))
    ]
    async with _reading(database_url, ties) as reading:
        top = await reads.top_sellers(*reading, MARCH, 2)
        ranking = await _ranking(reading, MARCH, 3)
        ascending = await _ranking(reading, MARCH, 3, sort="units", descending=False)
    assert [row.external_id for row in top] == ["pc", "pb"]
    assert [row.external_id for row in ranking] == ["pc", "pb", "pa"]
    assert [row.external_id for row in ascending] == ["pa", "pb", "pc"]


# pr's March sales lead, but a February return leaves it the smallest all-time revenue. The
# a* products sell less in March and more in February; the b* products sold in February only,
# more than pr's all-time revenue. Ranked by all-time revenue, the walk would stop at the b*
# products before reaching pr; ranked by gross (revenue before returns) pr comes first.
RETURNS = [
    order("r1", "c1", "2025-03-10T10:00:00Z", "completed", ("pr", 10, "10.00")),
    order("r2", "c1", "2025-02-10T10:00:00Z", "completed", ("pr", -9, "10.00")),
    *(
        order(f"s{n}", "c2", f"2025-03-1{n}T10:00:00Z", "completed", (f"a{n}", 1, f"3{n}.00"))
        for n in range(3)
    ),
    *(
        order(f"f{n}", "c2", "2025-02-11T10:00:00Z", "completed", (f"a{n}", 1, "50.00"))
        for n in range(3)
    ),
    *(
        order(f"b{n}", "c3", "2025-02-12T10:00:00Z", "completed", (f"b{n}", 1, "15.00"))
        for n in range(4)
    ),
]


@pytest.mark.parametrize("first_page", [1, 2, reads.FIRST_GROSS_PAGE])
async def test_a_product_whose_returns_fall_outside_the_window_still_leads_it(
    database_url: str, first_page: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reads, "FIRST_GROSS_PAGE", first_page)
    async with _reading(database_url, RETURNS) as reading:
        top = await reads.top_sellers(*reading, MARCH, 3)
        ranking = await _ranking(reading, MARCH, 3)
        all_time = await _ranking(reading, None, 8)
    assert [row.external_id for row in all_time][-1] == "pr"
    assert [(row.external_id, row.amount_minor) for row in top] == [
        ("pr", 1_000_000),
        ("a2", 320_000),
        ("a1", 310_000),
    ]
    assert [row.external_id for row in top] == [row.external_id for row in ranking]
