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
    "delivery_pull_requests": (
        "SELECT r.full_name AS repository, p.number, p.title, p.author, p.state, p.opened_at, "
        "p.first_commit_at, p.first_review_at, p.merged_at, p.closed_at, p.merge_method, "
        "p.additions, p.deletions, p.commit_count, d.external_id AS deployment_id "
        "FROM {delivery_pull_requests} AS p JOIN {delivery_repositories} AS r "
        "ON r.id = p.repository_id AND r.tenant_id = p.tenant_id "
        "LEFT JOIN {delivery_deployments} AS d ON d.id = p.deployment_id "
        "AND d.tenant_id = p.tenant_id WHERE p.tenant_id = {tenant}"
    ),
    "delivery_deployments": (
        "SELECT d.external_id AS deployment_id, r.full_name AS repository, d.service, "
        "d.environment, d.production, d.commit_sha, d.kind, d.status, d.result, d.created_at, "
        "d.deployed_at, d.incident_count "
        "FROM {delivery_deployments} AS d LEFT JOIN {delivery_repositories} AS r "
        "ON r.id = d.repository_id AND r.tenant_id = d.tenant_id WHERE d.tenant_id = {tenant}"
    ),
    "delivery_incidents": (
        "SELECT i.external_id AS incident_id, i.service, i.title, i.severity, i.created_at, "
        "i.restored_at, i.resolved_at, d.external_id AS deployment_id, i.attribution "
        "FROM {delivery_incidents} AS i LEFT JOIN {delivery_deployments} AS d "
        "ON d.id = i.deployment_id AND d.tenant_id = i.tenant_id WHERE i.tenant_id = {tenant}"
    ),
    "delivery_work_items": (
        "SELECT r.full_name AS repository, w.number, w.title, w.author, w.state, w.finished, "
        "w.story_points, w.opened_at, w.closed_at "
        "FROM {delivery_work_items} AS w JOIN {delivery_repositories} AS r "
        "ON r.id = w.repository_id AND r.tenant_id = w.tenant_id WHERE w.tenant_id = {tenant}"
    ),
    "aidev_sessions": (
        "SELECT id AS session_id, developer, repository, started_at, ended_at, requests, failed, "
        "input_tokens, output_tokens, cost_nano / 1000000000.0 AS cost_usd "
        "FROM {aidev_sessions} WHERE tenant_id = {tenant}"
    ),
    "aidev_traces": (
        "SELECT request_id, started_at, developer, session_id, repository, provider, model, "
        "operation, input_tokens, output_tokens, cost_nano / 1000000000.0 AS cost_usd, failed, "
        "latency_ms, suggestions_shown, suggestions_accepted "
        "FROM {aidev_traces} WHERE tenant_id = {tenant}"
    ),
}


def view_body(view: AnalyticsView, base: Base, tenant: str) -> str:
    """The SELECT that defines ``view`` over its base tables for one tenant."""
    body = _BODIES[view.name]
    return body.format(tenant=tenant, **{table: base(table) for table in view.base_tables})


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted identifier (both dialects)."""
    return '"' + name.replace('"', '""') + '"'
