"""The three validation endpoints: verdicts, positions, suggestions, limits and scopes."""

from __future__ import annotations

from tests.packs.assist.conftest import AI, Analyst
from tests.packs.assist.corpus import hostile_classes
from tests.support.auth import app_of, user_headers
from vantage.core.auth.models import Role


async def test_a_valid_query_is_valid_with_its_tables(analyst: Analyst) -> None:
    sql = "SELECT status, COUNT(*) AS n FROM commerce_orders GROUP BY status LIMIT 5"
    response = await analyst.post("/validate/sql-semantics", {"sql": sql})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is True
    assert body["tables"] == ["commerce_orders"]
    assert body["findings"] == []
    assert "commerce_orders" in body["normalized_sql"]


async def test_unknown_tables_and_columns_come_with_suggestions(analyst: Analyst) -> None:
    sql = "SELECT statuz,\n  amount FROM commerce_order LIMIT 1"
    body = (await analyst.post("/validate/sql-semantics", {"sql": sql})).json()
    assert body["valid"] is False
    table = next(f for f in body["findings"] if f["code"] == "SQL_UNKNOWN_TABLE")
    assert table["suggestions"][0] == "commerce_orders"
    assert (table["line"], table["column"]) == (2, 15)
    fixed = "SELECT statuz, amount FROM commerce_orders LIMIT 1"
    body = (await analyst.post("/validate/sql-semantics", {"sql": fixed})).json()
    column = next(f for f in body["findings"] if f["code"] == "SQL_UNKNOWN_COLUMN")
    assert column["subject"] == "statuz"
    assert column["suggestions"] == ["status"]
    assert (column["line"], column["column"]) == (1, 8)


async def test_syntax_checks_safety_but_not_names(analyst: Analyst) -> None:
    unknown = await analyst.post("/validate/sql-syntax", {"sql": "SELECT x FROM elsewhere"})
    assert unknown.json()["valid"] is True
    stacked = await analyst.post("/validate/sql-syntax", {"sql": "SELECT 1;\nDROP TABLE users"})
    finding = stacked.json()["findings"][0]
    assert finding["code"] == "SQL_MULTIPLE_STATEMENTS"
    assert (finding["line"], finding["column"]) == (2, 1)


async def test_every_hostile_class_answers_200_invalid(analyst: Analyst) -> None:
    for kind, queries in hostile_classes().items():
        for sql in queries[:3]:
            for dialect in ("postgres", "sqlite"):
                body = {"sql": sql, "dialect": dialect}
                response = await analyst.post("/validate/sql-semantics", body)
                assert response.status_code == 200, (kind, sql, response.text)
                assert response.json()["valid"] is False, (kind, sql)


async def test_parse_errors_are_findings_with_positions(analyst: Analyst) -> None:
    body = (await analyst.post("/validate/sql-syntax", {"sql": "SELECT a FROM"})).json()
    assert body["valid"] is False
    assert body["findings"][0]["code"] == "SQL_PARSE_ERROR"
    assert "Token" not in body["findings"][0]["message"]
    # A missing operand is named by its operator, not by the parser's expression class.
    for sql, message in [
        ("SELECT 2 * FROM commerce_orders", "the right side of * is missing"),
        ("SELECT * FROM commerce_orders WHERE = 1", "the left side of = is missing"),
        ("SELECT * FROM commerce_orders LIMIT", "LIMIT is missing its value"),
    ]:
        found = (await analyst.post("/validate/sql-syntax", {"sql": sql})).json()["findings"]
        assert [f["message"] for f in found] == [message], sql


async def test_sql_over_100_kib_is_413(analyst: Analyst) -> None:
    sql = "SELECT 1 AS x" + " " * (100 * 1024)
    for path in ("/validate/sql-syntax", "/validate/sql-semantics", "/query"):
        response = await analyst.post(path, {"sql": sql})
        assert response.status_code == 413, path
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_validation_needs_the_analyze_scope(analyst: Analyst) -> None:
    viewer = await user_headers(app_of(analyst.client), Role.VIEWER)
    response = await analyst.client.post(
        AI + "/validate/sql-syntax", json={"sql": "SELECT 1"}, headers=viewer
    )
    assert response.status_code == 403


async def test_data_structure_against_a_view(analyst: Analyst) -> None:
    rows = [
        {"order_id": "o1", "status": "completed", "amount": "10.50", "units": 2},
        {"order_id": "o2", "status": None, "amount": "ten", "unitz": 1},
    ]
    body = {"data": rows, "view": "commerce_orders"}
    checked = (await analyst.post("/validate/data-structure", body)).json()
    assert checked["valid"] is False and checked["records"] == 2
    found = {(f["code"], f["path"]) for f in checked["findings"]}
    assert ("WRONG_TYPE", "$[1].amount") in found
    assert ("UNEXPECTED_FIELD", "$[1].unitz") in found
    assert ("MISSING_FIELD", "$[0].placed_at") in found
    assert not any(path.startswith("$[0].amount") for _, path in found)


async def test_data_structure_with_explicit_fields(analyst: Analyst) -> None:
    fields = [{"name": "n", "type": "integer", "nullable": False}]
    good = await analyst.post("/validate/data-structure", {"data": {"n": 3}, "fields": fields})
    assert good.json() == {"valid": True, "records": 1, "findings": []}
    bad = await analyst.post("/validate/data-structure", {"data": [{"n": None}], "fields": fields})
    assert bad.json()["findings"][0]["code"] == "NULL_NOT_ALLOWED"
    unknown = await analyst.post("/validate/data-structure", {"data": [], "view": "orderz"})
    assert unknown.status_code == 422


async def test_pathological_sql_is_never_a_500(analyst: Analyst) -> None:
    nested = "SELECT " + "(" * 400 + "1" + ")" * 400
    conditions = " OR ".join(["amount > 1"] * 400)
    long_chain = f"SELECT 1 AS x FROM commerce_orders WHERE {conditions}"  # noqa: S608
    for sql in (nested, long_chain, "SELECT '" + "x" * 50_000, "\x00", "SELECT 1 /*"):
        for path in ("/validate/sql-syntax", "/validate/sql-semantics"):
            response = await analyst.post(path, {"sql": sql})
            assert response.status_code == 200, (path, sql[:40])
        healing = await analyst.client.get(
            AI + "/learning/healing-suggestions", params={"sql": sql}, headers=analyst.headers
        )
        # A control character in a query parameter is refused at the boundary, with a problem.
        assert healing.status_code == (422 if "\x00" in sql else 200), sql[:40]
        query = await analyst.post("/query", {"sql": sql})
        assert query.status_code in (200, 422), (sql[:40], query.text[:200])
