"""The data directory is 0700 and the database, its WAL and shared memory and the secret 0600."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ClientFactory
from vantage.config import Settings
from vantage.core import migrations
from vantage.core.private_files import DIR_MODE, FILE_MODE


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems start with: new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(data_dir: Path) -> dict[str, int]:
    return {entry.name: _mode(entry) for entry in data_dir.iterdir() if entry.is_file()}


def _database_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'vantage.db'}"


async def test_a_migration_creates_private_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await asyncio.to_thread(migrations.upgrade, _database_url(data_dir))
    assert _mode(data_dir) == DIR_MODE
    assert _modes(data_dir) and set(_modes(data_dir).values()) == {FILE_MODE}


async def test_start_keeps_every_file_private(
    tmp_path: Path, client_for: ClientFactory, make_settings: Callable[..., Settings]
) -> None:
    data_dir = tmp_path / "data"
    await asyncio.to_thread(migrations.upgrade, _database_url(data_dir))
    # Left readable by an older version: tightened when the application starts.
    data_dir.chmod(0o755)
    (data_dir / "vantage.db").chmod(0o644)
    async with client_for(None, signed_in=True, jwt_secret=None) as client:
        assert (await client.get("/api/v1/testpack/tenants")).status_code == 200
        created = await client.post("/api/v1/testpack/tenants", params={"slug": "acme"})
        assert created.status_code == 201, created.text
        modes = _modes(data_dir)
    assert {"vantage.db", "vantage.db-wal", "vantage.db-shm", "secret.key"} <= set(modes), modes
    assert set(modes.values()) == {FILE_MODE}
    assert _mode(data_dir) == DIR_MODE
