"""The conditional-read dependency: watermark ETags, 304s, the response cache, early answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.support import helperpack
from tests.support.auth import sign_in_as

COUNTS = f"{helperpack.PREFIX}/counts"
DECLARED = f"{helperpack.PREFIX}/counts/declared"


@pytest.fixture
async def client(client_for: ClientFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    helperpack.calls = helperpack.Calls()
    async with client_for(database_url, packs=[helperpack.HELPER_PACK]) as http:
        await sign_in_as(http)
        yield http


async def test_a_current_client_gets_a_304_without_computing(client: httpx.AsyncClient) -> None:
    first = await client.get(COUNTS)
    assert first.status_code == 200
    assert first.json() == {"watermark": 0, "computed": 1}
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("private, max-age=")

    again = await client.get(COUNTS, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert helperpack.calls.computed == 1


async def test_the_answer_is_cached_under_its_etag(client: httpx.AsyncClient) -> None:
    first = await client.get(COUNTS)
    second = await client.get(COUNTS)
    assert second.status_code == 200
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert helperpack.calls.computed == 1


async def test_an_ingest_moves_the_etag(client: httpx.AsyncClient) -> None:
    etag = (await client.get(COUNTS)).headers["etag"]
    assert (await client.post(f"{helperpack.PREFIX}/ingest")).status_code == 204
    fresh = await client.get(COUNTS, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag
    assert fresh.json() == {"watermark": 1, "computed": 2}


async def test_a_declared_model_gets_the_validators_and_varies_on_more(
    client: httpx.AsyncClient,
) -> None:
    today = await client.get(DECLARED)
    assert today.status_code == 200 and today.json()["watermark"] == 0
    etag = today.headers["etag"]
    assert (await client.get(DECLARED, headers={"If-None-Match": etag})).status_code == 304
    other_day = await client.get(DECLARED, params={"day": "tomorrow"})
    assert other_day.headers["etag"] != etag
    assert helperpack.calls.computed == 2


async def test_the_route_leaves_a_validator_for_the_early_answers(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    helperpack.calls = helperpack.Calls()
    async with client_for(
        sqlite_url, packs=[helperpack.HELPER_PACK], watermark_cache_seconds=30
    ) as http:
        await sign_in_as(http)
        etag = (await http.get(COUNTS)).headers["etag"]
        answers = http.app.state.core.early_answers  # type: ignore[attr-defined]
        assert len(answers.validators) == 1
        revalidated = await http.get(COUNTS, headers={"If-None-Match": etag})
        assert revalidated.status_code == 304
        assert answers.revalidations_answered._value.get() == 1
        # An ingest drops the watermark copy, so the validator no longer vouches for the URL.
        assert (await http.post(f"{helperpack.PREFIX}/ingest")).status_code == 204
        assert (await http.get(COUNTS, headers={"If-None-Match": etag})).status_code == 200
