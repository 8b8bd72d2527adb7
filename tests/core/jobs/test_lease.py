"""One holder per lease across processes; a holder that stops renewing is replaced after expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.core.jobs.support import FakeClock
from vantage.core.db import Database
from vantage.core.lease import Lease, LeasedLoop


@pytest.fixture
async def database(database_url: str, make_settings: Any) -> AsyncIterator[Database]:
    db = Database(make_settings(database_url=database_url))
    yield db
    await db.dispose()


async def test_a_lease_is_taken_over_only_after_it_expires(database: Database) -> None:
    clock = FakeClock()
    first = Lease(database, "jobs.scheduler", "process-a", ttl=10, clock=clock)
    second = Lease(database, "jobs.scheduler", "process-b", ttl=10, clock=clock)

    assert await first.acquire()
    assert not await second.acquire()
    clock.advance(8)
    assert await first.acquire()  # renewal: 10 s from now
    clock.advance(8)
    assert not await second.acquire()  # 16 s after taking it, still renewed
    assert await first.holder_now() == "process-a"

    clock.advance(2.5)  # the first holder stopped renewing 10.5 s ago
    assert await first.holder_now() is None
    assert await second.acquire()
    assert not await first.acquire()
    assert await second.holder_now() == "process-b"

    await second.release()
    assert await first.acquire()


async def test_racing_takers_get_one_holder(database: Database) -> None:
    leases = [Lease(database, "jobs.reaper", f"process-{n}", ttl=10) for n in range(4)]
    taken = await asyncio.gather(*(lease.acquire() for lease in leases))
    assert sorted(taken) == [False, False, False, True]


async def test_only_the_holder_ticks_and_a_successor_takes_over(database: Database) -> None:
    clock = FakeClock()
    ticks: list[str] = []

    def loop_for(holder: str) -> LeasedLoop:
        async def tick() -> None:
            ticks.append(holder)

        return LeasedLoop(Lease(database, "jobs.reaper", holder, 3, clock=clock), tick, 1)

    first, second = loop_for("a"), loop_for("b")
    for _ in range(3):
        await first.run_once()
        await second.run_once()
        clock.advance(1)
    assert ticks == ["a", "a", "a"]
    assert first.held and not second.held

    clock.advance(3)  # "a" died: no renewal for longer than the lease lasts
    assert await second.run_once()
    assert ticks[-1] == "b"
    assert not await first.run_once()
    assert not first.held

    await second.stop()  # releases: the next taker need not wait
    assert await first.run_once()


def test_the_renewal_interval_must_fit_in_the_lease(database: Database) -> None:
    async def tick() -> None:
        return None

    with pytest.raises(ValueError, match="shorter"):
        LeasedLoop(Lease(database, "x", "y", ttl=1), tick, 1)


async def test_stopping_lets_the_round_in_progress_finish(database: Database) -> None:
    """A round cut off mid-query would leave the driver closing its connection after the loop
    has gone; stopping waits for the round instead, and then releases the lease."""
    started, finished = asyncio.Event(), asyncio.Event()

    async def tick() -> None:
        started.set()
        await asyncio.sleep(0.05)
        finished.set()

    loop = LeasedLoop(Lease(database, "jobs.reaper", "process-a", ttl=30), tick, 10)
    loop.start()
    await asyncio.wait_for(started.wait(), timeout=5)
    await asyncio.wait_for(loop.stop(), timeout=5)
    assert finished.is_set()
    assert not loop.held
