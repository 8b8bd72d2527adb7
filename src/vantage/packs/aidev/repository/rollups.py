"""The daily rollup (tenant x day x developer x model), added to in the ingest transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import insert_for
from vantage.packs.aidev.models import DailyUsage

DAILY_KEY = ("tenant_id", "day", "developer", "model")
DAILY_SUMS = (
    "requests",
    "failed",
    "input_tokens",
    "output_tokens",
    "cost_nano",
    "unpriced",
    "suggestions_shown",
    "suggestions_accepted",
    "with_feedback",
    "positive",
)


def _adding_upsert(session: AsyncSession) -> Insert:
    """``INSERT ... ON CONFLICT (key) DO UPDATE SET c = c + excluded.c`` for every sum (a Core
    statement on the table: one multi-row statement a page, no ORM bookkeeping per row)."""
    table = DailyUsage.__table__
    statement = insert_for(session, table)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(DAILY_KEY),
        set_={name: table.c[name] + statement.excluded[name] for name in DAILY_SUMS},
    )


async def add_to_daily(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add each row's sums to its day's rollup row (creating it when new).

    Rows go in key order, so that on PostgreSQL concurrent batches lock the rollup rows they
    share in the same order and wait for each other instead of deadlocking.
    """
    if rows:
        ordered = sorted(rows, key=lambda row: tuple(row[name] for name in DAILY_KEY))
        await session.execute(_adding_upsert(session), ordered)
