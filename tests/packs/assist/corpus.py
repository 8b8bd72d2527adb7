"""The hostile corpus (a fixture file) and the benign analytical queries (from templates)."""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

import yaml

FIXTURES = Path(__file__).parent / "fixtures"

# Per view: dimensions to group by, measures to aggregate, a column that orders rows in time.
VIEW_SHAPES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "commerce_orders": (("status", "customer_id", "day"), ("amount", "units", "line_count"), "placed_at"),
    "commerce_order_lines": (("product_id", "order_id"), ("quantity", "unit_price", "amount"), "line_no"),
    "gateway_usage": (
        ("provider", "model", "status", "specialist", "endpoint"),
        ("input_tokens", "output_tokens", "latency_ms", "cost_usd"),
        "created_at",
    ),
    "gateway_usage_daily": (
        ("provider", "model", "day", "specialist"),
        ("requests", "errors", "input_tokens", "cost_usd"),
        "day",
    ),
    "delivery_pull_requests": (
        ("repository", "author", "state", "merge_method"),
        ("additions", "deletions", "commit_count"),
        "opened_at",
    ),
    "delivery_deployments": (
        ("service", "environment", "kind", "result"), ("incident_count",), "deployed_at",
    ),
    "delivery_work_items": (("repository", "author", "state"), ("story_points", "number"), "closed_at"),
    "aidev_sessions": (
        ("developer", "repository"), ("requests", "input_tokens", "cost_usd"), "started_at",
    ),
    "aidev_traces": (("developer", "model", "provider"), ("output_tokens", "latency_ms"), "started_at"),
}  # fmt: skip

SINGLE_VIEW_TEMPLATES = (
    "SELECT {dim}, COUNT(*) AS n FROM {view} GROUP BY {dim} ORDER BY n DESC LIMIT {k}",
    "SELECT {dim}, SUM({m}) AS total FROM {view} WHERE {m} > {x} GROUP BY {dim} "
    "HAVING COUNT(*) > 1 ORDER BY total DESC LIMIT {k}",
    "SELECT {dim}, {m}, ROW_NUMBER() OVER (PARTITION BY {dim} ORDER BY {m} DESC) AS rn "
    "FROM {view} LIMIT {k}",
    "SELECT {t}, {m}, SUM({m}) OVER (ORDER BY {t}) AS running_total FROM {view} "
    "ORDER BY {t} LIMIT {k}",
    "WITH per_group AS (SELECT {dim}, AVG({m}) AS avg_value FROM {view} GROUP BY {dim}) "
    "SELECT {dim}, avg_value FROM per_group WHERE avg_value > {x} ORDER BY avg_value DESC LIMIT {k}",
    "SELECT * FROM {view} WHERE {m} > (SELECT AVG({m}) FROM {view}) LIMIT {k}",
    "SELECT a.{dim}, a.{m} FROM {view} AS a WHERE a.{m} >= "
    "(SELECT MAX(b.{m}) FROM {view} AS b WHERE b.{dim} = a.{dim}) LIMIT {k}",
    "SELECT {dim}, SUM(CASE WHEN {m} > {x} THEN 1 ELSE 0 END) AS above FROM {view} "
    "GROUP BY {dim} ORDER BY above DESC LIMIT {k}",
    "SELECT {dim} FROM {view} WHERE {m} < {x} UNION SELECT {dim} FROM {view} WHERE {m} > {x} LIMIT {k}",
    "SELECT COUNT(DISTINCT {dim}) AS distinct_values, MIN({m}) AS low, MAX({m}) AS high FROM {view}",
    "SELECT {t}, {m}, LAG({m}) OVER (ORDER BY {t}) AS previous_value FROM {view} LIMIT {k}",
    "SELECT {dim}, COALESCE(SUM({m}), 0) AS total, NULLIF(COUNT(*), 0) AS n FROM {view} "
    "GROUP BY {dim} LIMIT {k}",
    "SELECT DISTINCT {dim} FROM {view} WHERE {m} BETWEEN {x} AND {x} + 100 ORDER BY {dim} LIMIT {k}",
    "SELECT {dim}, RANK() OVER (ORDER BY SUM({m}) DESC) AS position FROM {view} GROUP BY {dim} LIMIT {k}",
    "SELECT t.{dim}, t.total FROM (SELECT {dim}, SUM({m}) AS total FROM {view} GROUP BY {dim}) AS t "
    "WHERE t.total > {x} ORDER BY t.total DESC LIMIT {k}",
)

