from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from vantage.core import migrations
from vantage.core.db import Base, sqlite_file_of, sqlite_url
from vantage.core.models import import_all_models

T = TypeVar("T")


def _engine_url(url: str) -> str:
    path = sqlite_file_of(url)
    return sqlite_url(path, create=False) if path else url


async def _inspect(url: str, probe: Callable[[Connection], T]) -> T:
    engine = create_async_engine(_engine_url(url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(probe)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[Any]:
    differences: list[Any] = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return differences


async def test_migrations_go_down_and_up_again(database_url: str) -> None:
    import_all_models()
    model_tables = set(Base.metadata.tables)
    assert model_tables <= await _inspect(database_url, _tables)

    await asyncio.to_thread(migrations.downgrade, database_url, "base")
    assert await _inspect(database_url, _tables) & model_tables == set()

    await asyncio.to_thread(migrations.upgrade, database_url, "head")
    assert model_tables <= await _inspect(database_url, _tables)


async def test_models_match_migrations_exactly(database_url: str) -> None:
    import_all_models()
    assert await _inspect(database_url, _differences) == []


def test_history_has_a_single_head() -> None:
    assert len(migrations.head_revisions()) == 1
