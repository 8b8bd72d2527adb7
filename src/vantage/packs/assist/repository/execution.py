"""Running one query read-only, time-limited and row-capped, over the tenant's views.

PostgreSQL: a READ ONLY transaction, always rolled back, with ``SET LOCAL statement_timeout``
and ``search_path`` narrowed to ``pg_catalog``; the views are CTEs in front of the query with
the tenant bound as ``$1``, and the query is one prepared statement (the protocol refuses a
second). SQLite: a separate ``mode=ro`` connection whose temporary views hold the tenant's
rows; an authorizer allows reading those views (and the base tables only *through* them),
SELECT, recursion and functions outside the denylist, nothing else; a
progress handler stops the query at its deadline.

The query always runs as the sub-query of ``SELECT * FROM (...) LIMIT n``: text that is not a
query is a syntax error there, even when it was never validated.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vantage.core.db import Database
from vantage.packs.assist.repository.views import quote_identifier, view_body
from vantage.packs.assist.sql.catalog import AnalyticsView
from vantage.packs.assist.sql.policy import is_denied_function

SQLITE_PROGRESS_STEPS = 1_000
SQLITE_MAX_VALUE_BYTES = 16 * 1024 * 1024
RESULT_ALIAS = "assist_result"


class QueryTimedOut(Exception):
    """The query ran past its time limit and was stopped."""


class QueryFailed(Exception):
    """The database refused or failed the query (its message is safe to show)."""


@dataclass(frozen=True)
class ExecutionLimits:
    timeout_ms: int
    max_rows: int


@dataclass(frozen=True)
class ResultSet:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def capped(sql: str, max_rows: int) -> str:
    """``sql`` as a sub-query limited to one row more than the cap (to tell truncation)."""
    # The line breaks keep a trailing line comment from swallowing the closing parenthesis.
    return f"SELECT * FROM (\n{sql}\n) AS {RESULT_ALIAS} LIMIT {max_rows + 1}"


def _result(columns: list[str], rows: Sequence[tuple[Any, ...]], max_rows: int) -> ResultSet:
    return ResultSet(columns, list(rows[:max_rows]), truncated=len(rows) > max_rows)


async def execute_read_only(
    database: Database,
    sql: str,
    tenant_id: int,
    views: Sequence[AnalyticsView],
    limits: ExecutionLimits,
) -> ResultSet:
    """Run ``sql`` for ``tenant_id`` over ``views``; raises QueryTimedOut or QueryFailed."""
    if database.sqlite_path is not None:
        return await asyncio.to_thread(
            _run_sqlite, database.sqlite_path, sql, tenant_id, views, limits
        )
    return await _run_postgres(database, sql, tenant_id, views, limits)


async def _run_postgres(
    database: Database,
    sql: str,
    tenant_id: int,
    views: Sequence[AnalyticsView],
    limits: ExecutionLimits,
) -> ResultSet:
    import asyncpg

    async with database.read_engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection
        # The client's own deadline backs the server's, should the server not answer.
        deadline = limits.timeout_ms / 1000 + 2
        # Never committed: whatever a function managed to do inside (a large object import
        # is allowed in a READ ONLY transaction) is rolled back.
        transaction = driver.transaction(readonly=True)
        await transaction.start()
        try:
            await driver.execute(f"SET LOCAL statement_timeout = {int(limits.timeout_ms)}")
            schema = str(await driver.fetchval("SELECT current_schema()"))
            # Unqualified names now find only the view CTEs and the system functions: a base
            # table is out of reach without a schema, which validation refuses.
            await driver.execute("SET LOCAL search_path = pg_catalog")
            statement = await driver.prepare(
                _with_views(schema, views, capped(sql, limits.max_rows)), timeout=deadline
            )
            records = await statement.fetch(tenant_id, timeout=deadline)
            columns = [attribute.name for attribute in statement.get_attributes()]
        except (asyncpg.QueryCanceledError, TimeoutError) as error:
            raise QueryTimedOut(str(error)) from error
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise QueryFailed(str(error).split("\n")[0]) from error
        finally:
            if not await _ended(driver, transaction):
                await connection.invalidate()
    return _result(columns, [tuple(record) for record in records], limits.max_rows)


async def _ended(driver: Any, transaction: Any) -> bool:
    """Roll back and drop session-level advisory locks (they outlive a rollback); False when
    the connection is no longer fit for the pool."""
    import asyncpg

    try:
        await transaction.rollback()
        await driver.execute("SELECT pg_advisory_unlock_all()")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        return False
    return True


def _with_views(schema: str, views: Sequence[AnalyticsView], query: str) -> str:
    def base(table: str) -> str:
        return f"{quote_identifier(schema)}.{quote_identifier(table)}"

    ctes = ", ".join(
        f"{quote_identifier(view.name)} AS ({view_body(view, base, '$1::integer')})"
        for view in views
    )
    return f"WITH {ctes}\n{query}"


class _SqliteReadPolicy:
    """The authorizer: reads of the tenant's views, and of base tables only through them."""

    def __init__(self, views: Sequence[AnalyticsView]) -> None:
        self.bases = {view.name: set(view.base_tables) for view in views}

    def __call__(
        self, action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None
    ) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            denied = arg2 is None or is_denied_function(arg2)
            return sqlite3.SQLITE_DENY if denied else sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            return sqlite3.SQLITE_OK if self._may_read(arg1, db, source) else sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_DENY

    def _may_read(self, table: str | None, db: str | None, source: str | None) -> bool:
        if db is None:
            return True  # a CTE's or sub-query's own columns
        if db == "temp":
            return table in self.bases
        return db == "main" and source in self.bases and table in self.bases[source]


def _open_sqlite(path: Path, tenant_id: int, views: Sequence[AnalyticsView]) -> sqlite3.Connection:
    connection = sqlite3.connect(
        f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQLITE_MAX_VALUE_BYTES)
    connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)

    def base(table: str) -> str:
        return f"main.{quote_identifier(table)}"

    for view in views:
        # Temporary views live in this connection's private, in-memory schema and go with it.
        body = view_body(view, base, str(int(tenant_id)))
        connection.execute(f"CREATE TEMP VIEW {quote_identifier(view.name)} AS {body}")
    connection.execute("PRAGMA query_only = ON")
    connection.set_authorizer(_SqliteReadPolicy(views))
    return connection


def _run_sqlite(
    path: Path,
    sql: str,
    tenant_id: int,
    views: Sequence[AnalyticsView],
    limits: ExecutionLimits,
) -> ResultSet:
    try:
        connection = _open_sqlite(path, tenant_id, views)
    except sqlite3.Error as error:
        raise QueryFailed(str(error)) from error
    deadline = time.monotonic() + limits.timeout_ms / 1000
    connection.set_progress_handler(
        lambda: 1 if time.monotonic() > deadline else 0, SQLITE_PROGRESS_STEPS
    )
    try:
        cursor = connection.execute(capped(sql, limits.max_rows))
        rows = cursor.fetchall()
        columns = [str(column[0]) for column in cursor.description or ()]
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            raise QueryTimedOut(str(error)) from error
        raise QueryFailed(str(error)) from error
    except (sqlite3.Error, sqlite3.Warning, OverflowError, ValueError) as error:
        raise QueryFailed(str(error)) from error
    finally:
        connection.close()
    return _result(columns, rows, limits.max_rows)
