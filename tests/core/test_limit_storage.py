"""The in-process rate-limit storage: `limits`' windows, answered without suspending."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

import pytest
from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter

from vantage.core import limit_storage
from vantage.core.limit_storage import LocalStorage, create_limit_storage


def _answer_without_suspending(call: Coroutine[Any, Any, Any]) -> Any:
    """The call's result, asserting it completed on its first step (no await suspended it)."""
    with pytest.raises(StopIteration) as done:
        call.send(None)
    return done.value.value


async def test_a_busy_key_never_waits_behind_expiry_work(make_settings: Any) -> None:
    storage = create_limit_storage(make_settings())
    assert isinstance(storage, LocalStorage)
    for _ in range(50):
        assert _answer_without_suspending(storage.acquire_entry("key", 1000, 60)) is True
        await asyncio.sleep(0)  # whatever the storage scheduled runs now
    assert _answer_without_suspending(storage.get_moving_window("key", 1000, 60))[1] == 50


async def test_moving_window_and_sliding_window_counter_limits() -> None:
    storage = LocalStorage()
    per_minute = RateLimitItemPerMinute(2)
    moving = MovingWindowRateLimiter(storage)
    assert [await moving.hit(per_minute, "user") for _ in range(3)] == [True, True, False]
    assert (await moving.get_window_stats(per_minute, "user")).remaining == 0
    assert await moving.hit(per_minute, "another user")

    tokens = SlidingWindowCounterRateLimiter(storage)
    budget = RateLimitItemPerMinute(100)
    assert await tokens.hit(budget, "user", cost=60)
    assert not await tokens.hit(budget, "user", cost=41)
    assert (await tokens.get_window_stats(budget, "user")).remaining == 40


async def test_hits_start_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    storage = LocalStorage()
    started: list[threading.Thread] = []
    original_start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread)
        original_start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    limiter = SlidingWindowCounterRateLimiter(storage)
    for _ in range(5):
        assert await storage.acquire_entry("key", 1000, 60)
        assert await limiter.hit(RateLimitItemPerMinute(1000), "user")
        await asyncio.sleep(0.015)  # longer than the timer `limits` would have started
    assert started == []


async def test_expired_windows_are_swept_from_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limit_storage, "SWEEP_INTERVAL_SECONDS", 0.0)
    storage = LocalStorage()
    await storage.incr("counter", 0.05)  # type: ignore[arg-type]
    assert await storage.acquire_entry("window", 10, 0.05)  # type: ignore[arg-type]
    await asyncio.sleep(0.1)
    await storage.get("another key")  # any call sweeps once the interval has passed
    memory = storage._memory_storage
    assert "counter" not in memory.storage and memory.events.get("window") in (None, [])
