"""The lead-time value ranges: their bounds, and the counts the migration gives stored rows."""

from __future__ import annotations

import asyncio
import importlib

from tests.packs.delivery.support import Team, value_range_counts
from tests.support.auth import app_of
from vantage.core import migrations
from vantage.packs.delivery.repository.lead_time_buckets import BOUNDS, bucket_of

MIGRATION = "vantage.migrations.versions.delivery_0006_lead_time_buckets"


def test_ranges_are_whole_seconds_then_a_tenth_of_a_percent_wide() -> None:
    assert BOUNDS[:3] == (1, 2, 3)
    assert [bucket_of(value) for value in (-5.0, 0.0, 0.99, 1.0, 1.5, 2.0)] == [0, 0, 0, 1, 1, 2]
    day = bucket_of(86_400.0)
    assert BOUNDS[day - 1] <= 86_400 < BOUNDS[day]
    assert (BOUNDS[day] - BOUNDS[day - 1]) / 86_400 <= 0.0011
    assert bucket_of(1e12) == len(BOUNDS)  # past the last bound: the open-ended range


def test_the_migration_draws_the_same_ranges() -> None:
    assert importlib.import_module(MIGRATION)._bounds() == BOUNDS


async def _counts(team: Team) -> dict[tuple[str, int, str, int], int]:
    async with app_of(team.client).state.database.reader() as session:
        return await value_range_counts(session, team.tenant_id)


async def test_the_migration_counts_the_stored_rows(loaded: Team, database_url: str) -> None:
    kept = await _counts(loaded)
    assert sum(rows for (measure, *_), rows in kept.items() if measure == "lead_seconds") >= 40
    await asyncio.to_thread(migrations.downgrade, database_url, "delivery_0005")
    await asyncio.to_thread(migrations.upgrade, database_url, "head")
    assert await _counts(loaded) == kept
