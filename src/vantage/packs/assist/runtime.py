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
from vantage.packs.assist.search.backends import open_backend
from vantage.packs.assist.search.embedders import Embedder, load_embedder
from vantage.packs.assist.search.memory import MemoryIndexes
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
        backend = await open_backend(chosen, embedder, context.core.database)
        runtime = AssistRuntime(
            settings=chosen,
            database=context.core.database,
            catalog=catalog,
            validator=validator,
            healer=Healer(validator, catalog, chosen.healing_default_limit),
            embedder=embedder,
            memory=MemoryIndexes(embedder, backend.name, backend.index, backend.ready),
            delivery_running=lambda: core.runtimes.find(DELIVERY_PACK, object) is not None,
        )
        context.core.runtimes.set(PACK_NAME, runtime)
        try:
            yield
        finally:
            context.core.runtimes.remove(PACK_NAME)
            await backend.close()

    return lifespan


# ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
async def _runtime(connection: HTTPConnection) -> AssistRuntime:
    return core_of(connection).runtimes.get(PACK_NAME, AssistRuntime)


AssistRuntimeDep = Annotated[AssistRuntime, Depends(_runtime)]
