"""Jobs on Redis Streams, run by real ``vantage worker`` processes (one of them killed)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from typer.testing import CliRunner

from tests.core.jobs.support import (
    TENANT,
    JobsClientFactory,
    enqueue_count,
    finished,
    wait_for_job,
)
from tests.support import databases
from tests.support.packsite import write_testpack_site
from tests.support.workers import running_workers
from vantage.cli import build_cli
from vantage.core.db import Database
from vantage.core.jobs.models import Job

pytestmark = [pytest.mark.redis, pytest.mark.serial]

WORKER_TIMINGS = {
    "VANTAGE_JOB_HEARTBEAT_SECONDS": "0.2",
    "VANTAGE_JOB_STALE_SECONDS": "1.5",
    "VANTAGE_JOB_LEASE_TTL_SECONDS": "1.5",
    "VANTAGE_SHUTDOWN_TIMEOUT_SECONDS": "2",
}


@pytest.fixture
def redis_url() -> str:
    url = databases.require_service(databases.REDIS_ENV)
    if not url:
        pytest.skip(f"{databases.REDIS_ENV} is not set")
    return url


@pytest.fixture
async def queue(redis_url: str) -> AsyncIterator[str]:
    """A stream of this test's own; removed afterwards."""
    name = f"vantage-test:{uuid.uuid4().hex}"
    yield name
    client = Redis.from_url(redis_url)
    try:
        await client.delete(name, f"autoclaim:vantage-workers:{name}")
    finally:
        await client.aclose()


def _worker_env(tmp_path: Path, database_url: str, redis_url: str, queue: str) -> dict[str, str]:
    return {
        "VANTAGE_DATABASE_URL": database_url,
        "VANTAGE_BROKER_URL": redis_url,
        "VANTAGE_JOB_QUEUE": queue,
        "VANTAGE_PACKS": "testpack",
        "VANTAGE_DATA_DIR": str(tmp_path / "data"),
        "VANTAGE_JWT_SECRET": "w" * 40,
        "VANTAGE_LOG_FORMAT": "json",
        "VANTAGE_LOG_LEVEL": "INFO",
        **WORKER_TIMINGS,
    }


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_testpack_site(tmp_path)


@pytest.fixture
def two_workers(
    tmp_path: Path, database_url: str, redis_url: str, queue: str, site: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = _worker_env(tmp_path, database_url, redis_url, queue)
    with running_workers(2, env, site, tmp_path) as workers:
        yield workers


async def _worker_pid_of(database_url: str, make_settings: Any, job_id: str) -> int:
    database = Database(make_settings(database_url=database_url))
    try:
        async with database.reader() as session:
            job = await session.get(Job, job_id)
            assert job is not None and job.worker_id is not None
            return int(job.worker_id.split(":")[1])
    finally:
        await database.dispose()


async def test_a_killed_workers_job_is_run_again_by_another_worker(
    jobs_client_for: JobsClientFactory,
    database_url: str,
    redis_url: str,
    queue: str,
    make_settings: Any,
    two_workers: list[subprocess.Popen[bytes]],
) -> None:
    async with jobs_client_for(database_url, broker_url=redis_url, job_queue=queue) as client:
        assert client.app.state.jobs.worker is None  # type: ignore[attr-defined]
        job_id = await enqueue_count(client, n=20, step=0.1)
        await wait_for_job(client, job_id, lambda job: job["progress"]["done"] >= 3)

        victim_pid = await _worker_pid_of(database_url, make_settings, job_id)
        victim = next(worker for worker in two_workers if worker.pid == victim_pid)
        survivor = next(worker for worker in two_workers if worker.pid != victim_pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=5)

        # The survivor takes the reaper lease once it expires, finds the job without heartbeat,
        # queues it again, and runs it itself: the job does not stay "running".
        job = await wait_for_job(client, job_id, finished, timeout=30)
        assert job["status"] == "succeeded"
        assert job["attempts"] == 2
        assert job["result"] == {"counted": 20, "attempt": 2}
        assert await _worker_pid_of(database_url, make_settings, job_id) == survivor.pid

        await _cancel_on_a_worker(client)

        survivor.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(survivor.wait, 15) == 0


async def _cancel_on_a_worker(client: httpx.AsyncClient) -> None:
    job_id = await enqueue_count(client, n=200, step=0.05)
    await wait_for_job(client, job_id, lambda job: job["progress"]["done"] >= 1)
    asked = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=TENANT)
    assert asked.status_code == 200 and asked.json()["cancel_requested"] is True
    job = await wait_for_job(client, job_id, finished, timeout=10)
    assert job["status"] == "cancelled" and job["progress"]["done"] < 200


def test_worker_refuses_to_start_without_a_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VANTAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("VANTAGE_BROKER_URL", raising=False)
    result = CliRunner().invoke(build_cli({}), ["worker"])
    assert result.exit_code == 2
    assert "VANTAGE_BROKER_URL" in result.output


def test_worker_process_exits_cleanly_on_sigterm(
    tmp_path: Path, sqlite_url: str, redis_url: str, queue: str, site: Path
) -> None:
    env = _worker_env(tmp_path, sqlite_url, redis_url, queue)
    with running_workers(1, env, site, tmp_path) as [process]:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    assert "worker stopped" in (tmp_path / "worker-0.log").read_text()
