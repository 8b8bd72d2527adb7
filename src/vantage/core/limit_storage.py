"""Where rate-limit counters live: this process's memory, or Redis shared by every process."""

from __future__ import annotations

import time
from typing import Any

from limits.aio.storage import MovingWindowSupport, SlidingWindowCounterSupport, Storage
from limits.storage import MemoryStorage as ThreadSafeMemoryStorage
from limits.storage import storage_from_string

from vantage.config import Settings

REDIS_LIMIT_TIMEOUT_SECONDS = 0.5
# Connections per process. A burst larger than this queues for a free connection instead of
# failing at once, as redis-py's default non-blocking pool would. Waiting for a connection is
# local contention, not an outage, so it may take longer than a Redis round trip may.
REDIS_LIMIT_POOL_SIZE = 16
REDIS_LIMIT_POOL_WAIT_SECONDS = 1.5
# How often expired windows are dropped from process memory.
SWEEP_INTERVAL_SECONDS = 1.0


class _SweptMemoryStorage(ThreadSafeMemoryStorage):
    """`limits`' memory storage, with its expired entries dropped by ``sweep``.

    It would otherwise start a ``threading.Timer`` after every hit whose previous timer had
    finished: below a hundred requests a second, one new thread per request, whose start the
    request waits for (a hand-over of the interpreter lock and back).
    """

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - overrides the private hook
        return None

    def sweep(self) -> None:
        expire = getattr(self, "_MemoryStorage__expire_events")  # noqa: B009 - private, untyped
        expire()


class LocalStorage(Storage, MovingWindowSupport, SlidingWindowCounterSupport):
    """This process's memory: `limits`' thread-safe storage behind its asyncio interface.

    `limits`' own asyncio memory storage starts an expiry task after every hit, and that task
    holds the key's lock across a hop to a worker thread, so every request on a busy key waited
    for a thread round trip and a turn of the event loop. On the gateway at 32 concurrent
    clients that wait was half of each request's latency and cost a third of the throughput.
    The synchronous storage keeps the same windows and answers without suspending (each call
    is a few microseconds of dictionary and list work). Expired entries are dropped at most
    once a second by whichever call comes next, in the event loop: no thread, no task.
    """

    STORAGE_SCHEME = None

    def __init__(self) -> None:
        super().__init__()
        self._memory_storage = _SweptMemoryStorage()
        self._next_sweep = time.monotonic() + SWEEP_INTERVAL_SECONDS

    @property
    def _memory(self) -> _SweptMemoryStorage:
        """The storage, swept first when a sweep is due."""
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_INTERVAL_SECONDS
            self._memory_storage.sweep()
        return self._memory_storage

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return self._memory.base_exceptions

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._memory.incr(key, expiry, amount)

    async def get(self, key: str) -> int:
        return self._memory.get(key)

    async def get_expiry(self, key: str) -> float:
        return self._memory.get_expiry(key)

    async def check(self) -> bool:
        return self._memory.check()

    async def reset(self) -> int | None:
        return self._memory.reset()

    async def clear(self, key: str) -> None:
        self._memory.clear(key)

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        return self._memory.acquire_entry(key, limit, expiry, amount)

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        return self._memory.get_moving_window(key, limit, expiry)

    async def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        return self._memory.acquire_sliding_window_entry(key, limit, expiry, amount)

    async def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        return self._memory.get_sliding_window(key, expiry)

    async def clear_sliding_window(self, key: str, expiry: int) -> None:
        self._memory.clear_sliding_window(key, expiry)


def _async_storage_uri(redis_url: str) -> str:
    """The `limits` URI of its asyncio Redis storage for this Redis URL."""
    scheme, rest = redis_url.split("://", 1)
    return f"async+{scheme}://{rest}"


def create_limit_storage(settings: Settings) -> Storage:
    """One storage per application; Redis calls time out fast so an outage cannot hang requests."""
    if not settings.redis_url:
        return LocalStorage()
    from redis.asyncio import BlockingConnectionPool  # optional dependency

    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=REDIS_LIMIT_POOL_SIZE,
        timeout=REDIS_LIMIT_POOL_WAIT_SECONDS,
        socket_timeout=REDIS_LIMIT_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_LIMIT_TIMEOUT_SECONDS,
    )
    # `limits` passes the pool through to redis-py; its signature only admits scalars.
    options: dict[str, Any] = {"connection_pool": pool, "implementation": "redispy"}
    storage = storage_from_string(_async_storage_uri(settings.redis_url), **options)
    assert isinstance(storage, Storage)
    return storage
