from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from tests.conftest import ClientFactory
from vantage.core.auth.models import Tenant
from vantage.core.db import Database, is_database_unavailable, is_transient_conflict
from vantage.core.problems import install_error_handlers


@pytest.fixture
def client(admin_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Routes of the test pack need a signed-in caller."""
    return admin_client


@pytest.fixture
def sqlite_client(sqlite_admin_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return sqlite_admin_client


def _database(client: httpx.AsyncClient) -> Database:
    return client.app.state.database  # type: ignore[attr-defined,no-any-return]


async def _tenant_count(database: Database) -> int:
    async with database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Tenant)) or 0)


async def test_request_commits_once_on_success(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/testpack/tenants?slug=acme")
    assert response.status_code == 201
    assert await _tenant_count(_database(client)) == 2


async def test_request_error_rolls_back_what_it_wrote(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/testpack/tenants?slug=acme&fail_after_write=true")
    assert response.status_code == 500
    assert await _tenant_count(_database(client)) == 1


async def test_failed_commit_is_an_error_not_a_success(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/v1/testpack/tenants?slug=dup")).status_code == 201
    # The unique constraint fires at flush inside the request: the client must not see 201.
    response = await client.post("/api/v1/testpack/tenants?slug=dup")
    assert response.status_code >= 400
    assert await _tenant_count(_database(client)) == 2


async def test_concurrent_sqlite_writers_all_succeed(sqlite_client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(
        *(sqlite_client.post(f"/api/v1/testpack/tenants?slug=w{i}") for i in range(40))
    )
    assert [r.status_code for r in responses] == [201] * 40
    assert await _tenant_count(_database(sqlite_client)) == 41


async def test_sqlite_reader_cannot_write(sqlite_client: httpx.AsyncClient) -> None:
    async with _database(sqlite_client).reader() as session:
        with pytest.raises(Exception, match=r"readonly|read-only|query_only"):
            await session.execute(
                text(
                    "INSERT INTO tenants (slug, name, created_at, updated_at) "
                    "VALUES ('x', 'x', '2025-01-01', '2025-01-01')"
                )
            )


async def test_sqlite_connections_use_wal_and_foreign_keys(
    sqlite_client: httpx.AsyncClient,
) -> None:
    async with _database(sqlite_client).transaction() as session:
        assert (await session.scalar(text("PRAGMA journal_mode"))) == "wal"
        assert (await session.scalar(text("PRAGMA foreign_keys"))) == 1
        assert (await session.scalar(text("PRAGMA busy_timeout"))) == 5000


async def test_timestamps_come_back_aware_in_utc(client: httpx.AsyncClient) -> None:
    moment = datetime(2025, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    database = _database(client)
    async with database.transaction() as session:
        tenant = Tenant(slug="tz", name="tz", created_at=moment, updated_at=moment)
        session.add(tenant)
    async with database.reader() as session:
        stored = await session.scalar(select(Tenant.created_at).where(Tenant.slug == "tz"))
    assert stored == moment and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)


async def test_sqlite_stores_timestamps_as_utc_text_with_microseconds(
    sqlite_client: httpx.AsyncClient,
) -> None:
    # Raw SQL (rollup merges, range filters) compares these strings, so the format is fixed:
    # SQLAlchemy's DATETIME text, microseconds always written.
    moments = {
        "whole": datetime(2025, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
        "micro": datetime(2025, 6, 1, 23, 59, 59, 7, tzinfo=UTC),
    }
    database = _database(sqlite_client)
    async with database.transaction() as session:
        for slug, moment in moments.items():
            session.add(Tenant(slug=slug, name=slug, created_at=moment, updated_at=moment))
    async with database.reader() as session:
        rows = await session.execute(text("SELECT slug, created_at FROM tenants"))
        stored: dict[str, str] = dict(rows.tuples().all())
    assert stored["whole"] == "2025-06-01 10:00:00.000000"
    assert stored["micro"] == "2025-06-01 23:59:59.000007"


async def test_naive_datetimes_are_refused(client: httpx.AsyncClient) -> None:
    with pytest.raises(Exception, match="naive"):
        async with _database(client).transaction() as session:
            session.add(Tenant(slug="n", name="n", created_at=datetime(2025, 1, 1)))


@pytest.mark.postgres
async def test_postgres_sessions_carry_the_statement_timeout(
    client_for: ClientFactory, postgres_url: str
) -> None:
    async with (
        client_for(postgres_url, db_statement_timeout_ms=1234) as client,
        _database(client).reader() as session,
    ):
        assert await session.scalar(text("SHOW statement_timeout")) == "1234ms"


async def test_a_sqlite_writer_gets_its_turn_between_another_writers_batches(
    make_settings: Any, sqlite_url: str
) -> None:
    # A batch import commits transaction after transaction; SQLite's busy handler alone lets it
    # re-take the lock before a waiting request polls again, and the request times out.
    database = Database(make_settings(database_url=sqlite_url, sqlite_busy_timeout_ms=400))
    batches_done = 0

    async def import_batches() -> None:
        nonlocal batches_done
        for _ in range(60):
            async with database.transaction() as session:
                await session.execute(text("UPDATE tenants SET name = name || ''"))
                await asyncio.sleep(0.01)
            batches_done += 1

    try:
        importer = asyncio.create_task(import_batches())
        await asyncio.sleep(0.05)
        requested_after = batches_done
        async with database.transaction() as session:
            await session.execute(text("UPDATE tenants SET name = 'served'"))
        served_after = batches_done
        await importer
    finally:
        await database.dispose()
    # Its turn came after the batch in progress (give or take one), not after the remaining ones.
    assert served_after - requested_after <= 2, (requested_after, served_after)


async def test_a_nested_sqlite_transaction_meets_the_lock_not_itself(
    make_settings: Any, sqlite_url: str
) -> None:
    database = Database(make_settings(database_url=sqlite_url, sqlite_busy_timeout_ms=100))
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with database.transaction() as outer:
                await outer.execute(text("UPDATE tenants SET name = name"))
                async with database.transaction() as inner:
                    await inner.execute(text("UPDATE tenants SET name = name"))
    finally:
        await database.dispose()


def test_a_migrated_sqlite_file_is_in_wal_mode_before_any_server_opens_it(
    sqlite_template: Path,
) -> None:
    header = sqlite_template.read_bytes()[:20]
    assert (header[18], header[19]) == (2, 2)  # file format versions 2: write-ahead log


async def test_servers_opening_a_rollback_journal_file_at_once_all_switch_it(
    make_settings: Any, tmp_path: Path
) -> None:
    # A file made by another tool (or an older release) starts with a rollback journal.
    for attempt in range(20):
        path = tmp_path / f"old-{attempt}.db"
        with sqlite3.connect(path) as made_elsewhere:
            made_elsewhere.execute("CREATE TABLE t (x)")
        made_elsewhere.close()
        settings = make_settings(database_url=f"sqlite+aiosqlite:///{path}")
        servers = [Database(settings) for _ in range(4)]
        try:
            await asyncio.gather(*(server.ping(timeout=10) for server in servers))
        finally:
            await asyncio.gather(*(server.dispose() for server in servers))
        with sqlite3.connect(path) as opened:
            assert opened.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        opened.close()


async def _deadlock_victim(database: Database) -> BaseException:
    """Two transactions locking the same two tenants in opposite orders: PostgreSQL rolls one
    back; its error."""
    async with database.transaction() as session:
        for slug in ("lock-a", "lock-b"):
            session.add(Tenant(slug=slug, name=slug))
    both_hold_one = asyncio.Barrier(2)

    async def lock(first: str, second: str) -> None:
        async with database.transaction() as session:
            touch = "UPDATE tenants SET name = name WHERE slug = :slug"
            await session.execute(text(touch), {"slug": first})
            await both_hold_one.wait()
            await session.execute(text(touch), {"slug": second})

    outcomes = await asyncio.gather(
        lock("lock-a", "lock-b"), lock("lock-b", "lock-a"), return_exceptions=True
    )
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(errors) == 1, outcomes
    return errors[0]


@pytest.mark.postgres
async def test_a_deadlock_victims_request_gets_503_with_retry_after(
    postgres_url: str, make_settings: Any
) -> None:
    database = Database(make_settings(database_url=postgres_url))
    try:
        victim = await _deadlock_victim(database)
    finally:
        await database.dispose()
    assert is_transient_conflict(victim) and not is_database_unavailable(victim)
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/conflict")
    async def conflict() -> None:
        raise victim

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answer = await http.get("/conflict")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "2"
    assert answer.json()["code"] == "UNAVAILABLE"
