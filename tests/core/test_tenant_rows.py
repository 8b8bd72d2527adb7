"""``tenant_rows`` looks rows up by primary key: on a SQLite database without statistics the
plain ``tenant_id = ? AND id IN (...)`` searches an index that starts with the tenant instead,
reading every row of the tenant."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.dialects import sqlite

from vantage.core.dialect import tenant_rows
from vantage.packs.aidev.models import Session
from vantage.packs.delivery.models import PullRequest


def _plan(database: Path, table: Table, where: ColumnElement[bool]) -> str:
    statement = select(table.c.id).where(where)
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with sqlite3.connect(database) as connection:
        return " ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}"))


@pytest.mark.parametrize("model", [Session, PullRequest])
def test_rows_by_id_use_the_primary_key(
    sqlite_url: str, model: type[Session | PullRequest]
) -> None:
    database = Path(sqlite_url.split("///", 1)[1].split("?", 1)[0].removeprefix("file:"))
    table = model.__table__
    assert isinstance(table, Table)
    ids = list(range(1, 200))
    plain = _plan(database, table, (table.c.tenant_id == 1) & table.c.id.in_(ids))
    assert "PRIMARY KEY" not in plain  # the trap the helper avoids
    assert "INTEGER PRIMARY KEY" in _plan(
        database, table, tenant_rows(table.c.tenant_id, 1, table.c.id, ids)
    )
