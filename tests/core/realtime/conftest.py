from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
import redis

from tests.support.databases import REDIS_ENV, require_service
from tests.support.realtime import LiveServer, build_app, serve
from vantage.config import Settings


def _delete_prefixed(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    return require_service(REDIS_ENV)


@pytest.fixture
def redis_prefix(redis_url: str | None) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"vtest:rt:{uuid.uuid4().hex[:12]}:"
    yield prefix
    if redis_url:
        _delete_prefixed(redis_url, prefix)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend(
    request: pytest.FixtureRequest, redis_url: str | None, redis_prefix: str
) -> dict[str, Any]:
    """Settings selecting each realtime backend in turn."""
    if request.param == "memory":
        return {}
    if not redis_url:
        pytest.skip(f"{REDIS_ENV} is not set")
    return {"redis_url": redis_url, "realtime_redis_prefix": redis_prefix}


@pytest.fixture
def realtime_settings(
    make_settings: Callable[..., Settings], backend: dict[str, Any]
) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        values = {"realtime_auth_timeout_seconds": 1.0, **backend, **overrides}
        return make_settings(**values)

    return build


ServerFactory = Callable[..., AbstractAsyncContextManager[LiveServer]]


@pytest.fixture
def live_server(realtime_settings: Callable[..., Settings]) -> ServerFactory:
    """A real uvicorn server on the selected backend: ``async with live_server(**settings)``."""

    @asynccontextmanager
    async def run(small_send_buffers: bool = False, **overrides: Any) -> AsyncIterator[LiveServer]:
        app = build_app(realtime_settings(**overrides))
        async with serve(app, small_send_buffers=small_send_buffers) as server:
            yield server

    return run


@pytest.fixture
async def server(live_server: ServerFactory) -> AsyncIterator[LiveServer]:
    async with live_server() as running:
        yield running
