"""Jobs on the embedded default: the API process runs them on the in-process broker."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.core.jobs.support import (
    FAST_JOBS,
    TENANT,
    JobsClientFactory,
    enqueue_count,
    finished,
    job_of,
    wait_for_job,
)
from tests.support.auth import bare_client, create_user, headers_for
from tests.support.testpack import PACK as TEST_PACK
from vantage.core.auth.models import Role, Tenant
from vantage.core.db import Database
from vantage.core.jobs.runtime import JobRuntime


def _runtime(client: httpx.AsyncClient) -> Any:
    return client.app.state.jobs  # type: ignore[attr-defined]


async def _enqueue(client: httpx.AsyncClient, kind: str, params: dict[str, Any], **kw: Any) -> str:
    runtime = _runtime(client)
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    async with database.transaction() as session:
        job = await runtime.service.enqueue(session, 1, kind, params, **kw)
    return str(job.id)


async def test_progress_is_visible_while_running_and_never_goes_back(
    jobs_client: httpx.AsyncClient,
) -> None:
    job_id = await enqueue_count(jobs_client, n=40, step=0.05)
    seen: list[dict[str, Any]] = []

    def record(job: dict[str, Any]) -> bool:
        seen.append(job)
        return finished(job)

    done = await wait_for_job(jobs_client, job_id, record)

    assert done["status"] == "succeeded"
    assert done["result"] == {"counted": 40, "attempt": 1}
    assert done["progress"] == {"done": 40, "total": 40, "percent": 100.0}
    assert done["log"][-1] == "step 40" and len(done["log"]) <= 50
    counts = [job["progress"]["done"] for job in seen]
    assert counts == sorted(counts), "progress went backwards"
    midway = [
        job for job in seen if job["status"] == "running" and 0 < job["progress"]["done"] < 40
    ]
    assert midway, "no progress was visible while the job ran"
    assert any(job["eta_seconds"] is not None and job["eta_seconds"] > 0 for job in midway)
    assert midway[-1]["message"].startswith("counted ")


async def test_a_failing_job_records_its_error_and_log(jobs_client: httpx.AsyncClient) -> None:
    job_id = await _enqueue(jobs_client, "testpack.fail", {"reason": "bad input row 7"})
    job = await wait_for_job(jobs_client, job_id, finished)
    assert job["status"] == "failed"
    assert job["error"] == "ValueError: bad input row 7"
    assert job["log"] == ["about to fail"]
    assert job["attempts"] == 1


async def test_a_retryable_failure_runs_again(jobs_client: httpx.AsyncClient) -> None:
    job_id = await _enqueue(jobs_client, "testpack.flaky", {"succeed_on": 2})
    job = await wait_for_job(jobs_client, job_id, finished)
    assert job["status"] == "succeeded" and job["result"] == {"attempt": 2}
    assert job["attempts"] == 2

    hopeless = await _enqueue(jobs_client, "testpack.flaky", {"succeed_on": 9}, max_attempts=2)
    job = await wait_for_job(jobs_client, hopeless, finished)
    assert job["status"] == "failed" and job["attempts"] == 2
    assert "attempt 2 hit a transient error" in job["error"]


async def test_cancel_a_queued_and_a_running_job(
    jobs_client_for: JobsClientFactory, sqlite_url: str
) -> None:
    async with jobs_client_for(sqlite_url, job_worker_concurrency=1) as client:
        running_id = await enqueue_count(client, n=400, step=0.05)
        await wait_for_job(client, running_id, lambda job: job["progress"]["done"] >= 2)
        queued_id = await enqueue_count(client, n=5)  # waits: the only slot is taken
        assert (await job_of(client, queued_id))["status"] == "queued"

        cancelled = await client.post(f"/api/v1/jobs/{queued_id}/cancel", headers=TENANT)
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"

        asked = await client.post(f"/api/v1/jobs/{running_id}/cancel", headers=TENANT)
        assert asked.status_code == 200
        assert asked.json()["status"] == "running" and asked.json()["cancel_requested"] is True
        job = await wait_for_job(client, running_id, finished, timeout=5)
        assert job["status"] == "cancelled"
        assert 2 <= job["progress"]["done"] < 400

        again = await client.post(f"/api/v1/jobs/{running_id}/cancel", headers=TENANT)
        assert again.status_code == 409
        assert again.json()["code"] == "CONFLICT"
        # The cancelled queued job never started, even though its message was delivered.
        never = await job_of(client, queued_id)
        assert never["status"] == "cancelled" and never["attempts"] == 0


async def test_a_rolled_back_request_enqueues_nothing(jobs_client: httpx.AsyncClient) -> None:
    sent: list[Any] = []
    broker = _runtime(jobs_client).broker
    original_kick = broker.kick

    async def recording_kick(message: Any) -> None:
        sent.append(message)
        await original_kick(message)

    broker.kick = recording_kick
    failed = await jobs_client.post(
        "/api/v1/testpack/count", params={"n": 1, "fail_after_write": True}
    )
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    listed = (await jobs_client.get("/api/v1/jobs", headers=TENANT)).json()
    assert listed["data"] == [] and listed["pagination"]["total"] == 0
    assert sent == []

    job_id = await enqueue_count(jobs_client, n=1)
    assert len(sent) == 1  # the same route, committed, does send
    assert (await wait_for_job(jobs_client, job_id, finished))["status"] == "succeeded"


async def test_listing_filters_pages_and_stays_in_the_tenant(
    jobs_client: httpx.AsyncClient,
) -> None:
    database: Database = jobs_client.app.state.database  # type: ignore[attr-defined]
    async with database.transaction() as session:
        other = Tenant(slug="other", name="Other")
        session.add(other)
        await session.flush()
        other_id = other.id
    ids = [await enqueue_count(jobs_client, n=0) for _ in range(3)]
    failing = await _enqueue(jobs_client, "testpack.fail", {})
    for job_id in [*ids, failing]:
        await wait_for_job(jobs_client, job_id, finished)

    everything = (await jobs_client.get("/api/v1/jobs", headers=TENANT)).json()
    assert [job["id"] for job in everything["data"]] == [failing, *reversed(ids)]
    assert everything["pagination"]["total"] == 4

    only_failed = await jobs_client.get("/api/v1/jobs", params={"status": "failed"}, headers=TENANT)
    assert [job["id"] for job in only_failed.json()["data"]] == [failing]
    by_kind = await jobs_client.get(
        "/api/v1/jobs", params={"kind": "testpack.count"}, headers=TENANT
    )
    assert by_kind.json()["pagination"]["total"] == 3

    first = (await jobs_client.get("/api/v1/jobs", params={"limit": 3}, headers=TENANT)).json()
    cursor = first["pagination"]["next_cursor"]
    rest = await jobs_client.get(
        "/api/v1/jobs", params={"limit": 3, "cursor": cursor}, headers=TENANT
    )
    assert [job["id"] for job in first["data"] + rest.json()["data"]] == [failing, *reversed(ids)]
    assert rest.json()["pagination"]["next_cursor"] is None

    bad = await jobs_client.get("/api/v1/jobs", params={"status": "lost"}, headers=TENANT)
    assert bad.status_code == 422

    app = jobs_client.app  # type: ignore[attr-defined]
    stranger = headers_for(app, await create_user(app, Role.ADMIN, tenant_id=other_id))
    assert (await jobs_client.get("/api/v1/jobs", headers=stranger)).json()["data"] == []
    assert (await jobs_client.get(f"/api/v1/jobs/{failing}", headers=stranger)).status_code == 404
    refused = await jobs_client.post(f"/api/v1/jobs/{ids[0]}/cancel", headers=stranger)
    assert refused.status_code == 404
    async with bare_client(app) as anonymous:
        assert (await anonymous.get(f"/api/v1/jobs/{failing}")).status_code == 401


class RecordingPublisher:
    def __init__(self) -> None:
        self.messages: list[tuple[int, str, dict[str, Any]]] = []
        self.finished = asyncio.Event()

    async def publish(self, tenant_id: int, channel: str, data: dict[str, Any]) -> None:
        self.messages.append((tenant_id, channel, data))
        if finished(data):
            self.finished.set()


async def test_progress_is_published_on_the_jobs_channel(
    sqlite_url: str, make_settings: Any
) -> None:
    settings = make_settings(database_url=sqlite_url, **FAST_JOBS)
    database = Database(settings)
    publisher = RecordingPublisher()
    runtime = JobRuntime(settings, database, [TEST_PACK], publisher=publisher)
    try:
        async with runtime.running("api"):
            async with database.transaction() as session:
                job = await runtime.service.enqueue(
                    session, 1, "testpack.count", {"n": 3, "step": 0.3}
                )
            await asyncio.wait_for(publisher.finished.wait(), timeout=10)
    finally:
        await database.dispose()
    assert {(tenant, channel) for tenant, channel, _ in publisher.messages} == {
        (1, f"core.jobs:{job.id}")
    }
    statuses = [data["status"] for _, _, data in publisher.messages]
    assert statuses[0] == "running" and statuses[-1] == "succeeded"
    counts = [data["done"] for _, _, data in publisher.messages if data.get("done") is not None]
    assert counts == sorted(counts) and counts[-1] == 3 and len(set(counts)) >= 3
