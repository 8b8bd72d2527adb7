"""MarketPulse's URLs (``/api/dashboard``, ``/api/revenue`` ...) answered by the commerce routes.

Every alias forwards to its ``/api/v1/commerce`` route and renames what it answers into
MarketPulse's envelope (``{"data": ..., "pagination": {"limit", "offset", "total"}}``), field
names and error body (``{"error": {"code", "message", "timestamp"}}``). Figures follow Vantage's
definitions; docs/COMPAT.md lists each difference.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from vantage.core.compat import CompatRoute, CompatSurface

SYSTEM = "MarketPulse"
_V1 = "/api/v1/commerce"


def error_body(problem: Any) -> dict[str, Any]:
    """MarketPulse's error body, from the problem document the route answered."""
    return {
        "error": {
            "code": problem.get("code", "INTERNAL"),
            "message": problem.get("detail") or problem.get("title", ""),
            "timestamp": problem.get("timestamp"),
        }
    }


def _product(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "product_id": row["id"],
        "product_name": row["name"],
        "total_revenue": row["revenue"],
        "units_sold": row["units"],
        "order_count": row["orders"],
    }


def _trend_point(point: dict[str, Any]) -> dict[str, Any]:
    return {
        "date": point["date"],
        "revenue": point["revenue"],
        "transactions": point["transactions"],
        "completed_orders": point["completed_orders"],
        "unique_customers": point["customers"],
    }


def _dashboard(value: dict[str, Any], query: QueryParams) -> dict[str, Any]:
    statuses = value["orders_by_status"]
    return {
        "data": {
            "total_revenue": value["revenue"],
            "total_transactions": value["transactions"],
            "avg_order_value": value["aov"],
            "completed_orders": statuses["completed"],
            "pending_orders": statuses["pending"],
            "cancelled_orders": statuses["cancelled"],
            "refunded_orders": statuses["refunded"],
            "total_refunds": value["refunds"],
            "total_units": value["units"],
            "top_products": [_product(row) for row in value["top_products"]],
            "recent_trend": [_trend_point(point) for point in value["trend"]],
            "period": {"start": value["window"]["from"], "end": value["window"]["to"]},
            "currency": value["currency"],
            "data_as_of": value["data_as_of"],
        }
    }


def _revenue_query(query: QueryParams) -> list[tuple[str, str]]:
    # MarketPulse's ``limit`` asked for the latest N days; without a window of its own the
    # alias asks for exactly those days, so a limit above the default window is honoured.
    items = list(query.multi_items())
    window_given = any(key in query for key in ("from", "to", "days"))
    if "limit" in query and not window_given and query["limit"].isdigit():
        items.append(("days", query["limit"]))
    return items


def _revenue(value: dict[str, Any], query: QueryParams) -> dict[str, Any]:
    rows = [
        {
            "date": point["period"],
            "revenue": point["revenue"],
            "transactions": point["transactions"],
            "completed_orders": point["orders"],
            "avg_order_value": point["aov"],
            "units_sold": point["units"],
            "refunds": point["refunds"],
            "unique_customers": point["customers"],
        }
        for point in value["data"]
    ]
    return {
        "data": rows,
        "pagination": {
            "limit": _int(query.get("limit"), len(rows)),
            "offset": 0,
            "total": len(rows),
        },
        "total_revenue": value["total_revenue"],
    }


def _int(text: str | None, default: int) -> int:
    return int(text) if text is not None and text.isdigit() else default


def _pagination(value: dict[str, Any]) -> dict[str, Any]:
    page = value["pagination"]
    return {"limit": page["limit"], "offset": page["offset"] or 0, "total": page["total"]}


def _customers(value: dict[str, Any], query: QueryParams) -> dict[str, Any]:
    rows = [
        {
            "customer_id": row["id"],
            "customer_name": row["name"],
            "country": row["country"],
            "lifetime_value": row["ltv"],
            "total_orders": row["orders"],
            "avg_order_value": row["aov"],
            "first_order_date": row["first_order_at"],
            "last_order_date": row["last_order_at"],
        }
        for row in value["data"]
    ]
    return {"data": rows, "pagination": _pagination(value)}


def _products(value: dict[str, Any], query: QueryParams) -> dict[str, Any]:
    return {"data": [_product(row) for row in value["data"]], "pagination": _pagination(value)}


def _health(value: dict[str, Any], query: QueryParams) -> dict[str, Any]:
    database = value.get("checks", {}).get("database", {})
    return {
        "status": "healthy" if value.get("status") == "ok" else "unhealthy",
        "version": value.get("version"),
        "database": "connected" if database.get("status") == "ok" else "disconnected",
        "uptime_seconds": value.get("uptime_seconds"),
    }


def _health_error(problem: Any) -> dict[str, Any]:
    return {"status": "unhealthy", **error_body(problem)}


COMPAT = CompatSurface(
    system=SYSTEM,
    routes=(
        CompatRoute("/api/health", "/health", answer=_health, error=_health_error),
        CompatRoute("/api/dashboard", f"{_V1}/dashboard", answer=_dashboard, error=error_body),
        CompatRoute(
            "/api/revenue",
            f"{_V1}/revenue",
            query=_revenue_query,
            answer=_revenue,
            error=error_body,
        ),
        CompatRoute("/api/customers", f"{_V1}/customers", answer=_customers, error=error_body),
        CompatRoute("/api/products", f"{_V1}/products", answer=_products, error=error_body),
    ),
)
