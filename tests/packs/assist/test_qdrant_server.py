"""Similarity search on a Qdrant server by URL (a fake server speaking Qdrant's REST API)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import ClientFactory
from tests.packs.assist.conftest import TEST_SETTINGS, Analyst, make_analyst
from tests.packs.assist.delivery_data import Issue, feed
from tests.packs.assist.test_search import _questions, _remember, _similar
from tests.support.auth import DEFAULT_TENANT_ID, app_of, create_tenant
from tests.support.fake_qdrant import FakeQdrant, fake_qdrant
from vantage.core.errors import Unavailable
from vantage.packs.assist.pack import create_pack
from vantage.packs.assist.search.embedders import LexicalEmbedder
from vantage.packs.assist.search.index import ExactIndex
from vantage.packs.assist.search.qdrant import QdrantCollections, QdrantServer
from vantage.packs.commerce import PACK as COMMERCE
from vantage.packs.delivery.pack import build_pack as build_delivery_pack

API_KEY = "qdrant-test-key"
MODEL = LexicalEmbedder().name


@pytest.fixture
def qdrant() -> Iterator[FakeQdrant]:
    with fake_qdrant(api_key=API_KEY) as server:
        yield server


def _collections(qdrant: FakeQdrant, prefix: str = "vantage") -> QdrantCollections:
    server = QdrantServer(qdrant.url, API_KEY, prefix)
    return QdrantCollections(server, LexicalEmbedder().dimension, MODEL)


def _assert_same_ranking(found: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    """The same points with the same scores, best first. The server scores in float64, so two
    points whose float32 scores tie may come back in either order."""
    assert {key for key, _ in found} == {key for key, _ in expected}
    assert [score for _, score in found] == pytest.approx([s for _, s in expected], abs=1e-6)


def test_each_tenant_finds_its_own_points_as_exact_search_does(qdrant: FakeQdrant) -> None:
    embedder = LexicalEmbedder()
    collections = _collections(qdrant)
    mine, theirs = collections.index(1, "work_item"), collections.index(2, "work_item")
    vectors = embedder.embed(_questions(200, seed=7))
    exact = ExactIndex(embedder.dimension)
    mine.add(list(range(1, 101)), vectors[:100])
    exact.add(list(range(1, 101)), vectors[:100])
    theirs.add(list(range(101, 201)), vectors[100:])
    for query in embedder.embed(_questions(20, seed=8)):
        _assert_same_ranking(mine.search(query, 10), exact.search(query, 10))
    [name] = qdrant.state.collections
    assert name == f"vantage_work_item_{MODEL}_{embedder.dimension}"
    assert qdrant.state.collections[name].payload_indexes["tenant_id"]["is_tenant"] is True
    assert (len(mine), len(theirs)) == (100, 100)
    collections.close()


def test_retain_deletes_only_the_tenants_other_points(qdrant: FakeQdrant) -> None:
    embedder = LexicalEmbedder()
    collections = _collections(qdrant)
    mine, theirs = collections.index(1, "work_item"), collections.index(2, "work_item")
    vectors = embedder.embed(_questions(6, seed=9))
    mine.add([1, 2, 3], vectors[:3])
    theirs.add([4, 5, 6], vectors[3:])
    mine.retain([2])
    [name] = qdrant.state.collections
    assert qdrant.state.tenant_points(name, 1) == {2}
    assert qdrant.state.tenant_points(name, 2) == {4, 5, 6}
    assert [key for key, _ in mine.search(vectors[0], 10)] == [2]
    mine.retain([])
    assert qdrant.state.tenant_points(name, 1) == set() and len(mine) == 0


def test_a_collection_another_process_just_made_is_not_an_error(qdrant: FakeQdrant) -> None:
    vector = LexicalEmbedder().embed(["orders"])
    _collections(qdrant).index(1, "learning_memory").add([1], vector)
    qdrant.state.hide_collections = True  # the race: both see no collection, both create it
    late = _collections(qdrant).index(1, "learning_memory")
    late.add([2], vector)
    assert [key for key, _ in late.search(vector[0], 5)] == [1, 2]
    [name] = qdrant.state.collections
    assert qdrant.state.requests.count(("PUT", f"/collections/{name}")) == 2  # one refused


def test_a_wrong_key_or_a_server_that_is_down_is_unavailable(qdrant: FakeQdrant) -> None:
    vector = LexicalEmbedder().embed(["orders"])
    wrong = QdrantServer(qdrant.url, "not-the-key")
    index = QdrantCollections(wrong, LexicalEmbedder().dimension, MODEL).index(1, "work_item")
    with pytest.raises(Unavailable):
        index.add([1], vector)
    working = _collections(qdrant).index(1, "work_item")
    working.add([1], vector)
    qdrant.stop()
    with pytest.raises(Unavailable):
        working.search(vector[0], 5)


@pytest.fixture
async def server_client(
    client_for: ClientFactory, sqlite_url: str, qdrant: FakeQdrant
) -> AsyncIterator[httpx.AsyncClient]:
    """An app on a Qdrant server (what is stored in the database does not matter here)."""
    settings = TEST_SETTINGS.model_copy(
        update={
            "vector_backend": "auto",
            "qdrant_url": qdrant.url,
            "qdrant_api_key": SecretStr(API_KEY),
        }
    )
    packs = [COMMERCE, build_delivery_pack(), create_pack(settings)]
    async with client_for(sqlite_url, packs=packs, rate_limit_enabled=False) as client:
        yield client


async def test_search_through_the_app_keeps_tenants_apart(
    server_client: httpx.AsyncClient, qdrant: FakeQdrant
) -> None:
    analyst = await make_analyst(server_client, DEFAULT_TENANT_ID)
    other = await make_analyst(server_client, (await create_tenant(app_of(server_client))).id)
    revenue = await _remember(analyst, "revenue by status", "SELECT status FROM commerce_orders")
    await _remember(other, "revenue by status", "SELECT 1")
    found = await server_client.post(
        "/api/v1/search/similar", json={"text": "revenue per status"}, headers=analyst.headers
    )
    body = found.json()
    assert found.status_code == 200, found.text
    assert [hit["id"] for hit in body["results"]] == [revenue]
    assert body["backend"] == "qdrant-server"
    health = (await server_client.get("/health/ml")).json()
    assert (health["backend"], health["index_state"]) == ("qdrant-server", "server")


async def test_an_item_changed_is_replaced_on_the_server(
    server_client: httpx.AsyncClient, qdrant: FakeQdrant
) -> None:
    planner: Analyst = await make_analyst(server_client, DEFAULT_TENANT_ID)
    await feed(server_client, planner.tenant_id, [Issue(1, "Slow invoice export")])
    await feed(server_client, planner.tenant_id, [Issue(2, "Invoice export times out")])
    assert len(await _similar(planner, text="invoice export", kinds=["work_item"])) == 2
    await feed(server_client, planner.tenant_id, [Issue(1, "Refund webhook retries")])
    renamed = await _similar(planner, text="refund webhook retries", kinds=["work_item"], k=1)
    assert [(hit["number"], hit["score"]) for hit in renamed] == [(1, pytest.approx(1.0, abs=1e-5))]
    name = next(name for name in qdrant.state.collections if "_work_item_" in name)
    assert len(qdrant.state.tenant_points(name, planner.tenant_id)) == 2


async def test_a_stale_point_left_on_the_server_is_pruned_at_the_first_sync(
    server_client: httpx.AsyncClient, qdrant: FakeQdrant
) -> None:
    planner = await make_analyst(server_client, DEFAULT_TENANT_ID)
    await feed(server_client, planner.tenant_id, [Issue(1, "Slow invoice export")])
    stale = _collections(qdrant).index(planner.tenant_id, "work_item")
    stale.add([999_999], LexicalEmbedder().embed(["invoice export slow"]))  # an item since gone
    hits = await _similar(planner, text="invoice export", kinds=["work_item"])
    assert [hit["title"] for hit in hits] == ["Slow invoice export"]
    name = next(name for name in qdrant.state.collections if "_work_item_" in name)
    assert 999_999 not in qdrant.state.tenant_points(name, planner.tenant_id)


async def test_a_server_that_is_down_is_a_503(
    server_client: httpx.AsyncClient, qdrant: FakeQdrant
) -> None:
    analyst = await make_analyst(server_client, DEFAULT_TENANT_ID)
    await _remember(analyst, "orders per day", "SELECT day FROM commerce_orders")
    qdrant.stop()
    response = await server_client.post(
        "/api/v1/search/similar", json={"text": "orders"}, headers=analyst.headers
    )
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
