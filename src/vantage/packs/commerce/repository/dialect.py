"""The few places where SQLite and PostgreSQL SQL differ, and how values are bound to each.

Hand-written SQL binds values the way SQLAlchemy's types would store them, so rows written in
bulk read back through the ORM unchanged: on SQLite timestamps are naive-UTC text
(``YYYY-MM-DD HH:MM:SS.ffffff``) and dates ``YYYY-MM-DD``; PostgreSQL takes the objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime


@dataclass(frozen=True)
class Dialect:
    name: str

    @property
    def is_sqlite(self) -> bool:
        return self.name == "sqlite"

    def timestamp(self, value: datetime) -> object:
        """A UTC timestamp as the database stores it."""
        if self.is_sqlite:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def day(self, value: date) -> object:
        return value.isoformat() if self.is_sqlite else value

    @property
    def timestamp_type(self) -> str:
        return "TEXT" if self.is_sqlite else "TIMESTAMPTZ"

    @property
    def date_type(self) -> str:
        return "TEXT" if self.is_sqlite else "DATE"

    def least(self, left: str, right: str) -> str:
        """The smaller of two values, ignoring a NULL one."""
        if self.is_sqlite:
            return f"min(coalesce({left}, {right}), coalesce({right}, {left}))"
        return f"LEAST({left}, {right})"

    def greatest(self, left: str, right: str) -> str:
        if self.is_sqlite:
            return f"max(coalesce({left}, {right}), coalesce({right}, {left}))"
        return f"GREATEST({left}, {right})"

    def month_of_day(self, column: str) -> str:
        """The first day of the month of a DATE column."""
        if self.is_sqlite:
            return f"date({column}, 'start of month')"
        return f"CAST(date_trunc('month', {column}) AS DATE)"

    def month_of_timestamp(self, column: str) -> str:
        """The first day of the UTC month of a timestamp column."""
        if self.is_sqlite:
            return f"date({column}, 'start of month')"
        return f"CAST(date_trunc('month', {column} AT TIME ZONE 'UTC') AS DATE)"

    def timestamp_bound(self, *, upper: bool) -> str:
        """A timestamp literal after (or before) every real one."""
        if self.is_sqlite:
            return "'9999-12-31 23:59:59.999999'" if upper else "'0001-01-01 00:00:00.000000'"
        return "CAST('infinity' AS TIMESTAMPTZ)" if upper else "CAST('-infinity' AS TIMESTAMPTZ)"

    def null_timestamp(self) -> str:
        return "NULL" if self.is_sqlite else "CAST(NULL AS TIMESTAMPTZ)"


def month_start(value: date) -> date:
    return value.replace(day=1)
