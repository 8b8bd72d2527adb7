"""A database opened on a URL and a fresh tenant in it, for property tests that run many
examples against one migrated database (each example in a tenant of its own)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy import text

from tests.conftest import TEST_SECRET
from vantage.config import Settings
from vantage.core.db import Database


@asynccontextmanager
async def opened_database(url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=url, jwt_secret=TEST_SECRET, _env_file=None))
    try:
        yield database
    finally:
        await database.dispose()


async def new_tenant(database: Database) -> int:
    """A tenant of a unique slug, inserted directly; its id."""
    slug = f"prop-{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    async with database.transaction() as session:
        stamp = now.replace(tzinfo=None) if database.dialect == "sqlite" else now
        await session.execute(
            text(
                "INSERT INTO tenants (slug, name, created_at, updated_at) "
                "VALUES (:slug, :slug, :now, :now)"
            ),
            {"slug": slug, "now": stamp},
        )
        found = await session.scalar(text("SELECT id FROM tenants WHERE slug = :s"), {"s": slug})
        return int(found)
