"""Per-day counters kept beside the rows they count, written in the same transaction: the DORA
reads sum one row per day instead of counting every row of the window."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import adding_upsert, dialect_of


def utc_day(moment: datetime) -> date:
    """The UTC date of an aware datetime."""
    return moment.astimezone(UTC).date()


async def add(
    session: AsyncSession,
    table: Any,
    key: Mapping[str, Any],
    counts: Mapping[str, int],
    step: int,
) -> None:
    """Add ``step`` (1 or -1) times ``counts`` to the counters of ``table``'s row ``key``
    (created at zero when missing)."""
    statement = adding_upsert(dialect_of(session), table.__table__, tuple(key), tuple(counts))
    await session.execute(
        statement, {**key, **{name: step * count for name, count in counts.items()}}
    )
