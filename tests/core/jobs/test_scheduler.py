"""Cron schedules enqueue each minute slot once, even with two schedulers running."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.core.jobs.support import FakeClock, RecordingDispatcher, make_service
from tests.support.testpack import PACK as TEST_PACK
from tests.support.testpack import count_job
from vantage.core.auth.models import Tenant
from vantage.core.db import Database
from vantage.core.jobs.kinds import JobDefinitionError, JobKinds, Schedule
from vantage.core.jobs.models import Job
from vantage.core.jobs.scheduler import Scheduler, minute_slots
from vantage.core.packs import Pack


@pytest.fixture
async def database(database_url: str, make_settings: Any) -> AsyncIterator[Database]:
    db = Database(make_settings(database_url=database_url))
    yield db
    await db.dispose()


def at(hour: int, minute: int, second: int) -> datetime:
    return datetime(2030, 1, 7, hour, minute, second, tzinfo=UTC)


async def _scheduled(database: Database) -> list[tuple[int, str | None]]:
    async with database.reader() as session:
        rows = await session.execute(
            select(Job.tenant_id, Job.dedupe_key).order_by(Job.dedupe_key, Job.tenant_id)
        )
        return [(tenant_id, key) for tenant_id, key in rows]


async def test_two_schedulers_enqueue_each_slot_once(database: Database) -> None:
    async with database.transaction() as session:
        session.add(Tenant(slug="second", name="Second"))
    clock = FakeClock(at(10, 0, 5))
    dispatcher = RecordingDispatcher()
    schedules = [
        Schedule("* * * * *", "testpack.count", {"n": 0}),
        Schedule("*/2 * * * *", "testpack.fail", per_tenant=True),
    ]

    def scheduler() -> Scheduler:
        service = make_service(dispatcher, clock)
        return Scheduler(database, service, schedules, lookback_seconds=20, clock=clock)

    first, second = scheduler(), scheduler()
    assert await first.tick() == 3  # 10:00 — every minute, and every other minute per tenant
    assert await second.tick() == 0  # a fresh scheduler looks back, but 10:00 is taken
    clock.advance(57)  # 10:01:02
    assert sum(await asyncio.gather(first.tick(), second.tick())) == 1
    clock.advance(5)
    assert sum(await asyncio.gather(first.tick(), second.tick())) == 0
    clock.advance(55)  # 10:02:02
    assert sum(await asyncio.gather(second.tick(), first.tick())) == 3

    assert await _scheduled(database) == [
        (1, "testpack.count@2030-01-07T10:00Z"),
        (1, "testpack.count@2030-01-07T10:01Z"),
        (1, "testpack.count@2030-01-07T10:02Z"),
        (1, "testpack.fail@2030-01-07T10:00Z"),
        (2, "testpack.fail@2030-01-07T10:00Z"),
        (1, "testpack.fail@2030-01-07T10:02Z"),
        (2, "testpack.fail@2030-01-07T10:02Z"),
    ]
    assert len(dispatcher.sent) == 7  # each created job was sent once


def test_minute_slots_are_the_minute_starts_in_the_interval() -> None:
    assert minute_slots(at(10, 0, 0), at(10, 0, 59)) == []
    assert minute_slots(at(10, 0, 59), at(10, 1, 0)) == [at(10, 1, 0)]
    assert minute_slots(at(9, 58, 30), at(10, 0, 1)) == [at(9, 59, 0), at(10, 0, 0)]


def test_schedules_and_kinds_are_checked_when_packs_load() -> None:
    with pytest.raises(JobDefinitionError, match="5-field cron"):
        Schedule("61 * * * *", "testpack.count")
    with pytest.raises(JobDefinitionError, match="5-field cron"):
        Schedule("0 0 * * * *", "testpack.count")
    clash = Pack(name="other", title="Other", version="1", jobs={"testpack.count": count_job})
    with pytest.raises(JobDefinitionError, match="declared by packs 'testpack' and 'other'"):
        JobKinds.from_packs([TEST_PACK, clash])
    bad_name = Pack(name="bad", title="Bad", version="1", jobs={"Count Things": count_job})
    with pytest.raises(JobDefinitionError, match="must look like"):
        JobKinds.from_packs([bad_name])
    orphan = Pack(name="o", title="O", version="1", schedules=[Schedule("* * * * *", "o.nope")])
    with pytest.raises(JobDefinitionError, match=r"unknown job kind 'o\.nope'"):
        JobKinds.from_packs([orphan])
    assert Schedule("*/15 * * * *", "testpack.count").matches(at(10, 45, 0))
    assert not Schedule("*/15 * * * *", "testpack.count").matches(at(10, 46, 0))
