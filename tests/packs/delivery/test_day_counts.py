"""The per-day counts (own and whole-tenant rows) that the migration gives stored rows."""

from __future__ import annotations

import asyncio

from tests.packs.delivery.support import Team, day_counts, recounted_day_counts
from tests.support.auth import app_of
from vantage.core import migrations
from vantage.packs.delivery.models import ShippedDay


async def test_the_migration_counts_the_stored_rows(loaded: Team, database_url: str) -> None:
    database = app_of(loaded.client).state.database
    async with database.reader() as session:
        kept = await day_counts(session, loaded.tenant_id)
        assert kept == await recounted_day_counts(session, loaded.tenant_id)
    assert len(kept[ShippedDay.__tablename__]) >= 15
    await asyncio.to_thread(migrations.downgrade, database_url, "delivery_0006")
    await asyncio.to_thread(migrations.upgrade, database_url, "head")
    async with database.reader() as session:
        assert await day_counts(session, loaded.tenant_id) == kept
