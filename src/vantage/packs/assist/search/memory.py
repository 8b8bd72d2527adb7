"""One vector index per tenant over its learning memory, kept current from the database.

Entries are append-only, so an index only ever needs the entries after the last id it holds:
every process catches up on its own before it answers, whichever process stored them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from vantage.packs.assist.search.embedders import Embedder, Vectors
from vantage.packs.assist.search.index import Hit, VectorIndex

# (after_id, limit) -> [(id, question, sql)]
ReadAfter = Callable[[int, int], Awaitable[list[tuple[int, str, str]]]]
REFRESH_BATCH = 2_000


def entry_text(question: str, sql: str) -> str:
    """What an entry is found by: its question and its SQL."""
    return f"{question}\n{sql}"


@dataclass
class _TenantIndex:
    index: VectorIndex
    last_id: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class MemoryIndexes:
    """The per-tenant indexes of one process."""

    def __init__(
        self, embedder: Embedder, backend: str, make_index: Callable[[int, str], VectorIndex]
    ) -> None:
        self.embedder = embedder
        self.backend = backend
        self._make_index = make_index
        self._tenants: dict[int, _TenantIndex] = {}

    def _of(self, tenant_id: int) -> _TenantIndex:
        if tenant_id not in self._tenants:
            index = self._make_index(self.embedder.dimension, self.backend)
            self._tenants[tenant_id] = _TenantIndex(index)
        return self._tenants[tenant_id]

    async def refresh(self, tenant_id: int, read_after: ReadAfter) -> None:
        """Add the tenant's entries stored since the index last looked."""
        tenant = self._of(tenant_id)
        async with tenant.lock:
            while True:
                rows = await read_after(tenant.last_id, REFRESH_BATCH)
                if not rows:
                    return
                texts = [entry_text(question, sql) for _, question, sql in rows]
                vectors = await asyncio.to_thread(self.embedder.embed, texts)
                tenant.index.add([row[0] for row in rows], vectors)
                tenant.last_id = rows[-1][0]

    async def search(self, tenant_id: int, text: str, k: int) -> list[Hit]:
        """The tenant's ``k`` entries most similar to ``text`` (refresh first)."""
        vector = (await asyncio.to_thread(self.embedder.embed, [text]))[0]
        return self._of(tenant_id).index.search(vector, k)

    def search_vector(self, tenant_id: int, vector: Vectors, k: int) -> list[Hit]:
        """The tenant's ``k`` entries nearest to an already embedded ``vector``."""
        return self._of(tenant_id).index.search(vector, k)

    def counts(self) -> tuple[int, int]:
        """Tenants indexed, and items over all of them."""
        return len(self._tenants), sum(len(tenant.index) for tenant in self._tenants.values())

    def state(self) -> str:
        """``empty``, ``exact`` (every item scanned) or ``clustered`` (some tenant's index is)."""
        indexes = [tenant.index for tenant in self._tenants.values() if len(tenant.index)]
        if not indexes:
            return "empty"
        clustered = any(getattr(index, "trained", False) for index in indexes)
        return "clustered" if clustered else "exact"
