"""Opening the vector backend the settings name: which one, and its indexes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from vantage.core.db import Database
from vantage.packs.assist.search.embedders import Embedder
from vantage.packs.assist.search.index import (
    PGVECTOR,
    QDRANT_SERVER,
    VectorIndex,
    load_index_backend,
    make_index,
    resolve_backend,
)
from vantage.packs.assist.search.memory import IndexFactory, Kind
from vantage.packs.assist.search.pgvector import PgVectorTables, pgvector_installed
from vantage.packs.assist.settings import AssistSettings


async def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Backend:
    name: str
    index: IndexFactory
    close: Callable[[], Awaitable[None]]
    # Awaited before the first index is made: the in-process backend's import runs meanwhile.
    ready: Callable[[], Awaitable[None]] = _nothing


async def open_backend(settings: AssistSettings, embedder: Embedder, database: Database) -> Backend:
    """The backend for ``settings`` on ``database``, ready to make each tenant's indexes."""
    wants_pgvector = settings.vector_backend in ("auto", "pgvector")
    present = wants_pgvector and await pgvector_installed(database)
    name = resolve_backend(settings.vector_backend, settings.qdrant_url, present)
    if name == PGVECTOR:
        tables = PgVectorTables(database, embedder.dimension, embedder.name)
        return Backend(name, tables.index, _nothing)
    if name == QDRANT_SERVER:
        # The client asks the server its version: not on the event loop.
        return await asyncio.to_thread(_qdrant_server, settings, embedder)

    def local(_tenant_id: int, _kind: Kind) -> VectorIndex:
        return make_index(embedder.dimension, name)

    # Loaded in a worker thread while the server starts and serves; neither waits for it.
    loading = asyncio.ensure_future(asyncio.to_thread(load_index_backend, name))

    async def ready() -> None:
        await asyncio.shield(loading)

    async def close() -> None:
        await asyncio.gather(loading, return_exceptions=True)

    return Backend(name, local, close, ready)


def _qdrant_server(settings: AssistSettings, embedder: Embedder) -> Backend:
    from vantage.packs.assist.search.qdrant import QdrantCollections, QdrantServer

    assert settings.qdrant_url is not None
    key = settings.qdrant_api_key
    server = QdrantServer(
        settings.qdrant_url,
        key.get_secret_value() if key else None,
        settings.qdrant_collection_prefix,
        settings.qdrant_timeout_s,
    )
    collections = QdrantCollections(server, embedder.dimension, embedder.name)

    async def close() -> None:
        collections.close()

    return Backend(QDRANT_SERVER, collections.index, close)
