"""The execution path on its own (validation turned off): it never writes, and it stops."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.packs.assist.conftest import Analyst
from tests.packs.assist.corpus import hostile_queries
from tests.support.auth import app_of
from vantage.core.db import Database
from vantage.packs.assist.repository.execution import (
    ExecutionLimits,
    QueryFailed,
    QueryTimedOut,
    execute_read_only,
)
from vantage.packs.assist.sql.catalog import DEFAULT_VIEWS

LIMITS = ExecutionLimits(timeout_ms=500, max_rows=5)


def _database(client: httpx.AsyncClient) -> Database:
    database: Database = app_of(client).state.database
    return database


async def _fingerprint(database: Database) -> dict[str, Any]:
    """Every table, view, index and sequence with each table's row count (and large objects)."""
    if database.sqlite_path is not None:
        catalog = "SELECT type, name FROM sqlite_master ORDER BY type, name"
    else:
        catalog = (
            "SELECT c.relkind::text, c.relname FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' ORDER BY 1, 2"
        )
    async with database.write_engine.connect() as connection:
        objects = [tuple(row) for row in await connection.execute(text(catalog))]
        counts = {}
        for kind, name in objects:
            if kind in ("table", "r"):
                query = f'SELECT COUNT(*) FROM "{name}"'  # noqa: S608 - names from the catalog
                counts[name] = (await connection.execute(text(query))).scalar_one()
        if database.sqlite_path is None:
            large = "SELECT COUNT(*) FROM pg_largeobject_metadata"
            counts["~large_objects"] = (await connection.execute(text(large))).scalar_one()
    return {"objects": objects, "counts": counts}


async def test_no_hostile_query_changes_the_database(analyst: Analyst) -> None:
    await analyst.add_orders("o-1", "o-2")
    database = _database(analyst.client)
    before = await _fingerprint(database)
    outcomes: dict[str, int] = {}
    for _, sql in hostile_queries():
        try:
            await execute_read_only(database, sql, analyst.tenant_id, DEFAULT_VIEWS, LIMITS)
            outcome = "ran"
        except (QueryFailed, QueryTimedOut) as error:
            outcome = type(error).__name__
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert await _fingerprint(database) == before
    # Nearly everything is refused by the execution path itself.
    assert outcomes.get("QueryFailed", 0) > outcomes.get("ran", 0)


async def test_pg_sleep_is_stopped_at_the_statement_timeout(analyst: Analyst) -> None:
    database = _database(analyst.client)
    if database.sqlite_path is not None:
        pytest.skip("pg_sleep is a PostgreSQL function")
    with pytest.raises(QueryTimedOut):
        await execute_read_only(
            database, "SELECT pg_sleep(10)", analyst.tenant_id, DEFAULT_VIEWS, LIMITS
        )


async def test_base_tables_are_out_of_reach_without_validation(
    analyst: Analyst, other_analyst: Analyst
) -> None:
    await other_analyst.add_orders("theirs")
    database = _database(analyst.client)
    # SQLite's authorizer refuses base tables even when named with their schema; PostgreSQL's
    # search path finds none without one (validation refuses schema-qualified names).
    reach = ["SELECT * FROM users", "SELECT * FROM tenants"]
    if database.sqlite_path is not None:
        reach += ["SELECT * FROM main.commerce_orders", "SELECT * FROM main.users"]
    for sql in reach:
        with pytest.raises(QueryFailed, match=r"prohibited|not authorized|does not exist|no such"):
            await execute_read_only(database, sql, analyst.tenant_id, DEFAULT_VIEWS, LIMITS)
    result = await execute_read_only(
        database, "SELECT order_id FROM commerce_orders", analyst.tenant_id, DEFAULT_VIEWS, LIMITS
    )
    assert result.rows == []
