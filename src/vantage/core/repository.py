"""Small query helpers shared by every pack's repository."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Select, Table, and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from vantage.core.dialect import dialect_of, insert_ignoring_conflict
from vantage.core.sorting import SortKey

RowT = TypeVar("RowT", bound=tuple[Any, ...])
# A table's column or a mapped attribute (``Model.field``): both sort and compare alike.
SortColumn = ColumnElement[Any] | QueryableAttribute[Any]


def order_by_keys(
    columns: Mapping[str, SortColumn], keys: Sequence[SortKey]
) -> list[ColumnElement[Any]]:
    """ORDER BY terms for parsed sort keys."""
    return [columns[k.field].desc() if k.descending else columns[k.field].asc() for k in keys]


def keyset_after(
    columns: Sequence[SortColumn], descending: Sequence[bool], values: Sequence[Any]
) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the given ordering (mixed directions allowed).

    Expands to ``(a > x) OR (a = x AND b > y) OR ...`` so any index on the sort columns serves
    it; the last column must be unique (an id) to make the order total.
    """
    if not (len(columns) == len(descending) == len(values)):
        raise ValueError("keyset columns, directions and values differ in length")
    clauses = []
    for position, (column, desc, value) in enumerate(zip(columns, descending, values, strict=True)):
        equal_prefix = [columns[i] == values[i] for i in range(position)]
        step = column < value if desc else column > value
        clauses.append(and_(*equal_prefix, step))
    return or_(*clauses)


async def count_rows(session: AsyncSession, query: Select[Any]) -> int:
    """The number of rows ``query`` would return, without fetching them."""
    total = await session.scalar(
        select(func.count()).select_from(query.order_by(None).limit(None).offset(None).subquery())
    )
    return int(total or 0)


async def insert_new_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    key: Sequence[str],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Insert the rows whose ``key`` is new, skipping the others; the ``returning`` columns of
    the rows written. ``table`` has an integer ``id`` that the database assigns.

    PostgreSQL: ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, which tells atomically which
    rows this statement wrote even while another transaction writes the same keys.

    SQLite answers ``RETURNING`` only for multi-row ``VALUES`` statements, which cost far more
    than a plain ``executemany`` of the same rows. A write transaction there holds the
    database's only write lock (the writer begins ``IMMEDIATE``) and a new row gets the last
    ``id`` handed out plus one, so the rows written are those above that ``id`` before the
    insert: when the insert skipped none, their ids are known without reading them back.
    """
    if not rows:
        return []
    statement = insert_ignoring_conflict(session, table, key)
    columns = [table.c[name] for name in returning]
    if dialect_of(session) != "sqlite":
        written = await session.execute(statement.returning(*columns), list(rows))
        return [tuple(row) for row in written.all()]
    before = await _last_sqlite_id(session, table)
    inserted = cast(CursorResult[Any], await session.execute(statement, list(rows)))
    if inserted.rowcount == len(rows):  # none skipped: their ids follow in the rows' order
        return [
            tuple(before + number if name == "id" else row[name] for name in returning)
            for number, row in enumerate(rows, start=1)
        ]
    written = await session.execute(select(*columns).where(table.c.id > before))
    return [tuple(row) for row in written.all()]


SQLITE_SEQUENCE = text("SELECT seq FROM sqlite_sequence WHERE name = :name")


async def _last_sqlite_id(session: AsyncSession, table: Table) -> int:
    """The id SQLite numbered the table's rows up to: the largest ``id``, or for an
    AUTOINCREMENT table the largest it ever handed out, which a deleted row may have had."""
    largest = int(await session.scalar(select(func.max(table.c.id))) or 0)
    if not table.dialect_options["sqlite"]["autoincrement"]:
        return largest
    handed_out = await session.scalar(SQLITE_SEQUENCE, {"name": table.name})
    return max(largest, int(handed_out or 0))