FIXED_QUERIES = (
    "SELECT o.status, SUM(l.amount) AS revenue FROM commerce_orders AS o "
    "JOIN commerce_order_lines AS l ON l.order_id = o.order_id GROUP BY o.status "
    "ORDER BY revenue DESC LIMIT 10",
    "SELECT p.name, SUM(l.quantity) AS units FROM commerce_order_lines AS l "
    "JOIN commerce_products AS p ON p.product_id = l.product_id GROUP BY p.name LIMIT 20",
    "SELECT c.country, COUNT(*) AS orders FROM commerce_orders AS o LEFT JOIN commerce_customers AS c "
    "ON c.customer_id = o.customer_id GROUP BY c.country ORDER BY orders DESC LIMIT 10",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT i FROM n",
    "SELECT provider, model, SUM(requests) AS requests, SUM(errors) * 1.0 / SUM(requests) AS error_rate "
    "FROM gateway_usage_daily GROUP BY provider, model HAVING SUM(requests) > 0 LIMIT 50",
    "SELECT u.model, d.requests FROM gateway_usage AS u JOIN gateway_usage_daily AS d "
    "ON d.model = u.model AND d.provider = u.provider LIMIT 5",
    "VALUES (1, 'a'), (2, 'b')",
    "SELECT 1 AS one",
    "SELECT status FROM commerce_orders INTERSECT SELECT status FROM commerce_orders",
    "SELECT status FROM commerce_orders EXCEPT SELECT status FROM commerce_orders WHERE amount < 0",
    "SELECT order_id FROM commerce_orders WHERE status IN ('completed', 'refunded') "
    "AND customer_id LIKE 'c%' ORDER BY placed_at DESC LIMIT 25",
    "SELECT d.service, COUNT(*) AS deployments, SUM(d.incident_count) AS incidents "
    "FROM delivery_deployments AS d WHERE d.production AND d.result = 'success' "
    "GROUP BY d.service ORDER BY deployments DESC LIMIT 10",
    "SELECT p.repository, p.number, d.deployed_at - p.merged_at AS waited FROM delivery_pull_requests "
    "AS p JOIN delivery_deployments AS d ON d.deployment_id = p.deployment_id LIMIT 20",
    "SELECT i.severity, COUNT(*) AS n FROM delivery_incidents AS i LEFT JOIN delivery_deployments AS d "
    "ON d.deployment_id = i.deployment_id WHERE i.attribution IS NOT NULL GROUP BY i.severity",
    "SELECT repository, AVG(story_points) AS mean_points, COUNT(*) AS finished FROM delivery_work_items "
    "WHERE finished AND story_points IS NOT NULL GROUP BY repository ORDER BY finished DESC",
    "SELECT title, story_points FROM delivery_work_items WHERE state = 'open' "
    "AND title LIKE '%checkout%' ORDER BY opened_at LIMIT 10",
    "SELECT s.developer, COUNT(t.request_id) AS requests FROM aidev_sessions AS s "
    "JOIN aidev_traces AS t ON t.session_id = s.session_id GROUP BY s.developer LIMIT 20",
    "SELECT order_id, amount FROM commerce_orders WHERE EXISTS (SELECT 1 FROM commerce_order_lines AS l "
    "WHERE l.order_id = commerce_orders.order_id AND l.quantity < 0) LIMIT 10",
)


@cache
def hostile_classes() -> dict[str, list[str]]:
    """The hostile corpus by class."""
    document = yaml.safe_load((FIXTURES / "hostile_sql.yaml").read_text(encoding="utf-8"))
    classes: dict[str, list[str]] = document["classes"]
    return classes


def hostile_queries() -> list[tuple[str, str]]:
    """Every hostile query with its class."""
    return [(kind, sql) for kind, queries in hostile_classes().items() for sql in queries]


@cache
def benign_queries() -> tuple[str, ...]:
    """Analytical queries over the allowed views, generated from templates (deterministic)."""
    queries: list[str] = list(FIXED_QUERIES)
    limits = itertools.cycle((5, 10, 20, 50, 100))
    thresholds = itertools.cycle((0, 1, 10, 250))
    for view, (dims, measures, time_column) in VIEW_SHAPES.items():
        for template, dim, measure in itertools.product(SINGLE_VIEW_TEMPLATES, dims, measures):
            queries.append(
                template.format(
                    view=view, dim=dim, m=measure, t=time_column, k=next(limits), x=next(thresholds)
                )
            )
    return tuple(dict.fromkeys(queries))
