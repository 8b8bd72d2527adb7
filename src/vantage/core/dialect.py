"""Where SQLite and PostgreSQL differ, written once for every repository.

- ``insert_for``: an ``INSERT`` that takes ``ON CONFLICT`` (upserts), on the session's dialect;
  ``insert_ignoring_conflict``: ``INSERT ... ON CONFLICT (columns) DO NOTHING``;
  ``adding_upsert``: a rollup row's counters incremented in place.
- ``greatest``/``least``: the larger or smaller of two values, spelled alike on both.
- ``Dialect``: binding timestamps and dates for hand-written SQL the way SQLAlchemy's types
  store them, and lists as one parameter; ``DialectStatement``: a statement whose text differs
  between the two.
- ``chunks``: batches of rows whose bind parameters stay under SQLite's limit.
- ``tenant_rows``: a tenant's rows by a list of primary keys.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Insert, Table, TextClause, and_, case, literal_column, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from vantage.core.db import sqlite_utc_text

Item = TypeVar("Item")

# Keep every statement's bind parameters under SQLite's limit (32766) with room to spare.
CHUNK = 500


def dialect_of(session: AsyncSession) -> str:
    """The SQLAlchemy dialect name of the database ``session`` talks to."""
    return session.get_bind().dialect.name


def insert_for_dialect(dialect: str, table: Any) -> Any:
    """An ``INSERT`` into ``table`` that supports ``ON CONFLICT`` on ``dialect``."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no ON CONFLICT insert for {dialect}")


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An ``INSERT`` into ``table`` that supports ``ON CONFLICT`` on the session's database."""
    return insert_for_dialect(dialect_of(session), table)


@cache
def adding_upsert(
    dialect: str, table: Table, key: tuple[str, ...], counters: tuple[str, ...]
) -> Insert:
    """``INSERT ... ON CONFLICT (key) DO UPDATE SET c = c + excluded.c`` for each counter, the
    values bound from the parameters it runs with (one row or many). Built once per shape:
    building it costs more than running it."""
    statement = insert_for_dialect(dialect, table)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[table.c[name] for name in key],
        set_={name: table.c[name] + statement.excluded[name] for name in counters},
    )


def insert_ignoring_conflict(
    session: AsyncSession, table: Any, conflict_columns: Sequence[Any] | None = None
) -> Insert:
    """``INSERT ... ON CONFLICT (columns) DO NOTHING`` on SQLite and PostgreSQL (any conflict
    at all without ``conflict_columns``).

    With ``RETURNING`` it tells atomically whether this statement created the row, which a
    read-then-insert cannot when two processes race.
    """
    statement: Insert = insert_for(session, table).on_conflict_do_nothing(
        index_elements=conflict_columns
    )
    return statement


def greatest(new: ColumnElement[Any], old: ColumnElement[Any]) -> ColumnElement[Any]:
    """The larger of two values (``old`` when they tie or either is NULL), on both databases."""
    return case((new > old, new), else_=old)


def least(new: ColumnElement[Any], old: ColumnElement[Any]) -> ColumnElement[Any]:
    """The smaller of two values (``old`` when they tie or either is NULL), on both databases."""
    return case((new < old, new), else_=old)


Column = ColumnElement[Any] | InstrumentedAttribute[Any]


def tenant_rows(
    tenant: Column, tenant_id: int, key: Column, keys: Sequence[Any]
) -> ColumnElement[bool]:
    """The rows of ``tenant_id`` among those whose primary key is in ``keys``.

    The tenant is written ``tenant + 0`` so that it is only a filter: without statistics SQLite
    otherwise prefers an index that starts with the tenant to the primary key, and reads every
    row of the tenant to find a few hundred (ten times slower at 65,000 rows).
    """
    return and_(tenant + literal_column("0") == tenant_id, key.in_(keys))


def chunks(items: Sequence[Item], size: int = CHUNK) -> list[Sequence[Item]]:
    """``items`` in consecutive slices of at most ``size``."""
    return [items[start : start + size] for start in range(0, len(items), size)]


@dataclass(frozen=True)
class Dialect:
    """The database a hand-written statement runs on, by SQLAlchemy dialect name.

    Hand-written SQL binds values the way SQLAlchemy's types would store them, so rows written
    in bulk read back through the ORM unchanged: on SQLite timestamps are naive-UTC text
    (``YYYY-MM-DD HH:MM:SS.ffffff``) and dates ``YYYY-MM-DD``; PostgreSQL takes the objects.
    """

    name: str

    @classmethod
    def of(cls, session: AsyncSession) -> Dialect:
        """The dialect of the database ``session`` talks to."""
        return cls(dialect_of(session))

    @property
    def is_sqlite(self) -> bool:
        """Whether this is SQLite (anything else is PostgreSQL)."""
        return self.name == "sqlite"

    def timestamp(self, value: datetime) -> object:
        """A UTC timestamp as the database stores it."""
        return sqlite_utc_text(value) if self.is_sqlite else value

    def day(self, value: date) -> object:
        """A date as the database stores it."""
        return value.isoformat() if self.is_sqlite else value

    def values(self, items: Sequence[Any]) -> object:
        """A list bound as one parameter: JSON text for SQLite's ``json_each(:p)``, an array
        for PostgreSQL's ``ANY(:p)``."""
        return json.dumps(list(items)) if self.is_sqlite else list(items)


class DialectStatement:
    """One statement written twice: SQLite and PostgreSQL spell month truncation, the smaller
    and larger of two values, typed NULLs and the ends of time differently."""

    __slots__ = ("_postgresql", "_sqlite")

    def __init__(self, *, sqlite: str, postgresql: str) -> None:
        self._sqlite = text(sqlite)
        self._postgresql = text(postgresql)

    def on(self, dialect: Dialect) -> TextClause:
        """The statement as ``dialect`` spells it."""
        return self._sqlite if dialect.is_sqlite else self._postgresql
