from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import databases
from tests.support.auth import sign_in_as
from tests.support.testpack import PACK as TEST_PACK
from vantage.app import create_app
from vantage.config import Settings
from vantage.core import migrations
from vantage.core.packs import Pack, discover_packs

TEST_SECRET = "test-secret-" + "x" * 40
# Apps the tests start (in process and in subprocesses) embed text lexically: the sentence
# model takes seconds to load, and its own tests load it on purpose.
os.environ.setdefault("VANTAGE_ASSIST_EMBEDDER", "lexical")
REDIS_SCOPE = uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.make_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_server() -> str | None:
    return databases.require_service(databases.POSTGRES_ENV)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str | None) -> Iterator[str | None]:
    if not postgres_server:
        yield None
        return
    name = databases.create_postgres_database(postgres_server)
    migrations.upgrade(databases.with_database(postgres_server, name))
    yield name
    databases.drop_postgres_database(postgres_server, name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
) -> str:
    """A migrated database of each kind, fresh for every test."""
    if request.param == "sqlite":
        return databases.copy_sqlite(sqlite_template, tmp_path)
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def postgres_url(postgres_server: str | None, postgres_template: str | None) -> Iterator[str]:
    """A fresh migrated PostgreSQL database, for PostgreSQL-only tests."""
    if not postgres_server or not postgres_template:
        pytest.skip(f"{databases.POSTGRES_ENV} is not set")
    name = databases.create_postgres_database(postgres_server, template=postgres_template)
    yield databases.with_database(postgres_server, name)
    databases.drop_postgres_database(postgres_server, name)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite database, for tests that need only the embedded default."""
    return databases.copy_sqlite(sqlite_template, tmp_path)


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    """The settings of a test's app, its files under ``data_dir``."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "jwt_secret": TEST_SECRET,
        "log_format": "console",
        "log_level": "WARNING",
        # Running jobs get this long to finish when a test's app shuts down.
        "shutdown_timeout_seconds": 2,
        # Redis keys of this test process's own: processes running tests side by side
        # share one Redis database.
        "rate_limit_key_prefix": f"vtest-{REDIS_SCOPE}",
        "realtime_redis_prefix": f"vtest:{REDIS_SCOPE}:rt:",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        data_dir = overrides.pop("data_dir", tmp_path / "data")
        return settings_for(data_dir, **overrides)

    return build


ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_for(make_settings: Callable[..., Settings]) -> ClientFactory:
    """Run an app (lifespan included) and talk to it in-process over ASGI."""

    @asynccontextmanager
    async def run(
        database_url: str,
        packs: list[Pack] | None = None,
        *,
        signed_in: bool = False,
        **overrides: Any,
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = make_settings(database_url=database_url, **overrides)
        async with running_client(settings, packs, signed_in=signed_in) as client:
            yield client

    return run


@asynccontextmanager
async def running_client(
    settings: Settings, packs: list[Pack] | None = None, *, signed_in: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    """An app on ``settings`` (lifespan included) and a client talking to it over ASGI."""
    app = create_app(settings, packs=[TEST_PACK] if packs is None else packs)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.app = app  # type: ignore[attr-defined]
            if signed_in:
                await sign_in_as(client)
            yield client


@pytest.fixture
async def client(client_for: ClientFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url) as http:
        yield http


@pytest.fixture
async def sqlite_client(
    client_for: ClientFactory, sqlite_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sqlite_url) as http:
        yield http


@pytest.fixture
async def admin_client(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client acting as an admin of the default tenant (every scope)."""
    async with client_for(database_url) as http:
        await sign_in_as(http)
        yield http


@pytest.fixture
async def sqlite_admin_client(
    client_for: ClientFactory, sqlite_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sqlite_url) as http:
        await sign_in_as(http)
        yield http


def every_pack() -> list[Pack]:
    """The installed packs and the test pack: for tests that must see every route."""
    installed = discover_packs()
    return [*installed.values(), *([TEST_PACK] if TEST_PACK.name not in installed else [])]


@pytest.fixture
async def every_pack_client(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An unauthenticated client of an app serving every installed pack and the test pack."""
    async with client_for(database_url, packs=every_pack()) as http:
        yield http


@pytest.fixture
async def every_pack_sqlite_client(
    client_for: ClientFactory, sqlite_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sqlite_url, packs=every_pack()) as http:
        yield http
