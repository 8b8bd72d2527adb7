"""A REST sync killed with SIGKILL in a ``vantage worker`` process, then resumed by the job
system itself, holds exactly the rows of a clean run against a fresh database."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from tests.conftest import TEST_SECRET, ClientFactory
from tests.core.jobs.support import finished
from tests.packs.delivery.fake_github import FakeGitHub
from tests.packs.delivery.support import Team, make_team
from tests.packs.delivery.test_sync import MANY, _fake, _source, _sync
from tests.packs.gateway.fakes import serve
from tests.support import databases
from tests.support.auth import DEFAULT_TENANT_ID
from tests.support.workers import running_workers
from vantage.config import Settings
from vantage.core.db import Base, Database
from vantage.packs.delivery.models import Repository, SyncCursor
from vantage.packs.delivery.pack import build_pack

pytestmark = [pytest.mark.redis, pytest.mark.serial]

TIMINGS = {
    "job_heartbeat_seconds": 0.2,
    "job_stale_seconds": 1.5,
    "job_lease_ttl_seconds": 1.5,
    "shutdown_timeout_seconds": 2,
}
# Requests answered before the kill (3 commit pages, 2 pull pages, one review page per pull)
# and the commits, pull requests, reviews and cursors the killed worker had committed: in the
# middle of the commit listing, and in the middle of the first pull page's reviews (request 4
# is that page, each later one the reviews of one pull request, written right after).
KILL_POINTS = [(2, [200, 0, 0, 0]), (50, [201, 46, 46, 1])]
COUNTED = [
    "delivery_commits",
    "delivery_pull_requests",
    "delivery_reviews",
    "delivery_sync_cursors",
]
# Tables a sync does not write, or writes with what differs between two databases anyway
# (sources hold a freshly encrypted token and a name of the test's choosing).
NOT_COMPARED = {"delivery_sources", "delivery_webhook_deliveries"}
# Surrogate keys and ingestion times; ``repository_id`` is replaced by the repository's name.
SURROGATE = {"id", "created_at", "updated_at", "received_at", "processed_at", "source_id"}


@pytest.fixture
def redis_url() -> str:
    url = databases.require_service(databases.REDIS_ENV)
    if not url:
        pytest.skip(f"{databases.REDIS_ENV} is not set")
    return url


@pytest.fixture
async def queue(redis_url: str) -> AsyncIterator[str]:
    name = f"vantage-test:{uuid.uuid4().hex}"
    yield name
    client = Redis.from_url(redis_url)
    try:
        await client.delete(name, f"autoclaim:vantage-workers:{name}")
    finally:
        await client.aclose()


@pytest.fixture
def clean_database_url(
    database_url: str,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_server: str | None,
    postgres_template: str | None,
) -> Iterator[str]:
    """A second fresh database of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        directory = tmp_path / "clean"
        directory.mkdir()
        yield databases.copy_sqlite(sqlite_template, directory)
        return
    assert postgres_server and postgres_template
    name = databases.create_postgres_database(postgres_server, template=postgres_template)
    yield databases.with_database(postgres_server, name)
    databases.drop_postgres_database(postgres_server, name)


def _worker_env(tmp_path: Path, database_url: str, redis_url: str, queue: str) -> dict[str, str]:
    return {
        "VANTAGE_DATABASE_URL": database_url,
        "VANTAGE_BROKER_URL": redis_url,
        "VANTAGE_JOB_QUEUE": queue,
        "VANTAGE_PACKS": "delivery",
        "VANTAGE_DATA_DIR": str(tmp_path / "data"),
        # The app's secret: the worker decrypts the source's token with the key derived from it.
        "VANTAGE_JWT_SECRET": TEST_SECRET,
        "VANTAGE_LOG_FORMAT": "json",
        "VANTAGE_LOG_LEVEL": "INFO",
        **{f"VANTAGE_{key.upper()}": str(value) for key, value in TIMINGS.items()},
    }


async def _rows(
    database_url: str,
    make_settings: Callable[..., Settings],
    relisted: Collection[str] = (),
) -> dict[str, list[str]]:
    """Every row of the pack's tables for the tenant, as sorted lists of natural values.

    The cursors of ``relisted`` listings keep no ETag: a sync re-run after its kill lists again,
    incrementally, a listing the killed run had finished, and keeps the ETag of that request (as
    a clean run followed by a sync that finds nothing new does); a clean run has none yet.
    """
    database = Database(make_settings(database_url=database_url))
    try:
        async with database.reader() as session:
            named = await session.execute(select(Repository.id, Repository.full_name))
            names: dict[int, str] = {key: name for key, name in named}
            snapshot: dict[str, list[str]] = {}
            for table in Base.metadata.sorted_tables:
                if not table.name.startswith("delivery_") or table.name in NOT_COMPARED:
                    continue
                query = select(table).where(table.c.tenant_id == DEFAULT_TENANT_ID)
                rows = []
                for row in (await session.execute(query)).mappings():
                    kept = {k: v for k, v in row.items() if k not in SURROGATE}
                    if "repository_id" in kept:
                        kept["repository_id"] = names.get(kept["repository_id"])
                    if table.name == "delivery_sync_cursors" and kept["listing"] in relisted:
                        kept.pop("etag")
                    rows.append(repr(sorted(kept.items())))
                snapshot[table.name] = sorted(rows)
            return snapshot
    finally:
        await database.dispose()


