from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.support.principals import TEST_TENANT_HEADER, principal_from_test_header
from vantage.core.jobs.endpoints import jobs_router

# Short enough for quick tests, with the stale window still several heartbeats long.
FAST_JOBS = {
    "job_heartbeat_seconds": 0.1,
    "job_stale_seconds": 1.0,
    "job_lease_ttl_seconds": 1.5,
    "shutdown_timeout_seconds": 1.0,
}
TENANT = {TEST_TENANT_HEADER: "1"}

JobsClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def jobs_client_for(client_for: Any) -> JobsClientFactory:
    """An app with the jobs routes mounted behind the test-header principal."""

    @asynccontextmanager
    async def run(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with client_for(database_url, **{**FAST_JOBS, **overrides}) as client:
            router = jobs_router(principal_from_test_header, principal_from_test_header)
            client.app.include_router(router)  # type: ignore[attr-defined]
            yield client

    return run


@pytest.fixture
async def jobs_client(
    jobs_client_for: JobsClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with jobs_client_for(database_url) as client:
        yield client


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
