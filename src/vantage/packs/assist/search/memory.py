"""One vector index per tenant and kind of item, kept current from the database.

Learning memory entries are append-only, so their index only ever needs the entries after the
last id it holds. Work items and pull requests change (a title is edited, an issue deleted):
their index is synced whenever the delivery pack's data version moved, embedding only the
items whose text is new or changed and rebuilding the index from the vectors it keeps when an
item changed or went. Every process catches up on its own before it answers, whichever
process stored the data. A shared index (a Qdrant server, pgvector) is changed in place
instead: the items gone are deleted there, the new and changed ones upserted.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, get_args

import numpy as np

from vantage.packs.assist.search.embedders import Embedder, Vectors
from vantage.packs.assist.search.index import SHARED_STATES, Hit, SharedIndex, VectorIndex

Kind = Literal["learning_memory", "work_item", "pull_request"]
KINDS: tuple[Kind, ...] = get_args(Kind)
ItemT = TypeVar("ItemT")

# (after_id, limit) -> [(id, question, sql)]
ReadAfter = Callable[[int, int], Awaitable[list[tuple[int, str, str]]]]
# (tenant_id, kind) -> an empty index (or, for a shared one, the tenant's part of it)
AnyIndex = VectorIndex | SharedIndex
IndexFactory = Callable[[int, Kind], AnyIndex]
REFRESH_BATCH = 2_000


def entry_text(question: str, sql: str) -> str:
    """What an entry is found by: its question and its SQL."""
    return f"{question}\n{sql}"


@dataclass(frozen=True)
class Indexed(Generic[ItemT]):
    """An item as its kind's reader gives it: its id, the text it is found by, and what a
    hit shows of it."""

    id: int
    text: str
    item: ItemT


@dataclass
class _KindIndex:
    index: AnyIndex
    last_id: int = 0
    version: str | None = None
    texts: dict[int, str] = field(default_factory=dict)
    vectors: dict[int, Vectors] = field(default_factory=dict)
    items: dict[int, object] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class MemoryIndexes:
    """The per-tenant, per-kind indexes of one process."""

    def __init__(
        self,
        embedder: Embedder,
        backend: str,
        make_index: IndexFactory,
        ready: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.embedder = embedder
        self.backend = backend
        self._make_index = make_index
        self._ready = ready
        self._indexes: dict[tuple[int, Kind], _KindIndex] = {}

    async def _index_of(self, tenant_id: int, kind: Kind) -> _KindIndex:
        """``_of``, once the backend can make indexes (its import may still be running)."""
        if self._ready is not None:
            await self._ready()
        return self._of(tenant_id, kind)

    def _of(self, tenant_id: int, kind: Kind) -> _KindIndex:
        if (tenant_id, kind) not in self._indexes:
            self._indexes[tenant_id, kind] = _KindIndex(self._make_index(tenant_id, kind))
        return self._indexes[tenant_id, kind]

    async def embed(self, texts: Sequence[str]) -> Vectors:
        return await asyncio.to_thread(self.embedder.embed, list(texts))

    async def refresh(self, tenant_id: int, read_after: ReadAfter) -> None:
        """Add the tenant's learning entries stored since the index last looked."""
        tenant = await self._index_of(tenant_id, "learning_memory")
        async with tenant.lock:
            while True:
                rows = await read_after(tenant.last_id, REFRESH_BATCH)
                if not rows:
                    return
                vectors = await self.embed([entry_text(question, sql) for _, question, sql in rows])
                await _call(tenant.index.add, tenant.index, [row[0] for row in rows], vectors)
                tenant.last_id = rows[-1][0]

    async def sync(
        self,
        tenant_id: int,
        kind: Kind,
        version: str,
        read_all: Callable[[], Awaitable[Sequence[Indexed[ItemT]]]],
    ) -> None:
        """Bring the kind's index up to ``version`` (read before ``read_all``, so a change
        made in between is seen at the next sync) when it holds an older one."""
        held = await self._index_of(tenant_id, kind)
        async with held.lock:
            if held.version == version:
                return
            current = await read_all()
            fresh = [row for row in current if held.texts.get(row.id) != row.text]
            gone = held.texts.keys() - {row.id for row in current}
            # The indexes only add: a changed or removed item means building anew.
            rebuild = bool(gone) or any(row.id in held.texts for row in fresh)
            vectors = await self.embed([row.text for row in fresh]) if fresh else None
            for key in gone:
                del held.texts[key], held.vectors[key]
            for position, row in enumerate(fresh):
                assert vectors is not None
                held.texts[row.id], held.vectors[row.id] = row.text, vectors[position]
            held.items = {row.id: row.item for row in current}
            index = held.index
            if isinstance(index, SharedIndex):
                # Other processes may have stored items since deleted; first sync prunes them.
                if gone or held.version is None:
                    await _call(index.retain, index, [row.id for row in current])
                rebuild = False
            if rebuild:
                self._rebuild(held, tenant_id, kind)
            elif vectors is not None:
                await _call(index.add, index, [row.id for row in fresh], vectors)
            held.version = version

    def _rebuild(self, held: _KindIndex, tenant_id: int, kind: Kind) -> None:
        held.index = self._make_index(tenant_id, kind)
        if held.vectors:
            keys = list(held.vectors)
            held.index.add(keys, np.vstack([held.vectors[key] for key in keys]))

    def items(self, tenant_id: int, kind: Kind) -> dict[int, object]:
        """The synced items of a kind, by id (empty for the learning memory)."""
        return self._of(tenant_id, kind).items

    def vectors(self, tenant_id: int, kind: Kind) -> dict[int, Vectors]:
        """The synced vectors of a kind, by id (empty for the learning memory)."""
        return self._of(tenant_id, kind).vectors

    async def search(
        self, tenant_id: int, text: str, k: int, kind: Kind = "learning_memory"
    ) -> list[Hit]:
        """The tenant's ``k`` items of a kind most similar to ``text`` (refresh first)."""
        vector = (await self.embed([text]))[0]
        return await self.search_vector(tenant_id, vector, k, kind)

    async def search_vector(
        self, tenant_id: int, vector: Vectors, k: int, kind: Kind = "learning_memory"
    ) -> list[Hit]:
        """The tenant's ``k`` items of a kind nearest to an already embedded ``vector``."""
        index = (await self._index_of(tenant_id, kind)).index
        hits: list[Hit] = await _call(index.search, index, vector, k)
        return hits

    def loaded(self, tenant_id: int | None = None) -> int:
        """Items this process's indexes hold now, over every kind and every tenant or
        ``tenant_id``'s (an index is filled by the first search of its tenant and kind, so
        this lags what is searchable)."""
        return sum(len(held.index) for held in self._held(tenant_id))

    def state(self, searchable: int, tenant_id: int | None = None) -> str:
        """``empty`` when there is nothing to search, ``server`` or ``database`` when the
        vectors live in a shared store, ``unloaded`` until a search fills one of this
        process's indexes (of ``tenant_id`` when given), ``clustered`` once such a loaded
        index clusters its vectors, else ``exact`` (every item scanned)."""
        if searchable == 0:
            return "empty"
        if self.backend in SHARED_STATES:
            return SHARED_STATES[self.backend]
        held = self._held(tenant_id)
        if not any(len(kind_index.index) for kind_index in held):
            return "unloaded"
        clustered = any(getattr(kind_index.index, "trained", False) for kind_index in held)
        return "clustered" if clustered else "exact"

    def _held(self, tenant_id: int | None) -> list[_KindIndex]:
        return [
            held
            for (tenant, _), held in self._indexes.items()
            if tenant_id is None or tenant == tenant_id
        ]


async def _call(method: Callable[..., Any], index: AnyIndex, *args: object) -> Any:
    """Run one of ``index``'s methods: awaited when it is a coroutine, in a thread when it
    blocks on a server, else right here (an in-process index is fast, and must not change
    under a search in another thread)."""
    if inspect.iscoroutinefunction(method):
        return await method(*args)
    if isinstance(index, SharedIndex):
        return await asyncio.to_thread(method, *args)
    return method(*args)
