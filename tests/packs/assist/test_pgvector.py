"""Similarity search in PostgreSQL with pgvector: a real server with the extension (pgserver's
bundled PostgreSQL), one migrated database for the module, a tenant per test."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from pgserver.postgres_server import get_server

from tests.conftest import ClientFactory
from tests.packs.assist.conftest import TEST_SETTINGS, Analyst, make_analyst
from tests.packs.assist.delivery_data import Issue, feed
from tests.packs.assist.test_search import _questions, _remember, _similar
from tests.support.auth import app_of, create_tenant
from vantage.config import Settings
from vantage.core import migrations
from vantage.core.db import Database
from vantage.packs.assist.pack import create_pack
from vantage.packs.assist.search.embedders import LexicalEmbedder
from vantage.packs.assist.search.index import (
    PGVECTOR,
    QDRANT_LOCAL,
    QDRANT_SERVER,
    ClusteredIndex,
    ExactIndex,
    resolve_backend,
)
from vantage.packs.assist.search.pgvector import PgVectorTables
from vantage.packs.commerce import PACK as COMMERCE
from vantage.packs.delivery.pack import build_pack as build_delivery_pack


@pytest.fixture(scope="module")
def pgvector_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with the vector extension on a PostgreSQL of its own."""
    server = get_server(tmp_path_factory.mktemp("pgvector"), cleanup_mode="stop")
    socket_dir = server.get_uri().split("host=", 1)[1]
    name = f"vantage_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        connection = await asyncpg.connect(user="postgres", host=socket_dir, database="postgres")
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()
        connection = await asyncpg.connect(user="postgres", host=socket_dir, database=name)
        await connection.execute("CREATE EXTENSION vector")
        await connection.close()

    asyncio.run(create())
    url = f"postgresql+asyncpg://postgres@/{name}?host={socket_dir}"
    migrations.upgrade(url)
    yield url
    server.cleanup()


def test_the_backend_each_setting_means() -> None:
    assert resolve_backend("auto", None, pgvector=True) == PGVECTOR
    assert resolve_backend("auto", "http://qdrant:6333", pgvector=True) == QDRANT_SERVER
    assert resolve_backend("auto", None, pgvector=False) == QDRANT_LOCAL
    assert resolve_backend("numpy", None, pgvector=True) == ClusteredIndex.backend
    with pytest.raises(RuntimeError, match="CREATE EXTENSION vector"):
        resolve_backend("pgvector", None, pgvector=False)


async def test_each_tenant_finds_its_own_rows_as_exact_search_does(
    pgvector_url: str, tmp_path: Path
) -> None:
    database = Database(Settings(_env_file=None, database_url=pgvector_url, data_dir=tmp_path))
    embedder = LexicalEmbedder()
    tables = PgVectorTables(database, embedder.dimension, f"test-{uuid.uuid4().hex[:8]}")
    mine, theirs = tables.index(1, "work_item"), tables.index(2, "work_item")
    vectors = embedder.embed(_questions(200, seed=11))
    exact = ExactIndex(embedder.dimension)
    await mine.add(list(range(1, 101)), vectors[:100])
    exact.add(list(range(1, 101)), vectors[:100])
    await theirs.add(list(range(101, 201)), vectors[100:])
    shared = 0
    for query in embedder.embed(_questions(20, seed=12)):
        found = await mine.search(query, 10)
        expected = exact.search(query, 10)
        # Exact: the same similarities (equal ones may come in another order at the cut-off).
        assert [score for _, score in found] == pytest.approx([s for _, s in expected], abs=1e-5)
        shared += len({key for key, _ in found} & {key for key, _ in expected})
    assert shared / 200 >= 0.95
    await mine.retain([1, 2])
    assert {key for key, _ in await mine.search(vectors[0], 10)} == {1, 2}
    assert len(await theirs.search(vectors[150], 200)) == 100
    await mine.add([2], vectors[150:151])  # replaced, not added twice
    [(key, score)] = await mine.search(vectors[150], 1)
    assert key == 2 and score == pytest.approx(1.0, abs=1e-5)
    assert len(mine) == 2
    await database.dispose()


@pytest.fixture
async def pgvector_client(
    client_for: ClientFactory, pgvector_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = TEST_SETTINGS.model_copy(update={"vector_backend": "auto"})
    packs = [COMMERCE, build_delivery_pack(), create_pack(settings)]
    async with client_for(pgvector_url, packs=packs, rate_limit_enabled=False) as client:
        yield client


async def _new_analyst(client: httpx.AsyncClient) -> Analyst:
    return await make_analyst(client, (await create_tenant(app_of(client))).id)


async def test_search_through_the_app_uses_pgvector_and_keeps_tenants_apart(
    pgvector_client: httpx.AsyncClient,
) -> None:
    analyst, other = await _new_analyst(pgvector_client), await _new_analyst(pgvector_client)
    revenue = await _remember(analyst, "revenue by status", "SELECT status FROM commerce_orders")
    await _remember(other, "revenue by status", "SELECT 1")
    found = await pgvector_client.post(
        "/api/v1/search/similar", json={"text": "revenue per status"}, headers=analyst.headers
    )
    assert found.status_code == 200, found.text
    assert [hit["id"] for hit in found.json()["results"]] == [revenue]
    assert found.json()["backend"] == "pgvector"
    health = (await pgvector_client.get("/health/ml")).json()
    assert (health["backend"], health["index_state"]) == ("pgvector", "database")


async def test_an_item_changed_is_replaced_in_the_table(
    pgvector_client: httpx.AsyncClient,
) -> None:
    planner = await _new_analyst(pgvector_client)
    await feed(pgvector_client, planner.tenant_id, [Issue(1, "Slow invoice export")])
    await feed(pgvector_client, planner.tenant_id, [Issue(2, "Invoice export times out")])
    assert len(await _similar(planner, text="invoice export", kinds=["work_item"])) == 2
    await feed(pgvector_client, planner.tenant_id, [Issue(1, "Refund webhook retries")])
    renamed = await _similar(planner, text="refund webhook retries", kinds=["work_item"], k=1)
    assert [(hit["number"], hit["score"]) for hit in renamed] == [(1, pytest.approx(1.0, abs=1e-5))]
    embedder = LexicalEmbedder()
    tables = PgVectorTables(
        app_of(pgvector_client).state.database, embedder.dimension, embedder.name
    )
    stored = await tables.index(planner.tenant_id, "work_item").search(embedder.embed(["x"])[0], 10)
    assert len(stored) == 2  # the renamed item was replaced in place
