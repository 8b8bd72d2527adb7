"""Real databases for tests: a migrated SQLite file, or a fresh PostgreSQL database, per test."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from vantage.core import migrations

POSTGRES_ENV = "VANTAGE_TEST_POSTGRES_URL"
REDIS_ENV = "VANTAGE_TEST_REDIS_URL"


def require_service(env_name: str) -> str | None:
    """The URL of a test service; in CI a missing one is an error, never a silent skip."""
    url = os.environ.get(env_name)
    if not url and os.environ.get("CI"):
        raise RuntimeError(f"{env_name} must be set in CI: these tests may not skip there")
    return url


def sqlite_url_for(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def make_sqlite_template(directory: Path) -> Path:
    """Migrate one SQLite file that every test copies (a copy costs far less than migrating)."""
    path = directory / "template.db"
    migrations.upgrade(sqlite_url_for(path))
    return path


def copy_sqlite(template: Path, directory: Path) -> str:
    target = directory / "vantage.db"
    shutil.copyfile(template, target)
    return sqlite_url_for(target)


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql+asyncpg", database=database)
        .render_as_string(hide_password=False)
    )


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def create_postgres_database(url: str, template: str | None = None) -> str:
    """A new, empty (or cloned) database; returns its name."""
    name = f"vantage_test_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"{clause}'))
    return name


def drop_postgres_database(url: str, name: str) -> None:
    asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def recreate_postgres_database(url: str, name: str, template: str) -> None:
    """Replace database ``name`` by a clone of ``template``, keeping its name."""
    drop_postgres_database(url, name)
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
