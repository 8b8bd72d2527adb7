"""Copies whose reads are shared: one read per miss, and busy keys re-read in the background."""

from __future__ import annotations

import asyncio

import pytest

from vantage.core import copies as copies_module
from vantage.core.copies import SharedReadCopies


class CountingRead:
    """A read that takes ``delay`` seconds and returns the next value of a counter."""

    def __init__(self, delay: float = 0.01, fail: bool = False) -> None:
        self.delay = delay
        self.fail = fail
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        value = self.calls
        await asyncio.sleep(self.delay)
        if self.fail:
            raise ConnectionError("database down")
        return value


async def test_requests_that_miss_together_share_one_read() -> None:
    copies: SharedReadCopies[str, int] = SharedReadCopies(ttl_seconds=60)
    read = CountingRead()
    rows = await asyncio.gather(*(copies.get_or_read("k", read) for _ in range(20)))
    assert rows == [1] * 20
    assert read.calls == 1
    assert copies.get("k") == 1


async def test_a_request_after_a_forget_does_not_take_a_read_that_began_before_it() -> None:
    copies: SharedReadCopies[str, int] = SharedReadCopies(ttl_seconds=60)
    read = CountingRead()
    before = asyncio.create_task(copies.get_or_read("k", read))
    await asyncio.sleep(0)  # the first read is in flight
    copies.forget("k")  # e.g. a revocation committed meanwhile
    after = await copies.get_or_read("k", read)
    assert (await before, after) == (1, 2)
    assert copies.get("k") == 2  # the read from before the forget was not kept


async def test_a_copy_past_half_its_lifetime_is_served_and_read_again_in_the_background() -> None:
    copies: SharedReadCopies[str, int] = SharedReadCopies(ttl_seconds=0.2)
    read = CountingRead(delay=0.02)
    assert await copies.get_or_read("k", read) == 1
    assert await copies.get_or_read("k", read) == 1 and read.calls == 1  # young: no re-read
    await asyncio.sleep(0.12)
    served = await copies.get_or_read("k", read)
    assert served == 1  # the old copy, without waiting for the database
    await asyncio.sleep(0)
    assert read.calls == 2  # ... while one re-read runs
    await asyncio.sleep(0.05)
    assert copies.get("k") == 2
    await asyncio.sleep(0.1)  # 0.27 s after the first read: its copy would have expired
    assert await copies.get_or_read("k", read) == 2 and read.calls == 2


async def test_a_failed_background_read_keeps_the_copy_until_it_expires() -> None:
    copies: SharedReadCopies[str, int] = SharedReadCopies(ttl_seconds=0.2)
    assert await copies.get_or_read("k", CountingRead()) == 1
    await asyncio.sleep(0.11)
    failing = CountingRead(fail=True)
    assert await copies.get_or_read("k", failing) == 1
    await asyncio.sleep(0.05)
    assert failing.calls == 1 and copies.get("k") == 1
    await asyncio.sleep(0.1)
    assert copies.get("k") is None  # never served past its lifetime
    with pytest.raises(ConnectionError):
        await copies.get_or_read("k", failing)


async def test_a_row_gone_from_the_database_drops_the_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(copies_module, "REFRESH_AT_FRACTION_OF_TTL", 0.0)
    copies: SharedReadCopies[str, int] = SharedReadCopies(ttl_seconds=60)
    assert await copies.get_or_read("k", CountingRead()) == 1

    async def deleted() -> int | None:
        return None

    assert await copies.get_or_read("k", deleted) == 1  # served while it is re-read
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert copies.get("k") is None


async def test_closing_lets_a_read_in_flight_finish() -> None:
    copies: SharedReadCopies[str, int] = SharedReadCopies(ttl_seconds=60)
    waiter = asyncio.create_task(copies.get_or_read("k", CountingRead(delay=0.05)))
    await asyncio.sleep(0)
    await asyncio.wait_for(copies.aclose(), timeout=1)
    assert await waiter == 1
    assert copies.get("k") == 1


async def test_closing_cancels_a_read_that_outlasts_the_grace() -> None:
    copies: SharedReadCopies[str, int] = SharedReadCopies(ttl_seconds=60)
    waiter = asyncio.create_task(copies.get_or_read("k", CountingRead(delay=10)))
    await asyncio.sleep(0)
    await asyncio.wait_for(copies.aclose(grace_seconds=0.05), timeout=1)
    with pytest.raises(asyncio.CancelledError):
        await waiter
