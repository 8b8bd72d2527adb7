"""What the assist pack keeps for the life of the application, and how handlers reach it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from vantage.core.context import core_of
from vantage.core.db import Database
from vantage.core.packs import PackContext
from vantage.packs.assist.search.embedders import Embedder, load_embedder
from vantage.packs.assist.search.index import (
    QDRANT_SERVER,
    VectorIndex,
    make_index,
    resolve_backend,
)
from vantage.packs.assist.search.memory import IndexFactory, Kind, MemoryIndexes
from vantage.packs.assist.settings import AssistSettings
from vantage.packs.assist.sql.catalog import Catalog
from vantage.packs.assist.sql.healing import Healer
from vantage.packs.assist.sql.parsing import Dialect
from vantage.packs.assist.sql.validator import SqlValidator

PACK_NAME = "assist"


@dataclass
class AssistRuntime:
    settings: AssistSettings
    database: Database
    catalog: Catalog
    validator: SqlValidator
    healer: Healer
    embedder: Embedder
    memory: MemoryIndexes
    # Asked on each read: the delivery pack is optional and may start after this one.
    delivery_running: Callable[[], bool]

    @property
    def dialect(self) -> Dialect:
        """The SQL dialect of the database queries run on."""
        return "sqlite" if self.database.sqlite_path is not None else "postgres"


DELIVERY_PACK = "delivery"


def _indexes(
    settings: AssistSettings, embedder: Embedder
) -> tuple[str, IndexFactory, Callable[[], None]]:
    """The vector backend the settings name, how to make a tenant's index of a kind, and
    how to let go of what the backend holds."""
    backend = resolve_backend(settings.vector_backend, settings.qdrant_url)
    if backend != QDRANT_SERVER:

        def local(_tenant_id: int, _kind: Kind) -> VectorIndex:
            return make_index(embedder.dimension, backend)

        return backend, local, lambda: None
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
    return backend, collections.index, collections.close


def lifespan_for(
    settings: AssistSettings | None,
) -> Callable[[PackContext], AbstractAsyncContextManager[None]]:
    """The pack's lifespan; ``settings`` replaces the environment's (tests, embedding)."""

    @asynccontextmanager
    async def lifespan(context: PackContext) -> AsyncIterator[None]:
        # sqlglot warns on every statement it cannot model; those are refused, not news.
        logging.getLogger("sqlglot").setLevel(logging.ERROR)
        chosen = settings or AssistSettings()
        core = context.core
        catalog = Catalog()
        validator = SqlValidator(catalog)
        embedder = await asyncio.to_thread(load_embedder, chosen.embedder)
        # A server's client asks the server its version: not on the event loop.
        backend, make_tenant_index, close_indexes = await asyncio.to_thread(
            _indexes, chosen, embedder
        )
        runtime = AssistRuntime(
            settings=chosen,
            database=context.core.database,
            catalog=catalog,
            validator=validator,
            healer=Healer(validator, catalog, chosen.healing_default_limit),
            embedder=embedder,
            memory=MemoryIndexes(embedder, backend, make_tenant_index),
            delivery_running=lambda: core.runtimes.find(DELIVERY_PACK, object) is not None,
        )
        context.core.runtimes.set(PACK_NAME, runtime)
        try:
            yield
        finally:
            context.core.runtimes.remove(PACK_NAME)
            close_indexes()

    return lifespan


# ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
async def _runtime(connection: HTTPConnection) -> AssistRuntime:
    return core_of(connection).runtimes.get(PACK_NAME, AssistRuntime)


AssistRuntimeDep = Annotated[AssistRuntime, Depends(_runtime)]
