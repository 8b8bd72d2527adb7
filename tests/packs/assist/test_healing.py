"""Healing: the labelled broken queries, safety, and the endpoints of the learning memory."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import sqlglot
import yaml

from tests.packs.assist.conftest import Analyst
from tests.packs.assist.corpus import FIXTURES, hostile_queries
from vantage.packs.assist.sql.catalog import Catalog
from vantage.packs.assist.sql.healing import Healer
from vantage.packs.assist.sql.parsing import DIALECTS, Dialect
from vantage.packs.assist.sql.validator import SqlValidator

CATALOG = Catalog()
HEALER = Healer(SqlValidator(CATALOG), CATALOG)


@cache
def broken_cases() -> list[dict[str, Any]]:
    document = yaml.safe_load((FIXTURES / "broken_sql.yaml").read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = document["cases"]
    return cases


def _normalized(sql: str, dialect: Dialect) -> str:
    return sqlglot.parse_one(sql, read=dialect).sql(dialect=dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_healing_fixes_at_least_60_percent_of_the_labelled_set(dialect: Dialect) -> None:
    cases = [case for case in broken_cases() if case.get("dialect", dialect) == dialect]
    assert len(broken_cases()) >= 30
    fixed = 0
    for case in cases:
        healed = HEALER.heal(case["broken"], dialect)
        if case["expected"] is None:
            assert healed is None, case["broken"]
            continue
        if healed is not None and healed.sql == _normalized(case["expected"], dialect):
            fixed += 1
    assert fixed >= 0.6 * len(cases)
    assert fixed == len([case for case in cases if case["expected"] is not None])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_repair_turns_a_hostile_query_into_anything(dialect: Dialect) -> None:
    validator = SqlValidator(CATALOG)
    for _, sql in hostile_queries():
        healed = HEALER.heal(sql, dialect)
        # A repair may only ever be a valid read (re-validated from scratch here).
        assert healed is None or validator.semantics(healed.sql, dialect).valid, sql


async def test_feedback_is_remembered_and_found_again(analyst: Analyst) -> None:
    first = {
        "question": "revenue by order status",
        "sql": "SELECT status, SUM(amount) FROM commerce_orders GROUP BY status",
        "outcome": "success",
    }
    second = {
        "question": "how many requests per model",
        "sql": "SELECT model, COUNT(*) FROM gateway_usage GROUP BY model",
        "outcome": "success",
    }
    for entry in (first, second):
        response = await analyst.client.post(
            "/api/v1/ai/learning/record-feedback", json=entry, headers=analyst.admin_headers
        )
        assert response.status_code == 200, response.text
    third = {**first, "question": "total revenue per status", "outcome": "error"}
    response = await analyst.client.post(
        "/api/v1/ml/learning-memory", json=third, headers=analyst.admin_headers
    )
    body = response.json()
    assert body["entry"]["outcome"] == "error"
    assert body["entry"]["created_at"].endswith("Z")
    assert body["similar"][0]["question"] == "revenue by order status"
    listed = await analyst.client.get(
        "/api/v1/ml/learning-memory", params={"outcome": "success"}, headers=analyst.headers
    )
    assert listed.json()["pagination"]["total"] == 2
    entry_id = body["entry"]["id"]
    one = await analyst.client.get(
        f"/api/v1/ml/learning-memory/{entry_id}", headers=analyst.headers
    )
    assert one.json()["question"] == "total revenue per status"


async def test_memory_is_per_tenant(analyst: Analyst, other_analyst: Analyst) -> None:
    entry = {"question": "orders", "sql": "SELECT 1", "outcome": "success"}
    created = await analyst.client.post(
        "/api/v1/ml/learning-memory", json=entry, headers=analyst.admin_headers
    )
    entry_id = created.json()["entry"]["id"]
    theirs = await other_analyst.client.get(
        f"/api/v1/ml/learning-memory/{entry_id}", headers=other_analyst.headers
    )
    assert theirs.status_code == 404
    listed = await other_analyst.client.get(
        "/api/v1/ml/learning-memory", headers=other_analyst.headers
    )
    assert listed.json()["data"] == []
    again = await other_analyst.client.post(
        "/api/v1/ml/learning-memory", json=entry, headers=other_analyst.admin_headers
    )
    assert again.json()["similar"] == []


async def test_healing_suggestions_repair_and_remember(analyst: Analyst) -> None:
    broken = "SELECT statuz FROM commerce_orders LIMIT 10"
    response = await analyst.client.get(
        "/api/v1/ai/learning/healing-suggestions", params={"sql": broken}, headers=analyst.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is False
    assert body["suggestions"][0]["sql"] == "SELECT status FROM commerce_orders LIMIT 10"
    assert body["suggestions"][0]["repairs"][0]["kind"] == "column"
    remembered = {
        "question": "latest orders",
        "sql": "SELECT order_id FROM orders_latest",
        "outcome": "corrected",
        "corrected_sql": "SELECT order_id FROM commerce_orders ORDER BY placed_at DESC LIMIT 10",
    }
    await analyst.client.post(
        "/api/v1/ml/learning-memory", json=remembered, headers=analyst.admin_headers
    )
    response = await analyst.client.get(
        "/api/v1/ai/learning/healing-suggestions",
        params={"sql": "SELECT order_id FROM orders_latest"},
        headers=analyst.headers,
    )
    sources = {s["source"]: s for s in response.json()["suggestions"]}
    assert sources["memory"]["sql"] == remembered["corrected_sql"]


async def _suggestions(analyst: Analyst, sql: str) -> dict[str, list[str]]:
    response = await analyst.client.get(
        "/api/v1/ai/learning/healing-suggestions", params={"sql": sql}, headers=analyst.headers
    )
    assert response.status_code == 200, response.text
    by_source: dict[str, list[str]] = {"repair": [], "memory": []}
    for suggestion in response.json()["suggestions"]:
        by_source[suggestion["source"]].append(suggestion["sql"])
    return by_source


async def test_a_remembered_fix_is_offered_only_for_the_query_it_fixed(analyst: Analyst) -> None:
    remembered = {
        "question": "revenue by status",
        "sql": "SELECT statuz, SUM(amount) AS revenue FROM commerce_orders GROUP BY statuz",
        "outcome": "corrected",
        "corrected_sql": (
            "SELECT status, SUM(amount) AS revenue FROM commerce_orders GROUP BY status"
        ),
    }
    recorded = await analyst.client.post(
        "/api/v1/ml/learning-memory", json=remembered, headers=analyst.admin_headers
    )
    assert recorded.status_code == 200, recorded.text
    # The same misspelling in a query that counts: the remembered fix would sum amounts.
    counting = await _suggestions(
        analyst, "SELECT statuz, count(*) AS orders FROM commerce_orders GROUP BY statuz"
    )
    assert counting["memory"] == []
    assert counting["repair"] == [
        "SELECT status, COUNT(*) AS orders FROM commerce_orders GROUP BY status LIMIT 100"
    ]
    # The query it fixed, however it is cased, spaced and commented, gets it.
    same = await _suggestions(
        analyst,
        "select STATUZ, sum(amount) as revenue /* by status */  "
        "from commerce_orders group by statuz",
    )
    assert same["memory"] == [remembered["corrected_sql"]]


async def test_healing_never_suggests_for_a_write(analyst: Analyst) -> None:
    response = await analyst.client.get(
        "/api/v1/ai/learning/healing-suggestions",
        params={"sql": "DELETE FROM commerce_ordrs"},
        headers=analyst.headers,
    )
    assert response.status_code == 200
    assert response.json()["suggestions"] == []
