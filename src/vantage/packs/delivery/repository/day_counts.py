"""Per-day counters kept beside the rows they count, written in the same transaction: the DORA
reads sum one row per day instead of counting every row of the window.

Each count is kept twice: under its own key and under the whole tenant's key, where the
service is ``""`` and the repository 0 (for the key columns a table has). A read of the whole
tenant reads one row per day however many services and repositories it has. Scoped reads
never meet the whole tenant's rows: no service is named ``""`` and no repository has id 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import adding_upsert, dialect_of

WHOLE_TENANT: Mapping[str, Any] = {"service": "", "repository_id": 0}


def utc_day(moment: datetime) -> date:
    """The UTC date of an aware datetime."""
    return moment.astimezone(UTC).date()


def whole_tenant_rows(table: Any) -> list[ColumnElement[bool]]:
    """The condition that selects the whole tenant's rows of a per-day table."""
    columns = table.__table__.c
    return [columns[name] == value for name, value in WHOLE_TENANT.items() if name in columns]


def in_scope(table: Any, matching: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """The rows of a per-day table a scope reads: those ``matching`` selects, or with no
    scope the whole tenant's."""
    return matching or whole_tenant_rows(table)


async def add(
    session: AsyncSession,
    table: Any,
    key: Mapping[str, Any],
    counts: Mapping[str, int],
    step: int,
) -> None:
    """Add ``step`` (1 or -1) times ``counts`` to the counters of ``table``'s row ``key`` and
    of the same day's whole-tenant row (each created at zero when missing)."""
    statement = adding_upsert(dialect_of(session), table.__table__, tuple(key), tuple(counts))
    deltas = {name: step * count for name, count in counts.items()}
    whole = {**key, **{name: value for name, value in WHOLE_TENANT.items() if name in key}}
    await session.execute(statement, [{**key, **deltas}, {**whole, **deltas}])
