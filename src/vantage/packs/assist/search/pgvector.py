"""Vector indexes in PostgreSQL with the pgvector extension, when the database has it.

Like a Qdrant server, the store is shared by every process: one table per kind and embedding
model holds every tenant's vectors, items changed or removed are upserted or deleted in place,
and each search scans only the tenant's rows (exact, by cosine distance).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from vantage.core.db import Database
from vantage.packs.assist.repository import vectors as rows
from vantage.packs.assist.search.embedders import Vectors
from vantage.packs.assist.search.index import PGVECTOR, SHARED_STATES, Hit

TABLE_PREFIX = "assist_vectors"


def table_name(kind: str, model: str, dimension: int) -> str:
    """One table per kind and model: vectors of two models never share one."""
    slug = re.sub(r"[^a-z0-9]+", "_", model.lower()).strip("_")
    return f"{TABLE_PREFIX}_{kind}_{slug}_{dimension}"[:63]


def _text_form(vector: Vectors) -> str:
    return "[" + ",".join(repr(float(value)) for value in vector) + "]"


async def pgvector_installed(database: Database) -> bool:
    """Whether the database is PostgreSQL with the ``vector`` extension installed."""
    if database.sqlite_path is not None:
        return False
    async with database.reader() as session:
        return await rows.extension_installed(session)


class PgVectorTables:
    """The pgvector tables of one database, and those this process made sure exist."""

    def __init__(self, database: Database, dimension: int, model: str) -> None:
        self.database = database
        self.dimension = dimension
        self.model = model
        self._ready: set[str] = set()
        self._lock = asyncio.Lock()

    def index(self, tenant_id: int, kind: str) -> PgVectorIndex:
        """The tenant's view of the kind's table."""
        return PgVectorIndex(self, table_name(kind, self.model, self.dimension), tenant_id)

    async def ensure(self, name: str) -> None:
        """Create the table unless this process saw it already."""
        if name in self._ready:
            return
        async with self._lock:
            if name not in self._ready:
                async with self.database.transaction() as session:
                    await rows.ensure_table(session, name, self.dimension)
                self._ready.add(name)


class PgVectorIndex:
    """One tenant's rows of one pgvector table."""

    backend = PGVECTOR
    state = SHARED_STATES[PGVECTOR]

    def __init__(self, tables: PgVectorTables, name: str, tenant_id: int) -> None:
        self.dimension = tables.dimension
        self._tables = tables
        self._name = name
        self._tenant_id = tenant_id
        self._keys: set[int] = set()

    async def add(self, keys: Sequence[int], vectors: Vectors) -> None:
        """Store (or replace) ``vectors`` under ``keys`` for the tenant."""
        await self._tables.ensure(self._name)
        pairs = [(int(key), _text_form(vector)) for key, vector in zip(keys, vectors, strict=True)]
        async with self._tables.database.transaction() as session:
            await rows.upsert(session, self._name, self._tenant_id, pairs)
        self._keys.update(key for key, _ in pairs)

    async def retain(self, keys: Sequence[int]) -> None:
        """Delete the tenant's rows whose keys are not in ``keys`` (whoever stored them)."""
        await self._tables.ensure(self._name)
        async with self._tables.database.transaction() as session:
            await rows.delete_except(session, self._name, self._tenant_id, keys)
        self._keys &= {int(key) for key in keys}

    async def search(self, query: Vectors, k: int) -> list[Hit]:
        """The tenant's ``k`` nearest keys by cosine similarity."""
        await self._tables.ensure(self._name)
        async with self._tables.database.reader() as session:
            return await rows.nearest(session, self._name, self._tenant_id, _text_form(query), k)

    def __len__(self) -> int:
        """The rows this process stored or kept for the tenant."""
        return len(self._keys)
