"""The limiter is exact across worker processes: a real uvicorn with two workers on one Redis."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import multiprocess

from tests.conftest import TEST_SECRET
from tests.support.databases import REDIS_ENV, require_service
from tests.support.ratelimits import delete_limit_keys
from tests.support.server import uvicorn_server

pytestmark = [pytest.mark.redis, pytest.mark.serial]

QUOTA = 50
BURST = 200


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    url = require_service(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set")
    yield url


async def _burst(
    base_url: str, local_address: str, forwarded: bool, count: int = BURST
) -> list[httpx.Response]:
    transport = httpx.AsyncHTTPTransport(
        local_address=local_address,
        limits=httpx.Limits(max_connections=BURST, max_keepalive_connections=BURST),
    )
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=30) as client:

        async def one() -> httpx.Response:
            headers = {}
            if forwarded:
                octets = ".".join(str(random.randint(1, 254)) for _ in range(4))
                headers["X-Forwarded-For"] = octets
            return await client.get("/", headers=headers)

        return await asyncio.gather(*(one() for _ in range(count)))


def _requests_by_worker(metrics_dir: Path) -> dict[str, float]:
    """How many ``GET /`` each worker process answered (from its multiprocess metrics file)."""
    served: dict[str, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        # prometheus_client leaves MultiProcessCollector.merge unannotated.
        merged = multiprocess.MultiProcessCollector.merge(  # type: ignore[no-untyped-call]
            [str(path)], accumulate=False
        )
        for metric in merged:
            for sample in metric.samples:
                if sample.name == "vantage_http_requests_total" and sample.labels["route"] == "/":
                    served[path.stem] = served.get(path.stem, 0.0) + sample.value
    return served


def _assert_exact(responses: list[httpx.Response]) -> None:
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: QUOTA, 429: BURST - QUOTA}
    for response in responses:
        if response.status_code == 429:
            retry_after = int(response.headers["Retry-After"])
            assert 1 <= retry_after <= 60
            assert response.json()["code"] == "RATE_LIMITED"


async def test_two_workers_share_one_exact_budget(
    redis_url: str, sqlite_url: str, tmp_path: Path
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        "VANTAGE_DATABASE_URL": sqlite_url,
        "VANTAGE_DATA_DIR": str(tmp_path / "data"),
        "VANTAGE_JWT_SECRET": TEST_SECRET,
        "VANTAGE_REDIS_URL": redis_url,
        "VANTAGE_RATE_LIMIT_DEFAULT": f"{QUOTA}/minute",
        "VANTAGE_RATE_LIMIT_KEY_PREFIX": prefix,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    try:
        with uvicorn_server(env, tmp_path, workers=2) as server:
            # Open the workers' Redis connections first, as in any server that has been up a
            # while, from an address of its own so the measured budgets stay untouched.
            await _burst(server.url, "127.0.0.3", forwarded=False, count=QUOTA)
            direct = await _burst(server.url, "127.0.0.1", forwarded=False)
            # Another peer address has a budget of its own; an untrusted X-Forwarded-For
            # must not mint fresh budgets.
            spoofed = await _burst(server.url, "127.0.0.2", forwarded=True)
            outages = server.events("rate-limit storage unavailable")
    finally:
        await delete_limit_keys(redis_url, prefix)
    assert outages == []  # every answer below came from the shared counter, none failed open
    served = _requests_by_worker(metrics_dir)
    assert len(served) == 2 and all(count > 0 for count in served.values()), served
    _assert_exact(direct)
    _assert_exact(spoofed)
