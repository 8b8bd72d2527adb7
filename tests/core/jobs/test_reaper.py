"""Jobs whose worker died never stay running: re-queued while attempts remain, else failed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.core.jobs.support import FakeClock, RecordingDispatcher, make_service
from vantage.core.db import Database
from vantage.core.jobs import repository
from vantage.core.jobs.models import Job
from vantage.core.jobs.publisher import NullPublisher
from vantage.core.jobs.reaper import Reaper

DEAD_WORKER = "host:1:dead"


@pytest.fixture
async def database(database_url: str, make_settings: Any) -> AsyncIterator[Database]:
    db = Database(make_settings(database_url=database_url))
    yield db
    await db.dispose()


async def _status(database: Database, job_id: str) -> Job:
    async with database.reader() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job


async def test_reapers_requeue_fail_and_cancel_each_lost_job_once(database: Database) -> None:
    clock = FakeClock()
    dispatcher = RecordingDispatcher()
    service = make_service(dispatcher, clock)
    params = {"n": 1}
    async with database.transaction() as session:
        retry = (await service.enqueue(session, 1, "testpack.count", params)).id
        last = (await service.enqueue(session, 1, "testpack.count", params, max_attempts=1)).id
        cancel = (await service.enqueue(session, 1, "testpack.count", params)).id
        alive = (await service.enqueue(session, 1, "testpack.count", params)).id
        lost_message = (await service.enqueue(session, 1, "testpack.count", params)).id
    async with database.transaction() as session:
        for job_id in (retry, last, cancel):
            assert await repository.claim(session, job_id, DEAD_WORKER, clock.now)
        await repository.request_cancel(session, 1, cancel, clock.now)
    clock.advance(10)
    async with database.transaction() as session:
        assert await repository.claim(session, alive, "host:2:alive", clock.now)
    dispatcher.sent.clear()

    reapers = [Reaper(database, dispatcher, NullPublisher(), 5.0, clock=clock) for _ in range(3)]
    reports = await asyncio.gather(*(reaper.sweep() for reaper in reapers))

    def handled(field: str) -> list[str]:
        return sorted(job_id for report in reports for job_id, _ in getattr(report, field))

    assert handled("requeued") == [retry]
    assert handled("failed") == [last]
    assert handled("cancelled") == [cancel]
    assert handled("resent") == [lost_message]
    assert sorted(dispatcher.sent) == sorted([retry, lost_message])

    requeued = await _status(database, retry)
    assert requeued.status == "queued" and requeued.worker_id is None and requeued.attempts == 1
    failed = await _status(database, last)
    assert failed.status == "failed" and "last attempt" in (failed.error or "")
    assert (await _status(database, cancel)).status == "cancelled"
    assert (await _status(database, alive)).status == "running"


async def test_the_requeued_job_runs_again_and_a_stale_worker_cannot_finish_it(
    database: Database,
) -> None:
    clock = FakeClock()
    dispatcher = RecordingDispatcher()
    service = make_service(dispatcher, clock)
    async with database.transaction() as session:
        job_id = (await service.enqueue(session, 1, "testpack.count", {"n": 1})).id
        await repository.claim(session, job_id, DEAD_WORKER, clock.now)
    clock.advance(10)
    await Reaper(database, dispatcher, NullPublisher(), 5.0, clock=clock).sweep()

    async with database.transaction() as session:
        again = await repository.claim(session, job_id, "host:3:new", clock.now)
        assert again is not None and again.attempts == 2
        # The first worker was only slow, not dead: its late writes are refused.
        late = {"progress_done": 1}
        assert not await repository.save_progress(session, job_id, DEAD_WORKER, clock.now, late)
        assert not await repository.heartbeat(session, DEAD_WORKER, [job_id], clock.now)
        assert await repository.heartbeat(session, "host:3:new", [job_id], clock.now) == {
            job_id: False
        }
