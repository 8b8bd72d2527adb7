"""Requests and tokens per minute (also shared across processes through Redis), spend budgets."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest

from tests.packs.gateway.conftest import GatewayFactory, Upstreams
from tests.packs.gateway.identities import api_key, bearer, user_credential
from tests.packs.gateway.sse import all_events
from tests.packs.gateway.support import usage_rows
from tests.support.databases import REDIS_ENV, require_service
from vantage.packs.gateway.domain.pricing import to_nano
from vantage.packs.gateway.repository.spend import ledger
from vantage.packs.gateway.service.budgets import period_bounds

SEND = {"model": "oa/gpt-4o-mini", "message": "how are margins"}


async def test_requests_per_minute_per_user_and_per_key(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with (
        gateway_for(
            sqlite_url, upstreams, user_requests_per_minute=2, api_key_requests_per_minute=3
        ) as gateway,
        gateway.client() as http,
    ):
        user = bearer(await user_credential(gateway.app))
        other_user = bearer(await user_credential(gateway.app))
        key = bearer(await api_key(gateway.app))
        statuses = [
            (await http.post("/api/v1/chat/send", json=SEND, headers=user)).status_code
            for _ in range(2)
        ]
        refused = await http.post("/api/v1/chat/send", json=SEND, headers=user)
        assert statuses == [200, 200]
        assert refused.status_code == 429
        assert refused.json()["code"] == "RATE_LIMITED"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        # Budgets are per principal: another user and an API key are unaffected.
        ok = await http.post("/api/v1/chat/send", json=SEND, headers=other_user)
        assert ok.status_code == 200 and ok.headers["X-RateLimit-Limit"] == "2"
        for _ in range(3):
            assert (await http.post("/api/v1/chat/send", json=SEND, headers=key)).status_code == 200
        assert (await http.post("/api/v1/chat/send", json=SEND, headers=key)).status_code == 429
        await gateway.runtime.writer.flush()
        assert len(await usage_rows(gateway.runtime.database)) == 6  # refusals leave no row


async def test_principals_spend_the_gateway_quotas_not_the_core_default(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    # The per-key quota (0: unlimited) is the chat routes' only request limit for a principal;
    # callers without a credential spend the group's core policy per address.
    async with (
        gateway_for(sqlite_url, upstreams, settings={"rate_limit_default": "2/minute"}) as gateway,
        gateway.client() as http,
    ):
        key = bearer(await api_key(gateway.app))
        body = {"model": "oa/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        for _ in range(2):
            sent = await http.post("/api/v1/chat/send", json=SEND, headers=key)
            completed = await http.post("/v1/chat/completions", json=body, headers=key)
            assert (sent.status_code, completed.status_code) == (200, 200)
        anonymous = [
            (await http.post(path, json=body)).status_code
            for path in ("/v1/chat/completions", "/api/v1/chat/send", "/v1/chat/completions")
        ]
        assert anonymous == [401, 401, 429]
        assert (await http.get("/v1/models", headers=key)).status_code == 200
        assert (await http.get("/v1/models", headers=key)).status_code == 200
        assert (await http.get("/v1/models", headers=key)).status_code == 429  # gateway.read


async def test_tokens_per_minute_count_real_usage(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    # The first answer uses 10 prompt + 12 output tokens; the next prompt does not fit in 25.
    async with (
        gateway_for(sqlite_url, upstreams, api_key_tokens_per_minute=25) as gateway,
        gateway.client() as http,
    ):
        key = bearer(await api_key(gateway.app))
        first = await http.post("/api/v1/chat/send", json=SEND, headers=key)
        assert first.status_code == 200
        assert '"gateway.tokens";q=25;w=60' in first.headers["RateLimit-Policy"]
        second = await http.post("/api/v1/chat/send", json=SEND, headers=key)
        assert second.status_code == 429
        assert "tokens" in second.json()["detail"]


async def test_limits_are_shared_by_processes_through_redis(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    redis_url = require_service(REDIS_ENV)
    if not redis_url:
        pytest.skip(f"{REDIS_ENV} is not set")
    prefix = f"test-gw-{uuid.uuid4().hex[:10]}"
    options = {
        "api_key_requests_per_minute": 4,
        "settings": {"redis_url": redis_url, "rate_limit_key_prefix": prefix},
    }
    async with (
        gateway_for(sqlite_url, upstreams, **options) as first,
        gateway_for(sqlite_url, upstreams, **options) as second,
        first.client() as one,
        second.client() as two,
    ):
        key = bearer(await api_key(first.app))
        results = await asyncio.gather(
            *(
                (one if i % 2 else two).post("/api/v1/chat/send", json=SEND, headers=key)
                for i in range(7)
            )
        )
        assert sorted(r.status_code for r in results) == [200] * 4 + [429] * 3


async def test_sse_responses_carry_the_limit_headers(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with (
        gateway_for(sqlite_url, upstreams, api_key_requests_per_minute=10) as gateway,
        gateway.client() as http,
    ):
        key = bearer(await api_key(gateway.app))
        body = {
            "model": "oa/gpt-4o-mini",
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        }
        async with http.stream("POST", "/v1/chat/completions", json=body, headers=key) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["X-RateLimit-Remaining"] == "9"
            assert "RateLimit" in response.headers
            await all_events(response)


async def test_concurrent_requests_cannot_overshoot_a_budget(
    database_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    limit = Decimal("0.00005")
    upstreams.openai.first_delay = 0.2  # every request is in flight at once
    config = {"budgets": [{"scope": "tenant", "period": "day", "limit_usd": str(limit)}]}
    async with (
        gateway_for(database_url, upstreams, config=config) as first,
        gateway_for(database_url, upstreams, config=config) as second,
        first.client() as one,
        second.client() as two,
    ):
        key = bearer(await api_key(first.app))
        body = {**SEND, "max_tokens": 20}
        results = await asyncio.gather(
            *(
                (one if i % 2 else two).post("/api/v1/chat/send", json=body, headers=key)
                for i in range(20)
            )
        )
        statuses = [r.status_code for r in results]
        assert 200 in statuses and 429 in statuses
        refused = next(r for r in results if r.status_code == 429)
        assert refused.json()["budget_scope"] == "tenant"
        for app in (first, second):
            await app.runtime.writer.flush()
        rows = await usage_rows(first.runtime.database)
        spent = sum((r.cost_usd or Decimal(0) for r in rows), Decimal(0))
        assert len(rows) == statuses.count(200)
        # Holds are the most a request can cost, so the total stays within the budget.
        assert 0 < spent <= limit
        async with first.runtime.database.reader() as session:
            day, _ = period_bounds("day", rows[0].created_at)
            row = await ledger(session, 1, "tenant", "day", day)
        assert row is not None
        assert row.held_nanousd == 0
        assert row.spent_nanousd == sum(to_nano(r.cost_usd) for r in rows)
