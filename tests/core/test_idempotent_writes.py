"""The idempotent-write helper: replays, a reused key, a key in flight, a refused batch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.support import helperpack
from tests.support.auth import sign_in_as

ITEMS = f"{helperpack.PREFIX}/items"
BATCH = {"items": [{"name": "bolt", "quantity": 3}, {"name": "nut", "quantity": 5}]}


@pytest.fixture
async def client(client_for: ClientFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    helperpack.calls = helperpack.Calls()
    async with client_for(database_url, packs=[helperpack.HELPER_PACK]) as http:
        await sign_in_as(http)
        yield http


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def test_a_replay_returns_the_first_response(client: httpx.AsyncClient) -> None:
    first = await client.post(ITEMS, json=BATCH, headers=keyed("batch-1"))
    assert first.status_code == 200 and first.json() == {"stored": 2, "run": 1}
    assert "idempotent-replayed" not in first.headers

    replay = await client.post(ITEMS, json=BATCH, headers=keyed("batch-1"))
    assert replay.status_code == 200 and replay.content == first.content
    assert replay.headers["idempotent-replayed"] == "true"
    assert helperpack.calls.writes == 1


async def test_without_a_key_every_request_runs(client: httpx.AsyncClient) -> None:
    assert (await client.post(ITEMS, json=BATCH)).json()["run"] == 1
    assert (await client.post(ITEMS, json=BATCH)).json()["run"] == 2


async def test_the_same_key_with_another_body_is_a_422(client: httpx.AsyncClient) -> None:
    assert (await client.post(ITEMS, json=BATCH, headers=keyed("batch-2"))).status_code == 200
    other = {"items": [{"name": "washer", "quantity": 1}]}
    reused = await client.post(ITEMS, json=other, headers=keyed("batch-2"))
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["type"] == "idempotency_key_reused"
    assert helperpack.calls.writes == 1


async def test_a_key_in_flight_is_a_409(client: httpx.AsyncClient) -> None:
    first = asyncio.create_task(
        client.post(ITEMS, json=BATCH, headers=keyed("batch-3"), params={"hold": "true"})
    )
    await asyncio.wait_for(helperpack.calls.holding.wait(), timeout=10)
    try:
        second = await client.post(ITEMS, json=BATCH, headers=keyed("batch-3"))
        assert second.status_code == 409
        assert int(second.headers["retry-after"]) >= 1
    finally:
        helperpack.calls.release.set()
    assert (await first).status_code == 200
    assert helperpack.calls.writes == 1


async def test_a_refused_request_is_replayed_as_refused(client: httpx.AsyncClient) -> None:
    empty = await client.post(ITEMS, json={"items": []}, headers=keyed("batch-4"))
    assert empty.status_code == 422
    again = await client.post(ITEMS, json={"items": []}, headers=keyed("batch-4"))
    assert again.status_code == 422 and again.content == empty.content
    assert again.headers["idempotent-replayed"] == "true"
