"""The SQL behind each analytics view, with the caller's tenant bound.

``base`` names a pack's table the way the executing connection must reach it (schema
qualified, so that a view called like its table never reads itself); ``tenant`` is the bound
tenant id (a parameter on PostgreSQL, an integer literal in SQLite's per-query temporary views).
"""

from __future__ import annotations

from collections.abc import Callable

from vantage.packs.assist.sql.catalog import AnalyticsView

Base = Callable[[str], str]

_BODIES: dict[str, str] = {
    "commerce_orders": (
        "SELECT o.source_id AS order_id, c.external_id AS customer_id, o.placed_at, o.day, "
        "o.status, o.amount_minor / 10000.0 AS amount, o.units, o.line_count "
        "FROM {commerce_orders} AS o LEFT JOIN {commerce_customers} AS c "
        "ON c.id = o.customer_id AND c.tenant_id = o.tenant_id WHERE o.tenant_id = {tenant}"
    ),
    "commerce_order_lines": (
        "SELECT o.source_id AS order_id, l.line_no, p.external_id AS product_id, l.quantity, "
        "l.unit_price_minor / 10000.0 AS unit_price, l.amount_minor / 10000.0 AS amount "
        "FROM {commerce_order_lines} AS l JOIN {commerce_orders} AS o ON o.id = l.order_id "
        "AND o.tenant_id = l.tenant_id JOIN {commerce_products} AS p ON p.id = l.product_id "
        "AND p.tenant_id = l.tenant_id WHERE l.tenant_id = {tenant}"
    ),
    "commerce_customers": (
        "SELECT external_id AS customer_id, name, country, created_at "
        "FROM {commerce_customers} WHERE tenant_id = {tenant}"
    ),
    "commerce_products": (
        "SELECT external_id AS product_id, name, created_at "
        "FROM {commerce_products} WHERE tenant_id = {tenant}"
    ),
    "gateway_usage": (
        "SELECT request_id, created_at, user_hash, specialist_slug AS specialist, provider, "
        "model, endpoint, streamed, input_tokens, output_tokens, cached_tokens, cost_usd, "
        "estimated, latency_ms, ttft_ms, status, error_code, attempts, session_id "
        "FROM {gateway_usage} WHERE tenant_id = {tenant}"
    ),
    "gateway_usage_daily": (
        "SELECT day, provider, model, specialist_slug AS specialist, user_hash, requests, "
        "errors, input_tokens, output_tokens, cached_tokens, "
        "cost_nanousd / 1000000000.0 AS cost_usd, latency_ms_sum "
        "FROM {gateway_usage_daily} WHERE tenant_id = {tenant}"
    ),
}


def view_body(view: AnalyticsView, base: Base, tenant: str) -> str:
    """The SELECT that defines ``view`` over its base tables for one tenant."""
    body = _BODIES[view.name]
    return body.format(tenant=tenant, **{table: base(table) for table in view.base_tables})


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted identifier (both dialects)."""
    return '"' + name.replace('"', '""') + '"'
