from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ClientFactory
from tests.support import databases
from tests.support.auth import sign_in_as
from tests.support.tcpproxy import TcpProxy
from vantage.config import Settings
from vantage.core import migrations
from vantage.core.db import sqlite_file_of

READY_BUDGET_SECONDS = 1.0


@pytest.fixture
def client(admin_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Routes of the test pack need a signed-in caller."""
    return admin_client


@pytest.fixture
def sqlite_client(sqlite_admin_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return sqlite_admin_client


async def _timed_get(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    began = time.perf_counter()
    response = await client.get(path)
    return response, time.perf_counter() - began


async def test_ready_and_summary_when_healthy(client: httpx.AsyncClient) -> None:
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == {"database", "migrations"}
    summary = (await client.get("/health")).json()
    assert summary["status"] == "ok" and summary["version"]
    database = (await client.get("/health/database")).json()
    assert database["revision"] == database["head"] == sorted(migrations.head_revisions())
    assert database["dialect"] in {"sqlite", "postgresql"}
    assert (await client.get("/health/live")).json() == {"status": "ok"}


async def test_removed_sqlite_file_is_not_ready_and_recovers(
    sqlite_client: httpx.AsyncClient, sqlite_url: str
) -> None:
    path = sqlite_file_of(sqlite_url)
    assert path is not None
    assert (await sqlite_client.get("/api/v1/testpack/tenants")).status_code == 200  # pool warm
    aside = path.with_suffix(".aside")
    path.rename(aside)

    response, elapsed = await _timed_get(sqlite_client, "/health/ready")
    assert response.status_code == 503 and elapsed < READY_BUDGET_SECONDS
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["checks"]["database"]["status"] == "fail"
    # A pooled connection still holds the old file open: it must not be used for requests.
    data = await sqlite_client.post("/api/v1/testpack/tenants?slug=ghost")
    assert data.status_code == 503 and data.json()["code"] == "UNAVAILABLE"
    assert "Traceback" not in data.text
    assert not path.exists(), "a request must never create an empty database in its place"

    aside.rename(path)
    assert (await sqlite_client.get("/health/ready")).status_code == 200
    assert (await sqlite_client.post("/api/v1/testpack/tenants?slug=back")).status_code == 201


async def test_unmigrated_database_is_not_ready(
    sqlite_client: httpx.AsyncClient, sqlite_url: str
) -> None:
    await asyncio.to_thread(migrations.downgrade, sqlite_url, "base")
    response = await sqlite_client.get("/health/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["migrations"]["status"] == "fail"
    # Without the users table no credential can be verified: the caller sees statuses only.
    assert "detail" not in checks["migrations"]
    await asyncio.to_thread(migrations.upgrade, sqlite_url, "head")
    assert (await sqlite_client.get("/health/ready")).status_code == 200


@pytest.mark.postgres
async def test_postgres_outage_is_not_ready_within_a_second_and_recovers(
    client_for: ClientFactory, postgres_url: str
) -> None:
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        async with client_for(proxied) as client:
            await sign_in_as(client)
            assert (await client.get("/health/ready")).status_code == 200
            await proxy.stop()

            response, elapsed = await _timed_get(client, "/health/ready")
            assert response.status_code == 503 and elapsed < READY_BUDGET_SECONDS
            data = await client.get("/api/v1/testpack/tenants")
            assert data.status_code == 503 and data.json()["code"] == "UNAVAILABLE"
            assert data.headers["retry-after"]

            await proxy.start()
            assert (await client.get("/health/ready")).status_code == 200
            assert (await client.get("/api/v1/testpack/tenants")).status_code == 200
    finally:
        await proxy.stop()


@pytest.mark.redis
async def test_ready_checks_redis_when_configured(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    redis_url = databases.require_service(databases.REDIS_ENV)
    if not redis_url:
        pytest.skip(f"{databases.REDIS_ENV} is not set")
    async with client_for(sqlite_url, redis_url=redis_url) as client:
        body = (await client.get("/health/ready")).json()
        assert body["checks"]["redis"]["status"] == "ok"


async def test_unreachable_redis_is_not_ready_quickly(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, redis_url="redis://127.0.0.1:9/0") as client:
        response, elapsed = await _timed_get(client, "/health/ready")
        assert response.status_code == 503 and elapsed < READY_BUDGET_SECONDS + 0.5
        assert response.json()["checks"]["redis"]["status"] == "fail"
        summary = (await client.get("/health")).json()
        assert summary["status"] == "degraded"


def test_database_file_is_never_created_by_the_app(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    from vantage.core.db import Database

    settings = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'absent.db'}")

    async def probe() -> None:
        database = Database(settings)
        try:
            with pytest.raises(FileNotFoundError):
                await database.ping(1.0)
        finally:
            await database.dispose()

    asyncio.run(probe())
    assert not (tmp_path / "absent.db").exists()
