from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import event

from tests.support import databases
from vantage.core.cache import (
    CachedResponses,
    MemoryResponseCache,
    RedisResponseCache,
    SingleFlight,
    compute_etag,
    etag_matches,
)
from vantage.core.redis import create_redis
from vantage.core.watermarks import Watermark

SUMMARY = "/api/v1/testpack/summary"


@pytest.fixture
def client(admin_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return admin_client


@pytest.fixture
def sqlite_client(sqlite_admin_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return sqlite_admin_client


@contextmanager
def statements(client: httpx.AsyncClient) -> Iterator[list[str]]:
    """Record every SQL statement the app's engines execute."""
    database = client.app.state.database  # type: ignore[attr-defined]
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        # Transaction control and the job runtime's background loops are not the request's.
        background = any(table in statement for table in ("FROM jobs", "UPDATE jobs", "leases"))
        if not statement.startswith("BEGIN") and not background:
            seen.append(statement)

    engines = {database.write_engine.sync_engine, database.read_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


async def test_not_modified_runs_no_aggregation_query(client: httpx.AsyncClient) -> None:
    first = await client.get(SUMMARY)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("private, max-age=")

    with statements(client) as seen:
        again = await client.get(SUMMARY, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    # Authentication looks up the caller; the only other query is the watermark key lookup.
    assert [s for s in seen if "FROM users" not in s] == [s for s in seen if "data_watermarks" in s]
    assert sum("data_watermarks" in s for s in seen) == 1
    assert not any("count(" in s.lower() for s in seen)


async def test_ingest_commit_changes_the_etag(client: httpx.AsyncClient) -> None:
    etag = (await client.get(SUMMARY)).headers["etag"]
    assert (await client.post("/api/v1/testpack/ingest")).status_code == 204
    fresh = await client.get(SUMMARY, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag
    assert fresh.json()["watermark"] == 1


async def test_query_parameters_are_part_of_the_etag(sqlite_client: httpx.AsyncClient) -> None:
    plain = (await sqlite_client.get(SUMMARY)).headers["etag"]
    other = (await sqlite_client.get(SUMMARY + "?days=7")).headers["etag"]
    reordered_a = (await sqlite_client.get(SUMMARY + "?a=1&b=2")).headers["etag"]
    reordered_b = (await sqlite_client.get(SUMMARY + "?b=2&a=1")).headers["etag"]
    assert plain != other
    assert reordered_a == reordered_b


def test_etag_depends_on_tenant_and_watermark() -> None:
    base = compute_etag("/r", [("days", "7")], 1, Watermark(3, None))
    assert base != compute_etag("/r", [("days", "7")], 2, Watermark(3, None))
    assert base != compute_etag("/r", [("days", "7")], 1, Watermark(4, None))
    assert base == compute_etag("/r", [("days", "7")], 1, Watermark(3, None))


@pytest.mark.parametrize(
    ("header", "hit"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"abd"', False),
        ("", False),
    ],
)
def test_if_none_match_parsing(header: str, hit: bool) -> None:
    assert etag_matches(header, '"abc"') is hit


async def test_cached_body_is_served_without_the_aggregation(client: httpx.AsyncClient) -> None:
    first = await client.get(SUMMARY + "/cached")
    assert first.status_code == 200 and first.json()["users"] == 1  # the signed-in admin
    with statements(client) as seen:
        second = await client.get(SUMMARY + "/cached")
    assert second.json() == first.json()
    assert not any("count(" in s.lower() for s in seen)  # auth and watermark lookups only


async def test_memory_cache_expires_and_evicts() -> None:
    cache = MemoryResponseCache(max_entries=2)
    await cache.set("a", b"1", ttl=0.05)
    await cache.set("b", b"2", ttl=10)
    await cache.set("c", b"3", ttl=10)
    assert await cache.get("a") is None  # evicted (least recently used)
    assert await cache.get("c") == b"3"
    await cache.set("d", b"4", ttl=0.01)
    await asyncio.sleep(0.03)
    assert await cache.get("d") is None


async def test_single_flight_computes_once_for_concurrent_misses() -> None:
    calls = 0

    async def compute() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return b"v"

    cached = CachedResponses(MemoryResponseCache(10), ttl=10)
    results = await asyncio.gather(*(cached.get_or_compute("k", compute) for _ in range(20)))
    assert results == [b"v"] * 20 and calls == 1
    flights = SingleFlight()

    async def boom() -> bytes:
        raise ValueError("nope")

    with pytest.raises(ValueError):
        await flights.run("k", boom)


@pytest.mark.redis
async def test_redis_cache_round_trip_and_fails_open() -> None:
    url = databases.require_service(databases.REDIS_ENV)
    if not url:
        pytest.skip(f"{databases.REDIS_ENV} is not set")
    redis = create_redis(url)
    try:
        cache = RedisResponseCache(redis, prefix=f"test:{id(redis)}:")
        await cache.set("k", b"value", ttl=5)
        assert await cache.get("k") == b"value"
    finally:
        await redis.aclose()
    broken = create_redis("redis://127.0.0.1:9/0")
    try:
        dead = RedisResponseCache(broken)
        assert await dead.get("k") is None
        await dead.set("k", b"value", ttl=5)  # swallowed, logged
    finally:
        await broken.aclose()


def test_path_parameters_are_part_of_the_etag() -> None:
    from starlette.requests import Request
    from starlette.responses import Response

    from vantage.core.cache import check_freshness

    def etag_for(customer: str) -> str:
        scope = {
            "type": "http",
            "method": "GET",
            "path": f"/customers/{customer}",
            "query_string": b"",
            "headers": [],
            "path_params": {"customer_id": customer},
        }
        return check_freshness(Request(scope), Response(), 1, Watermark(1, None), max_age=5)

    assert etag_for("a") != etag_for("b")
    assert etag_for("a") == etag_for("a")
