"""Password hashing with argon2id (pwdlib), off the event loop and bounded in concurrency."""

from __future__ import annotations

import asyncio

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# OWASP's minimum for argon2id: 19 MiB of memory, 2 iterations, 1 lane.
ARGON2_MEMORY_KIB = 19_456
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
# Each hash holds ~19 MiB and a core for tens of milliseconds: cap how many run at once.
DEFAULT_CONCURRENT_HASHES = 4


class PasswordHasher:
    """Hashes and verifies passwords in worker threads, at most ``concurrency`` at a time."""

    def __init__(self, concurrency: int = DEFAULT_CONCURRENT_HASHES) -> None:
        self._hash = PasswordHash(
            (
                Argon2Hasher(
                    memory_cost=ARGON2_MEMORY_KIB,
                    time_cost=ARGON2_TIME_COST,
                    parallelism=ARGON2_PARALLELISM,
                ),
            )
        )
        self._slots = asyncio.Semaphore(concurrency)

    async def hash(self, password: str) -> str:
        """An argon2id hash of ``password``."""
        async with self._slots:
            return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> bool:
        """Whether ``password`` matches ``password_hash``."""
        async with self._slots:
            return await asyncio.to_thread(self._hash.verify, password, password_hash)
