from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.support import databases
from tests.support.auth import TEST_PASSWORD, app_of, bare_client, create_user

pytestmark = pytest.mark.serial

PROBLEM = "application/problem+json"


def _random_ip() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] or 1}"


async def _attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", json={"email": email, "password": password})


async def test_guessing_one_account_is_throttled_early(sqlite_client: httpx.AsyncClient) -> None:
    user = await create_user(app_of(sqlite_client))
    first_throttled = None
    statuses = []
    for attempt in range(1, 121):
        response = await _attempt(sqlite_client, user.email, f"guess {attempt}")
        statuses.append(response.status_code)
        if response.status_code == 429 and first_throttled is None:
            first_throttled = attempt
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["code"] == "RATE_LIMITED"
            retry_after = int(response.headers["retry-after"])
            assert 1 <= retry_after <= 60
    assert first_throttled is not None and first_throttled < 100, statuses
    assert set(statuses[: first_throttled - 1]) == {401}
    assert set(statuses[first_throttled - 1 :]) == {429}
    # While the account is throttled even the right password waits: guesses cannot probe it.
    right = await _attempt(sqlite_client, user.email, TEST_PASSWORD)
    assert right.status_code == 429
    # Other accounts are not affected by one account's lock.
    other = await create_user(app_of(sqlite_client))
    assert (await _attempt(sqlite_client, other.email, TEST_PASSWORD)).status_code == 200


async def test_a_burst_of_parallel_guesses_cannot_exceed_the_limit(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, login_limit_per_account="10/minute") as client:
        user = await create_user(app_of(client))
        responses = await asyncio.gather(
            *(_attempt(client, user.email, f"guess {n}") for n in range(30))
        )
    statuses = [response.status_code for response in responses]
    assert statuses.count(401) == 10, statuses
    assert statuses.count(429) == 20, statuses


async def test_one_address_guessing_many_accounts_is_throttled(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, login_limit_per_ip="5/minute") as client:
        app = app_of(client)
        statuses = [
            (await _attempt(client, f"nobody{n}@example.com", "guess")).status_code
            for n in range(7)
        ]
        assert statuses == [401] * 5 + [429] * 2
        async with bare_client(app, client_ip="192.0.2.10") as elsewhere:
            user = await create_user(app)
            assert (await _attempt(elsewhere, user.email, TEST_PASSWORD)).status_code == 200


async def test_unknown_and_known_emails_fail_in_the_same_time(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    generous = {"login_limit_per_account": "1000/minute", "login_limit_per_ip": "1000/minute"}
    async with client_for(sqlite_url, **generous) as client:
        user = await create_user(app_of(client))
        samples: dict[str, list[float]] = {"known": [], "unknown": []}
        for round_number in range(17):
            for kind, email in (("known", user.email), ("unknown", "ghost@example.com")):
                began = time.perf_counter()
                response = await _attempt(client, email, "wrong password")
                elapsed = time.perf_counter() - began
                assert response.status_code == 401
                if round_number >= 2:  # the first rounds warm caches and connections
                    samples[kind].append(elapsed)
    known, unknown = (statistics.median(samples[kind]) for kind in ("known", "unknown"))
    assert abs(known - unknown) < 0.020, (known, unknown)
    # Both really verified a password hash (argon2id costs milliseconds, a lookup does not).
    assert min(known, unknown) > 0.005


@pytest.mark.redis
async def test_counters_in_redis_are_shared_by_every_process(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    redis_url = databases.require_service(databases.REDIS_ENV)
    if not redis_url:
        pytest.skip(f"{databases.REDIS_ENV} is not set")
    shared = {"redis_url": redis_url, "login_limit_per_account": "3/minute"}
    async with client_for(sqlite_url, **shared) as one, client_for(sqlite_url, **shared) as two:
        user = await create_user(app_of(one))
        ip = _random_ip()
        async with bare_client(app_of(one), ip) as first, bare_client(app_of(two), ip) as second:
            statuses = [
                (await _attempt(http, user.email, "guess")).status_code
                for http in (first, second, first, second)
            ]
    assert statuses == [401, 401, 401, 429]


async def test_unreachable_counter_store_refuses_sign_in(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, redis_url="redis://127.0.0.1:1/0") as client:
        user = await create_user(app_of(client))
        response = await _attempt(client, user.email, TEST_PASSWORD)
    assert response.status_code == 503
    assert response.json()["code"] == "UNAVAILABLE"
    assert response.headers["retry-after"]
