"""Per-day counters kept beside the rows they count, written in the same transaction: the DORA
reads sum one row per day instead of counting every row of the window."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import dialect_of, insert_for_dialect


def utc_day(moment: datetime) -> date:
    """The UTC date of an aware datetime."""
    return moment.astimezone(UTC).date()


@cache
def _adding_upsert(
    dialect: str, table: Any, key: tuple[str, ...], counters: tuple[str, ...]
) -> Insert:
    """``INSERT ... ON CONFLICT (key) DO UPDATE SET c = c + excluded.c``, values bound by
    name: built once per shape, as building it costs more than running it."""
    columns = table.__table__.c
    statement = insert_for_dialect(dialect, table.__table__).values(
        {name: bindparam(name, type_=columns[name].type) for name in (*key, *counters)}
    )
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(key),
        set_={name: columns[name] + statement.excluded[name] for name in counters},
    )


async def add(
    session: AsyncSession,
    table: Any,
    key: Mapping[str, Any],
    counts: Mapping[str, int],
    step: int,
) -> None:
    """Add ``step`` (1 or -1) times ``counts`` to the counters of ``table``'s row ``key``
    (created at zero when missing)."""
    statement = _adding_upsert(dialect_of(session), table, tuple(key), tuple(counts))
    await session.execute(
        statement, {**key, **{name: step * count for name, count in counts.items()}}
    )
