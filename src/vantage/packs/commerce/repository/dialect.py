"""Where SQLite and PostgreSQL differ: how values are bound, and the statements whose text
differs between them.

Hand-written SQL binds values the way SQLAlchemy's types would store them, so rows written in
bulk read back through the ORM unchanged: on SQLite timestamps are naive-UTC text
(``YYYY-MM-DD HH:MM:SS.ffffff``) and dates ``YYYY-MM-DD``; PostgreSQL takes the objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import TextClause, text


@dataclass(frozen=True)
class Dialect:
    """The database a statement runs on, by SQLAlchemy dialect name."""

    name: str

    @property
    def is_sqlite(self) -> bool:
        """Whether this is SQLite (anything else is PostgreSQL)."""
        return self.name == "sqlite"

    def timestamp(self, value: datetime) -> object:
        """A UTC timestamp as the database stores it."""
        if self.is_sqlite:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def day(self, value: date) -> object:
        """A date as the database stores it."""
        return value.isoformat() if self.is_sqlite else value


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
