"""Rate limits in one process, on the memory storage and on Redis."""

from __future__ import annotations

import asyncio
import math
import re
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from tests.conftest import ClientFactory
from tests.support.auth import (
    api_key_headers,
    app_of,
    create_api_key,
    create_user,
    headers_for,
)
from tests.support.databases import REDIS_ENV, require_service
from tests.support.ratelimits import delete_limit_keys
from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope
from vantage.core.packs import Pack
from vantage.core.ratelimit import rate_limit, rate_limit_headers

WINDOW_ROUTE = "/api/v1/testpack/window"
RATE_LIMIT_STATE = re.compile(r'^"(?P<group>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, Any]]:
    """Settings for one limit storage, with a key prefix no other test shares."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    if request.param == "memory":
        yield {"rate_limit_key_prefix": prefix}
        return
    url = require_service(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set")
    yield {"redis_url": url, "rate_limit_key_prefix": prefix}
    await delete_limit_keys(url, prefix)


class Ok(BaseModel):
    ok: bool = True


principal_router = APIRouter(
    prefix="/api/v1/limited",
    dependencies=[Depends(rate_limit("per-principal"))],
)


@principal_router.get("/thing", response_model=Ok)
async def thing() -> Ok:
    return Ok()


@principal_router.get("/stream")
async def stream(request: Request) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        yield b"data: one\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream", headers=rate_limit_headers(request)
    )


LIMITED_PACK = Pack(name="limited", title="Limited", version="1", router=principal_router)


async def test_headers_on_success_and_on_429(
    client_for: ClientFactory, sqlite_url: str, backend: dict[str, Any]
) -> None:
    async with client_for(
        sqlite_url, signed_in=True, rate_limit_default="3/minute", **backend
    ) as client:
        for expected_remaining in (2, 1, 0):
            response = await client.get(WINDOW_ROUTE)
            assert response.status_code == 200
            assert response.headers["RateLimit-Policy"] == '"default";q=3;w=60'
            state = RATE_LIMIT_STATE.match(response.headers["RateLimit"])
            assert state and state["group"] == "default"
            assert int(state["r"]) == expected_remaining
            assert response.headers["X-RateLimit-Limit"] == "3"
            assert response.headers["X-RateLimit-Remaining"] == str(expected_remaining)
            assert response.headers["X-RateLimit-Reset"] == state["t"]
            assert 1 <= int(state["t"]) <= 60

        refused = await client.get(WINDOW_ROUTE)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "RATE_LIMITED"
    assert refused.headers["RateLimit-Policy"] == '"default";q=3;w=60'
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["Retry-After"] == refused.headers["X-RateLimit-Reset"]
    assert RATE_LIMIT_STATE.match(refused.headers["RateLimit"])["r"] == "0"  # type: ignore[index]
    assert refused.headers["Cache-Control"] == "no-store"


async def test_retry_after_is_the_real_wait(
    client_for: ClientFactory, sqlite_url: str, backend: dict[str, Any]
) -> None:
    async with client_for(
        sqlite_url, signed_in=True, rate_limit_default="2/minute", **backend
    ) as client:
        first_sent = time.time()
        assert (await client.get(WINDOW_ROUTE)).status_code == 200
        assert (await client.get(WINDOW_ROUTE)).status_code == 200
        refused = await client.get(WINDOW_ROUTE)
        answered = time.time()
    retry_after = int(refused.headers["Retry-After"])
    # The first request leaves the window 60 s after it was counted, which happened after
    # `first_sent`; the wait was computed before `answered`.
    assert math.ceil(first_sent + 60 - answered) <= retry_after <= 60


async def test_request_is_admitted_once_retry_after_has_passed(
    client_for: ClientFactory, sqlite_url: str, backend: dict[str, Any]
) -> None:
    async with client_for(
        sqlite_url, signed_in=True, rate_limit_default="1/2 seconds", **backend
    ) as client:
        assert (await client.get(WINDOW_ROUTE)).status_code == 200
        refused = await client.get(WINDOW_ROUTE)
        assert refused.status_code == 429
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= 2
        await asyncio.sleep(retry_after)
        assert (await client.get(WINDOW_ROUTE)).status_code == 200


async def test_principals_do_not_share_a_budget(
    client_for: ClientFactory, sqlite_url: str, backend: dict[str, Any]
) -> None:
    overrides = {"rate_limits": {"per-principal": "2/minute"}, **backend}
    async with client_for(sqlite_url, packs=[LIMITED_PACK], **overrides) as client:
        app = app_of(client)
        first = headers_for(app, await create_user(app, Role.VIEWER))
        second = headers_for(app, await create_user(app, Role.VIEWER))
        key = api_key_headers(await create_api_key(app, [Scope.READ]))

        async def statuses(headers: dict[str, str]) -> list[int]:
            return [
                (await client.get("/api/v1/limited/thing", headers=headers)).status_code
                for _ in range(3)
            ]

        assert await statuses(first) == [200, 200, 429]
        # Another user, an API key and an anonymous caller each have their own budget.
        assert await statuses(second) == [200, 200, 429]
        assert await statuses(key) == [200, 200, 429]
        assert await statuses({}) == [200, 200, 429]
        # Groups are budgets of their own: the default group is untouched.
        packs = await client.get("/api/v1/packs", headers=first)
    assert packs.status_code == 200
    assert packs.headers["X-RateLimit-Remaining"] == "599"


async def test_streaming_responses_carry_the_headers(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, signed_in=True, packs=[LIMITED_PACK]) as client:
        response = await client.get("/api/v1/limited/stream")
    assert response.status_code == 200
    assert response.text == "data: one\n\n"
    assert response.headers["RateLimit-Policy"] == '"per-principal";q=600;w=60'
    assert response.headers["X-RateLimit-Remaining"] == "599"


async def test_core_routes_limited_and_unlimited(
    client_for: ClientFactory, sqlite_url: str, backend: dict[str, Any]
) -> None:
    async with client_for(
        sqlite_url, signed_in=True, rate_limit_default="1/minute", **backend
    ) as client:
        assert (await client.get("/api/v1/packs")).status_code == 200
        assert (await client.get("/api/v1/packs")).status_code == 429
        for path in ("/health/live", "/health", "/metrics", "/docs", "/openapi.json"):
            for _ in range(3):
                response = await client.get(path)
                assert response.status_code == 200, path
                assert "RateLimit" not in response.headers
        metrics = (await client.get("/metrics")).text
    assert 'vantage_rate_limited_requests_total{group="default"} 1.0' in metrics


async def test_trusted_proxy_clients_have_their_own_budgets(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    # Anonymous callers spend their address's budget; the in-process transport's peer is
    # 127.0.0.1. `GET /` is public and in the default group.
    async def statuses(client: httpx.AsyncClient) -> list[int]:
        return [
            (await client.get("/", headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
            for n in (1, 2, 1)
        ]

    async with client_for(sqlite_url, rate_limit_default="1/minute") as client:
        assert await statuses(client) == [200, 429, 429]
    async with client_for(
        sqlite_url, rate_limit_default="1/minute", forwarded_allow_ips=["127.0.0.1"]
    ) as client:
        assert await statuses(client) == [200, 200, 429]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_redis() -> Iterator[int]:
    """A port that accepts connections and never answers, like a hung Redis."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


async def test_redis_outage_fails_open_by_default(
    client_for: ClientFactory, sqlite_url: str, closed_port: int
) -> None:
    redis_url = f"redis://127.0.0.1:{closed_port}/0"
    async with client_for(sqlite_url, signed_in=True, redis_url=redis_url) as client:
        response = await client.get(WINDOW_ROUTE)
        metrics = (await client.get("/metrics")).text
    assert response.status_code == 200
    assert response.headers["RateLimit-Policy"] == '"default";q=600;w=60'
    assert "X-RateLimit-Remaining" not in response.headers  # unknown while the storage is down
    assert 'vantage_rate_limit_storage_errors_total{group="default"} 1.0' in metrics


@pytest.mark.parametrize("outage", ["closed", "silent"])
async def test_redis_outage_fails_closed_when_configured(
    client_for: ClientFactory, sqlite_url: str, closed_port: int, silent_redis: int, outage: str
) -> None:
    port = closed_port if outage == "closed" else silent_redis
    settings = {"redis_url": f"redis://127.0.0.1:{port}/0", "rate_limit_fail_open": False}
    async with client_for(sqlite_url, signed_in=True, **settings) as client:
        began = time.perf_counter()
        response = await client.get(WINDOW_ROUTE)
        elapsed = time.perf_counter() - began
    assert response.status_code == 503
    assert response.json()["code"] == "UNAVAILABLE"
    assert response.headers["Retry-After"] == "1"
    # Storage calls give up after 0.5 s; a generous margin for a loaded machine.
    assert elapsed < 3.0


async def test_rate_limits_can_be_switched_off(client_for: ClientFactory, sqlite_url: str) -> None:
    settings = {"rate_limit_default": "1/minute", "rate_limit_enabled": False}
    async with client_for(sqlite_url, signed_in=True, **settings) as client:
        responses = [await client.get(WINDOW_ROUTE) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "RateLimit" not in responses[-1].headers