async def _finished_listings(database_url: str, make_settings: Callable[..., Settings]) -> set[str]:
    database = Database(make_settings(database_url=database_url))
    try:
        async with database.reader() as session:
            return set((await session.execute(select(SyncCursor.listing))).scalars())
    finally:
        await database.dispose()


async def _finished(team: Team, job_id: str) -> dict[str, Any]:
    for _ in range(1200):
        response = await team.client.get(f"/api/v1/jobs/{job_id}", headers=team.admin)
        job: dict[str, Any] = response.json()
        if finished(job):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"the sync never finished: {job}")


async def _clean_run(client_for: ClientFactory, database_url: str) -> None:
    fake = _fake(*MANY)
    async with (
        serve(fake.app()) as url,
        client_for(database_url, packs=[build_pack()], rate_limit_enabled=False) as client,
    ):
        team = await make_team(client, DEFAULT_TENANT_ID)
        job = await _sync(team, await _source(team, url))
        assert job["status"] == "succeeded", job


async def _killed_and_resumed(
    client_for: ClientFactory,
    make_settings: Callable[..., Settings],
    database_url: str,
    redis_url: str,
    queue: str,
    tmp_path: Path,
    kill_point: tuple[int, list[int]],
) -> set[str]:
    """Kill the sync's worker after ``kill_point``'s requests, let the job system run it again;
    the listings the killed worker had finished."""
    kill_after, committed = kill_point
    fake: FakeGitHub = _fake(*MANY)
    fake.hold_after = kill_after
    env = _worker_env(tmp_path, database_url, redis_url, queue)
    first_logs, second_logs = tmp_path / "first", tmp_path / "second"
    first_logs.mkdir()
    second_logs.mkdir()
    async with (
        serve(fake.app()) as url,
        client_for(
            database_url,
            packs=[build_pack()],
            rate_limit_enabled=False,
            broker_url=redis_url,
            job_queue=queue,
            **TIMINGS,
        ) as client,
    ):
        team: Team = await make_team(client, DEFAULT_TENANT_ID)
        source = await _source(team, url)
        try:
            with running_workers(1, env, tmp_path, first_logs) as [worker]:
                response = await client.post(
                    f"/api/v1/etl/sources/{source}/sync", headers=team.admin
                )
                assert response.status_code == 202, response.text
                job_id = response.json()["job_id"]
                await asyncio.wait_for(fake.held.wait(), timeout=60)
                worker.send_signal(signal.SIGKILL)
                assert await asyncio.to_thread(worker.wait, 10) == -signal.SIGKILL
            assert len(fake.calls) == kill_after + 1  # the one held was never answered
            left = await _rows(database_url, make_settings)
            assert [len(left[table]) for table in COUNTED] == committed
            relisted = await _finished_listings(database_url, make_settings)
            fake.release()
            with running_workers(1, env, tmp_path, second_logs):
                # The reaper finds the job without heartbeat and queues it again; the new worker
                # runs it over the rows the killed one committed: a listing finished before the
                # kill resumes from its cursor, the others start over.
                job = await _finished(team, job_id)
        finally:
            fake.release()  # held requests must not outlive a failed test
    assert job["status"] == "succeeded", job
    assert job["attempts"] == 2, job
    return relisted


@pytest.mark.parametrize("kill_point", KILL_POINTS, ids=[str(n) for n, _ in KILL_POINTS])
async def test_a_sync_killed_mid_run_resumes_to_the_rows_of_a_clean_run(
    client_for: ClientFactory,
    make_settings: Callable[..., Settings],
    database_url: str,
    clean_database_url: str,
    redis_url: str,
    queue: str,
    tmp_path: Path,
    kill_point: tuple[int, list[int]],
) -> None:
    relisted = await _killed_and_resumed(
        client_for, make_settings, database_url, redis_url, queue, tmp_path, kill_point
    )
    resumed = await _rows(database_url, make_settings, relisted)

    await _clean_run(client_for, clean_database_url)
    clean = await _rows(clean_database_url, make_settings, relisted)
    assert [len(clean[table]) for table in COUNTED] == [201, 101, 101, 2]
    assert resumed.keys() == clean.keys()
    for table, rows in clean.items():
        assert resumed[table] == rows, table
