"""Alembic environment: one history for core and every pack, run on an async engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from vantage.config import load_settings
from vantage.core.db import Base, sqlite_file_of, sqlite_url
from vantage.core.models import import_all_models
from vantage.core.private_files import create_private_file, protect_sqlite_files

# Any constant works; every Vantage process agrees on it so only one migrates at a time.
MIGRATION_LOCK_KEY = 7_273_101

config = context.config


def _target_url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    return str(url or load_settings().effective_database_url)


def _migration_url(url: str) -> str:
    path = sqlite_file_of(url)
    if path is None:
        return url
    create_private_file(path)
    protect_sqlite_files(path)
    return sqlite_url(path, create=True)


def _run(connection: Connection) -> None:
    is_postgres = connection.dialect.name == "postgresql"
    if connection.dialect.name == "sqlite":
        # A file born in WAL mode spares the servers that open it next the switch, which needs
        # the file to themselves.
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        connection.commit()
    if is_postgres:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()  # the lock is held by the session; migrations run in their own txns
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if is_postgres:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()


async def _run_async(url: str) -> None:
    engine = create_async_engine(_migration_url(url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


# Only a comparison with the models (``alembic revision --autogenerate``, ``alembic check``, run
# from the alembic command) reads them; the scripts import none. Upgrading from code
# (``vantage migrate``, start-up) so skips importing every installed pack.
if config.cmd_opts is not None:
    import_all_models()
if context.is_offline_mode():
    _run_offline(_target_url())
else:
    asyncio.run(_run_async(_target_url()))
