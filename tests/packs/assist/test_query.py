"""``/ai/query``: tenant-scoped, row-capped, time-limited, and never a write."""

from __future__ import annotations

import pytest

from tests.packs.assist.conftest import Analyst
from tests.support.auth import app_of


async def test_each_tenant_reads_only_its_own_rows(
    analyst: Analyst, other_analyst: Analyst
) -> None:
    await analyst.add_orders("a-1", "a-2", "a-3")
    await other_analyst.add_orders("b-1")
    sql = "SELECT order_id, amount FROM commerce_orders ORDER BY order_id"
    mine = await analyst.post("/query", {"sql": sql})
    assert mine.status_code == 200, mine.text
    assert [row[0] for row in mine.json()["rows"]] == ["a-1", "a-2", "a-3"]
    theirs = (await other_analyst.post("/query", {"sql": sql})).json()
    assert [row[0] for row in theirs["rows"]] == ["b-1"]
    joined = (
        "SELECT COUNT(*) FROM commerce_order_lines AS l "
        "JOIN commerce_orders AS o ON o.order_id = l.order_id"
    )
    assert (await other_analyst.post("/query", {"sql": joined})).json()["rows"] == [[1]]


async def test_rows_are_capped_and_truncation_is_flagged(analyst: Analyst) -> None:
    await analyst.add_orders("o-1", "o-2", "o-3")
    sql = "SELECT order_id FROM commerce_orders ORDER BY order_id"
    capped = (await analyst.post("/query", {"sql": sql, "max_rows": 2})).json()
    assert capped["rows"] == [["o-1"], ["o-2"]]
    assert capped["truncated"] is True and capped["row_count"] == 2
    whole = (await analyst.post("/query", {"sql": sql, "max_rows": 3})).json()
    assert whole["truncated"] is False and whole["columns"] == ["order_id"]
    assert whole["warnings"][0]["code"] == "SQL_MISSING_LIMIT"
    over = await analyst.post("/query", {"sql": sql, "max_rows": 10_000})
    assert over.status_code == 422


async def test_an_invalid_query_is_422_with_its_findings(analyst: Analyst) -> None:
    response = await analyst.post("/query", {"sql": "SELECT * FROM users"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["findings"][0]["code"] == "SQL_UNKNOWN_TABLE"


async def test_a_query_the_database_refuses_is_422(analyst: Analyst) -> None:
    response = await analyst.post("/query", {"sql": "SELECT 1 / 0 FROM (SELECT 1) AS t"})
    assert response.status_code in (200, 422)  # SQLite answers NULL, PostgreSQL refuses
    if response.status_code == 422:
        assert "division by zero" in response.json()["detail"]


async def test_a_long_recursive_query_is_stopped_at_its_timeout(analyst: Analyst) -> None:
    sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"
    response = await analyst.post("/query", {"sql": sql, "timeout_ms": 200})
    assert response.status_code == 504
    assert response.json()["code"] == "TIMEOUT"
    # The connection is usable afterwards.
    again = await analyst.post("/query", {"sql": "SELECT 1 AS one"})
    assert again.json()["rows"] == [[1]]


async def test_values_are_json(analyst: Analyst) -> None:
    await analyst.add_orders("o-1", amount="12.5")
    sql = "SELECT amount, placed_at, day FROM commerce_orders LIMIT 1"
    row = (await analyst.post("/query", {"sql": sql})).json()["rows"][0]
    assert float(row[0]) == 12.5
    assert str(row[1]).startswith("2025-03-01")
    assert str(row[2]) == "2025-03-01"


@pytest.mark.parametrize("sql", ["SELECT 1", "VALUES (1)"])
async def test_queries_without_views_run(analyst: Analyst, sql: str) -> None:
    response = await analyst.post("/query", {"sql": sql})
    assert response.status_code == 200
    assert response.json()["rows"] == [[1]]
    assert app_of(analyst.client) is not None
