"""MarketPulse's URLs answer with its envelope, field names and errors, and Vantage's numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.packs.commerce.conftest import Shop
from tests.packs.commerce.support import order

TODAY = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)


def _orders() -> list[dict[str, Any]]:
    yesterday = TODAY - timedelta(days=1)
    return [
        order("o1", "c1", yesterday, "completed", ("p1", 2, "10.00"), ("p2", 1, "5.50")),
        order("o2", "c2", TODAY, "completed", ("p1", 1, "10.00")),
        order("o3", "c1", TODAY, "pending", ("p2", 3, "5.50")),
        order("o4", "c3", yesterday, "cancelled", ("p1", 1, "10.00")),
    ]


async def _compat(shop: Shop, path: str, **params: Any) -> httpx.Response:
    return await shop.client.get(path, params=params, headers=shop.reader_headers)


async def test_dashboard_renames_the_v1_figures(shop: Shop) -> None:
    assert (await shop.post(_orders())).status_code == 200
    v1 = (await shop.get("/dashboard")).json()

    answer = await _compat(shop, "/api/dashboard")

    assert answer.status_code == 200
    data = answer.json()["data"]
    assert Decimal(data["total_revenue"]) == Decimal(v1["revenue"]) == Decimal("35.50")
    assert data["total_transactions"] == v1["transactions"] == 4
    # Vantage's AOV: revenue over the two completed orders, not over the four transactions.
    assert Decimal(data["avg_order_value"]) == Decimal("17.75")
    assert data["completed_orders"] == 2
    assert data["pending_orders"] == 1
    assert data["cancelled_orders"] == 1
    assert data["refunded_orders"] == 0
    assert isinstance(data["total_units"], int)
    assert [p["product_id"] for p in data["top_products"]] == [p["id"] for p in v1["top_products"]]
    first = data["top_products"][0]
    assert set(first) == {
        "product_id",
        "product_name",
        "total_revenue",
        "units_sold",
        "order_count",
    }
    assert len(data["recent_trend"]) == len(v1["trend"])
    point = data["recent_trend"][-1]
    assert set(point) >= {"date", "revenue", "transactions"}
    assert data["period"] == {"start": v1["window"]["from"], "end": v1["window"]["to"]}


async def test_an_empty_window_answers_zeros(shop: Shop) -> None:
    data = (await _compat(shop, "/api/dashboard")).json()["data"]

    assert Decimal(data["total_revenue"]) == 0
    assert data["total_transactions"] == 0
    assert data["avg_order_value"] is None


async def test_revenue_limit_keeps_the_latest_days(shop: Shop) -> None:
    await shop.post(_orders())

    answer = await _compat(shop, "/api/revenue", limit=2)

    assert answer.status_code == 200
    body = answer.json()
    assert body["pagination"] == {"limit": 2, "offset": 0, "total": 2}
    rows = body["data"]
    assert [Decimal(row["revenue"]) for row in rows] == [Decimal("25.50"), Decimal("10.00")]
    assert rows[0]["transactions"] == 2
    assert rows[0]["completed_orders"] == 1
    assert set(rows[0]) >= {"date", "avg_order_value", "units_sold"}
    v1 = (await shop.get("/revenue?days=2")).json()
    assert [row["revenue"] for row in rows] == [point["revenue"] for point in v1["data"]]


async def test_revenue_limit_beyond_the_default_window(shop: Shop) -> None:
    body = (await _compat(shop, "/api/revenue", limit=120)).json()

    assert body["pagination"]["total"] == 120


async def test_customers_and_products_pages(shop: Shop) -> None:
    await shop.post(_orders())

    customers = (await _compat(shop, "/api/customers", limit=1, offset=0)).json()
    products = (await _compat(shop, "/api/products", limit=10)).json()

    top = customers["data"][0]
    assert top["customer_id"] == "c1"
    assert Decimal(top["lifetime_value"]) == Decimal("25.50")
    assert top["total_orders"] == 1
    assert set(customers["pagination"]) == {"limit", "offset", "total"}
    assert customers["pagination"]["limit"] == 1
    assert products["pagination"] == {"limit": 10, "offset": 0, "total": 2}
    v1 = (await shop.get("/products?limit=10")).json()
    assert [(p["product_id"], p["total_revenue"], p["units_sold"]) for p in products["data"]] == [
        (p["id"], p["revenue"], p["units"]) for p in v1["data"]
    ]


async def test_errors_use_the_marketpulse_body(shop: Shop) -> None:
    invalid = await _compat(shop, "/api/products", limit=0)
    anonymous = await shop.client.get("/api/dashboard")

    assert invalid.status_code == 422
    error = invalid.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert isinstance(error["message"], str) and error["message"]
    assert error["timestamp"].endswith("Z")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHORIZED"


async def test_health(shop: Shop) -> None:
    body = (await shop.client.get("/api/health")).json()

    assert body["status"] == "healthy"
    assert body["database"] == "connected"
    # Like /health, the version and uptime are details shown to admins only.
    assert body["version"] is None
    assert body["uptime_seconds"] is None


async def test_etag_revalidates_through_the_alias(shop: Shop) -> None:
    await shop.post(_orders())
    first = await _compat(shop, "/api/dashboard")
    v1 = await shop.get("/dashboard")

    etag = first.headers["etag"]
    again = await shop.client.get(
        "/api/dashboard", headers={**shop.reader_headers, "If-None-Match": etag}
    )

    assert etag != v1.headers["etag"]
    assert again.status_code == 304
