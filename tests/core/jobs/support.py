"""Helpers for tests of jobs: settings, HTTP polling, a recording dispatcher, a fake clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.testpack import PACK as TEST_PACK
from vantage.core.jobs.broker import Dispatcher
from vantage.core.jobs.kinds import JobKinds
from vantage.core.jobs.publisher import NullPublisher
from vantage.core.jobs.service import JobService

T0 = datetime(2030, 1, 7, 10, 0, 5, tzinfo=UTC)
# Short enough for quick tests, with the stale window still several heartbeats long.
FAST_JOBS = {
    "job_heartbeat_seconds": 0.1,
    "job_stale_seconds": 1.0,
    "job_lease_ttl_seconds": 1.5,
    "shutdown_timeout_seconds": 1.0,
}
TENANT: dict[str, str] = {}  # the client itself is signed in to the default tenant

JobsClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


class RecordingDispatcher(Dispatcher):
    """Records the job ids sent instead of talking to a broker."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, job_ids: Iterable[str]) -> None:
        self.sent.extend(job_ids)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_service(dispatcher: Dispatcher, clock: FakeClock, max_attempts: int = 3) -> JobService:
    return JobService(
        JobKinds.from_packs([TEST_PACK]),
        dispatcher,
        NullPublisher(),
        default_max_attempts=max_attempts,
        clock=clock,
    )


async def enqueue_count(client: httpx.AsyncClient, n: int, step: float = 0.05) -> str:
    response = await client.post("/api/v1/testpack/count", params={"n": n, "step": step})
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


async def job_of(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/jobs/{job_id}", headers=TENANT)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for_job(
    client: httpx.AsyncClient,
    job_id: str,
    until: Callable[[dict[str, Any]], bool],
    timeout: float = 15,
) -> dict[str, Any]:
    """Poll the job until ``until(job)`` holds; fails with the last state after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        job = await job_of(client, job_id)
        if until(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job never reached the expected state: {job}")
        await asyncio.sleep(0.05)


def finished(job: dict[str, Any]) -> bool:
    return job["status"] in {"succeeded", "failed", "cancelled"}
