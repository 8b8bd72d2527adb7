"""The daily rollup (tenant x day x developer x model), added to in the ingest transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import adding_upsert, dialect_of
from vantage.packs.aidev.models import DailyUsage

DAILY = cast(Table, DailyUsage.__table__)
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


async def add_to_daily(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add each row's sums to its day's rollup row (creating it when new).

    Rows go in key order, so that on PostgreSQL concurrent batches lock the rollup rows they
    share in the same order and wait for each other instead of deadlocking.
    """
    if rows:
        ordered = sorted(rows, key=lambda row: tuple(row[name] for name in DAILY_KEY))
        upsert = adding_upsert(dialect_of(session), DAILY, DAILY_KEY, DAILY_SUMS)
        await session.execute(upsert, ordered)
