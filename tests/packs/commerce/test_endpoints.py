"""Every endpoint against a small shop whose figures were computed by hand.

o1 c1 2025-03-01 completed  p1 2 x 9.99, p2 1 x 5.00          = 24.98 (3 units)
o2 c2 2025-03-02 pending    p1 1 x 9.99                       =  9.99
o3 c1 2025-04-02 completed  p2 3 x 5.00, p3 -1 x 2.50 (return) = 12.50 (2 units)
o4 -- 2025-03-02 completed  p3 4 x 2.50 (guest)               = 10.00 (4 units)
o5 c3 2025-03-15 refunded   p1 1 x 9.99                       =  9.99
o6 c2 2025-04-10 cancelled  p2 2 x 5.00                       = 10.00
o7 c3 2025-04-20 completed  p1 3 x 9.99                       = 29.97 (3 units)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.packs.commerce.conftest import Shop
from tests.packs.commerce.support import order

MARCH = "?from=2025-03-01&to=2025-04-01"
APRIL = "?from=2025-04-01&to=2025-05-01"
SPRING = "?from=2025-03-01&to=2025-05-01"
EMPTY = "?from=2026-01-01&to=2026-02-01"

FIXTURE = [
    order("o1", "c1", "2025-03-01T10:00:00Z", "completed", ("p1", 2, "9.99"), ("p2", 1, "5.00"),
          customer_name="Ann", country="United Kingdom"),
    order("o2", "c2", "2025-03-02T11:00:00Z", "pending", ("p1", 1, "9.99")),
    order("o3", "c1", "2025-04-02T09:00:00Z", "completed", ("p2", 3, "5.00"), ("p3", -1, "2.50")),
    order("o4", None, "2025-03-02T15:00:00Z", "completed", ("p3", 4, "2.50")),
    order("o5", "c3", "2025-03-15T12:00:00Z", "refunded", ("p1", 1, "9.99")),
    order("o6", "c2", "2025-04-10T08:00:00Z", "cancelled", ("p2", 2, "5.00")),
    order("o7", "c3", "2025-04-20T12:00:00Z", "completed", ("p1", 3, "9.99")),
]  # fmt: skip


@pytest.fixture
async def loaded(shop: Shop) -> Shop:
    response = await shop.post(FIXTURE)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 7 and response.json()["lines"] == 9
    return shop


def _products(body: list[dict[str, Any]]) -> list[tuple[str, str, int, int]]:
    return [(p["id"], p["revenue"], p["units"], p["orders"]) for p in body]


async def test_dashboard_of_a_month(loaded: Shop) -> None:
    body = (await loaded.get("/dashboard" + MARCH)).json()
    assert body["window"] == {"from": "2025-03-01T00:00:00Z", "to": "2025-04-01T00:00:00Z"}
    assert body["data_as_of"] is not None and body["currency"] == "USD"
    assert body["revenue"] == "34.98" and body["refunds"] == "9.99"
    assert body["transactions"] == 4 and body["units"] == 7 and body["aov"] == "17.49"
    assert body["orders_by_status"] == {"completed": 2, "pending": 1, "cancelled": 0, "refunded": 1}
    assert _products(body["top_products"]) == [
        ("p1", "19.98", 2, 1),
        ("p3", "10.00", 4, 1),
        ("p2", "5.00", 1, 1),
    ]
    trend = {point["date"]: point for point in body["trend"]}
    assert len(trend) == 30  # the last 30 days of the 31-day window
    assert trend["2025-03-02"] == {
        "date": "2025-03-02", "revenue": "10.00", "transactions": 2, "completed_orders": 1,
        "customers": 0,
    }  # fmt: skip
    assert trend["2025-03-15"]["transactions"] == 1 and trend["2025-03-15"]["revenue"] == "0.00"


async def test_dashboard_rounds_aov_half_even_and_spans_months(loaded: Shop) -> None:
    april = (await loaded.get("/dashboard" + APRIL)).json()
    assert april["revenue"] == "42.47" and april["aov"] == "21.24"  # 21.235
    assert april["orders_by_status"]["cancelled"] == 1 and april["units"] == 5
    spring = (await loaded.get("/dashboard" + SPRING)).json()
    assert spring["revenue"] == "77.45" and spring["aov"] == "19.36" and spring["transactions"] == 7


async def test_empty_window_is_zeros_not_an_error(loaded: Shop) -> None:
    body = (await loaded.get("/dashboard" + EMPTY)).json()
    assert body["revenue"] == "0.00" and body["transactions"] == 0 and body["aov"] is None
    assert body["top_products"] == [] and len(body["trend"]) == 30
    assert all(p["transactions"] == 0 for p in body["trend"])
    revenue = (await loaded.get("/revenue" + EMPTY + "&granularity=month")).json()
    assert revenue["total_revenue"] == "0.00"
    assert [p["period"] for p in revenue["data"]] == ["2026-01-01"]


async def test_revenue_by_month_week_and_day(loaded: Shop) -> None:
    months = (await loaded.get("/revenue" + SPRING + "&granularity=month")).json()
    assert months["total_revenue"] == "77.45"
    assert months["data"] == [
        {"period": "2025-03-01", "revenue": "34.98", "refunds": "9.99", "orders": 2,
         "transactions": 4, "units": 7, "aov": "17.49", "customers": None},
        {"period": "2025-04-01", "revenue": "42.47", "refunds": "0.00", "orders": 2,
         "transactions": 3, "units": 5, "aov": "21.24", "customers": None},
    ]  # fmt: skip
    weeks = (await loaded.get("/revenue?from=2025-03-01&to=2025-03-10&granularity=week")).json()
    assert [(w["period"], w["revenue"], w["transactions"]) for w in weeks["data"]] == [
        ("2025-02-24", "34.98", 3),  # Saturday 1 and Sunday 2 March only
        ("2025-03-03", "0.00", 0),
    ]
    days = (await loaded.get("/revenue" + MARCH + "&granularity=day")).json()
    assert len(days["data"]) == 31 and days["data"][0]["customers"] == 1
    latest = (await loaded.get("/revenue" + MARCH + "&granularity=day&limit=3")).json()
    assert [p["period"] for p in latest["data"]] == ["2025-03-29", "2025-03-30", "2025-03-31"]


async def test_customers_sorted_with_keyset_pages(loaded: Shop) -> None:
    first = (await loaded.get("/customers?limit=1")).json()
    assert [(c["id"], c["ltv"], c["orders"]) for c in first["data"]] == [("c1", "37.48", 2)]
    assert first["data"][0]["first_order_at"] == "2025-03-01T10:00:00Z"
    assert first["data"][0]["last_order_at"] == "2025-04-02T09:00:00Z"
    assert first["data"][0]["name"] == "Ann" and first["data"][0]["aov"] == "18.74"
    cursor = first["pagination"]["next_cursor"]
    second = (await loaded.get(f"/customers?limit=1&cursor={cursor}")).json()
    assert [(c["id"], c["ltv"]) for c in second["data"]] == [("c3", "29.97")]
    assert second["pagination"]["next_cursor"] is None
    by_last = (await loaded.get("/customers?sort=-last_order")).json()
    assert [c["id"] for c in by_last["data"]] == ["c3", "c1"]  # c2 never completed an order
    ascending = (await loaded.get("/customers?sort=orders")).json()
    assert [c["id"] for c in ascending["data"]] == ["c3", "c1"]
    active = (await loaded.get("/customers?from=2025-04-15&to=2025-05-01")).json()
    assert [c["id"] for c in active["data"]] == ["c3"]
    assert active["window"] == {"from": "2025-04-15T00:00:00Z", "to": "2025-05-01T00:00:00Z"}


async def test_customer_detail(loaded: Shop) -> None:
    c3 = (await loaded.get("/customers/c3")).json()
    assert c3["ltv"] == "29.97" and c3["refunds"] == "9.99"
    assert c3["orders_by_status"] == {"completed": 1, "pending": 0, "cancelled": 0, "refunded": 1}
    assert [o["id"] for o in c3["recent_orders"]] == ["o7", "o5"]
    assert c3["months"] == [{"month": "2025-04-01", "orders": 1, "revenue": "29.97"}]
    c2 = (await loaded.get("/customers/c2")).json()
    assert (c2["ltv"], c2["orders"], c2["aov"], c2["first_order_at"]) == ("0.00", 0, None, None)
    assert c2["orders_by_status"] == {"completed": 0, "pending": 1, "cancelled": 1, "refunded": 0}


async def test_products_all_time_and_in_a_window(loaded: Shop) -> None:
    page = (await loaded.get("/products?limit=2")).json()
    assert _products(page["data"]) == [("p1", "49.95", 5, 2), ("p2", "20.00", 4, 2)]
    assert page["pagination"]["total"] == 3 and page["window"] is None
    rest = (await loaded.get("/products?limit=2&offset=2")).json()
    assert _products(rest["data"]) == [("p3", "7.50", 3, 2)]
    by_units = (await loaded.get("/products?sort=-units")).json()
    assert [p["id"] for p in by_units["data"]] == ["p1", "p2", "p3"]
    april = (await loaded.get("/products" + APRIL)).json()
    assert _products(april["data"]) == [
        ("p1", "29.97", 3, 1),
        ("p2", "15.00", 3, 1),
        ("p3", "-2.50", -1, 1),
    ]
    assert (await loaded.get("/products" + EMPTY)).json()["data"] == []


async def test_cohorts(loaded: Shop) -> None:
    body = (await loaded.get("/cohorts" + SPRING)).json()
    assert body["data"] == [
        {"cohort": "2025-03-01", "customers": 1, "active": [1, 1],
         "retention": ["1.0000", "1.0000"]},
        {"cohort": "2025-04-01", "customers": 1, "active": [1], "retention": ["1.0000"]},
    ]  # fmt: skip
    april = (await loaded.get("/cohorts" + APRIL)).json()
    assert [row["cohort"] for row in april["data"]] == ["2025-04-01"]
    assert (await loaded.get("/cohorts" + EMPTY)).json()["data"] == []


async def test_rfm(loaded: Shop) -> None:
    body = (await loaded.get("/rfm?from=2025-01-01&to=2025-05-01")).json()
    assert body["customers"] == 2 and body["repeat_purchase_rate"] == "0.5000"
    segments = {s["segment"]: s for s in body["segments"] if s["customers"]}
    # c1: oldest last purchase (R=1), two purchases (F=3) -> at risk; c3: R=3, F=1.
    assert segments == {
        "at_risk": {"segment": "at_risk", "customers": 1, "revenue": "37.48", "share": "0.5000"},
        "about_to_sleep": {
            "segment": "about_to_sleep", "customers": 1, "revenue": "29.97", "share": "0.5000"
        },
    }  # fmt: skip
    empty = (await loaded.get("/rfm" + EMPTY)).json()
    assert empty["customers"] == 0 and empty["repeat_purchase_rate"] is None


async def test_resending_an_order_moves_every_figure_by_its_delta(loaded: Shop) -> None:
    refunded = order(
        "o3", "c1", "2025-04-02T09:00:00Z", "refunded", ("p2", 3, "5.00"), ("p3", -1, "2.50")
    )
    result = (await loaded.post([refunded])).json()
    assert (result["created"], result["updated"]) == (0, 1)
    april = (await loaded.get("/dashboard" + APRIL)).json()
    assert april["revenue"] == "29.97" and april["refunds"] == "12.50"
    c1 = (await loaded.get("/customers/c1")).json()
    assert (c1["ltv"], c1["orders"], c1["last_order_at"]) == ("24.98", 1, "2025-03-01T10:00:00Z")
    cohorts = (await loaded.get("/cohorts" + SPRING)).json()["data"]
    assert cohorts[0]["active"] == [1, 0]
    products = (await loaded.get("/products")).json()["data"]
    assert ("p2", "5.00", 1, 1) in _products(products)


async def test_conditional_reads(loaded: Shop) -> None:
    first = await loaded.get("/dashboard" + MARCH)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("private, max-age=")
    again = await loaded.get("/dashboard" + MARCH, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = await loaded.get("/customers/c3", **{"If-None-Match": etag})
    assert other.status_code == 200
    c1 = await loaded.get("/customers/c1")
    assert c1.headers["etag"] != other.headers["etag"]  # path parameters are part of the tag
    await loaded.post([order("o8", "c4", "2025-03-03T10:00:00Z", "completed", ("p1", 1, "1"))])
    fresh = await loaded.get("/dashboard" + MARCH, **{"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.json()["revenue"] == "35.98"
