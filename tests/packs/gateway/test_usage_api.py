"""``GET /api/v1/usage`` (filters, keyset pages, tenant isolation) and ``/usage/summary``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from tests.conftest import ClientFactory
from tests.packs.gateway.support import record
from tests.support.auth import app_of, create_tenant, user_headers
from vantage.core.auth.models import Role
from vantage.packs.gateway import PACK
from vantage.packs.gateway.repository.usage_writes import insert_usage

NOW = datetime.now(UTC).replace(microsecond=0)


async def _seed(client: httpx.AsyncClient, other_tenant: int) -> None:
    rows = []
    for day in range(3):
        for i in range(10):
            rows.append(
                record(
                    created_at=NOW - timedelta(days=day, minutes=i),
                    model="gpt-4o-mini" if i % 2 else "claude-haiku-4-5",
                    provider="oa" if i % 2 else "an",
                    specialist_slug="analyst" if i < 5 else None,
                    user_hash=("a" if i % 3 else "b") * 64,
                    status="error" if i == 9 else "ok",
                    cost_usd=Decimal("0.000100000"),
                    latency_ms=100 + i,
                    estimated=i == 4,
                )
            )
    rows.append(record(tenant_id=other_tenant, model="secret-model"))
    async with app_of(client).state.database.transaction() as session:
        assert len(await insert_usage(session, rows)) == 31


async def test_usage_log_filters_and_pages(client_for: ClientFactory, database_url: str) -> None:
    async with client_for(database_url, packs=[PACK]) as client:
        other = await create_tenant(app_of(client))
        await _seed(client, other.id)
        headers = await user_headers(app_of(client), Role.VIEWER)

        page = (await client.get("/api/v1/usage?limit=12", headers=headers)).json()
        assert page["pagination"]["total"] == 30
        assert all(row["model"] != "secret-model" for row in page["data"])
        times = [row["created_at"] for row in page["data"]]
        assert times == sorted(times, reverse=True)
        seen = [row["request_id"] for row in page["data"]]
        cursor = page["pagination"]["next_cursor"]
        while cursor:
            more = (
                await client.get(
                    "/api/v1/usage", params={"limit": 12, "cursor": cursor}, headers=headers
                )
            ).json()
            seen += [row["request_id"] for row in more["data"]]
            cursor = more["pagination"]["next_cursor"]
        assert len(seen) == len(set(seen)) == 30

        filtered = await client.get(
            "/api/v1/usage",
            params={"model": "gpt-4o-mini", "status": "error", "user_hash": "b" * 64},
            headers=headers,
        )
        assert filtered.json()["pagination"]["total"] == 3
        # The last 12 hours rather than ?days=1: shortly after midnight UTC, "today" would not
        # hold the rows seeded minutes before it.
        last_hours = {"from": (NOW - timedelta(hours=12)).isoformat(), "to": NOW.isoformat()}
        estimated = await client.get(
            "/api/v1/usage", params={"estimated": "true", **last_hours}, headers=headers
        )
        assert estimated.json()["pagination"]["total"] == 1
        row = estimated.json()["data"][0]
        assert row["cost_usd"] == "0.000100000" and row["estimated"] is True

        bad = await client.get("/api/v1/usage?status=bogus", headers=headers)
        assert bad.status_code == 422
        assert (await client.get("/api/v1/usage")).status_code == 401


async def test_usage_summary_from_the_rollup(client_for: ClientFactory, database_url: str) -> None:
    async with client_for(database_url, packs=[PACK]) as client:
        other = await create_tenant(app_of(client))
        await _seed(client, other.id)
        headers = await user_headers(app_of(client), Role.VIEWER)

        by_day = await client.get("/api/v1/usage/summary?days=7", headers=headers)
        assert by_day.status_code == 200
        body = by_day.json()
        assert body["totals"]["requests"] == 30
        assert body["totals"]["errors"] == 3
        assert body["totals"]["cost_usd"] == "0.003000000"
        assert body["totals"]["estimated_requests"] == 3
        assert sum(d["requests"] for d in body["data"]) == 30
        assert body["data_as_of"] is not None and "from" in body["window"]

        by_model = (
            await client.get("/api/v1/usage/summary?group_by=model", headers=headers)
        ).json()
        assert {d["key"]: d["requests"] for d in by_model["data"]} == {
            "gpt-4o-mini": 15,
            "claude-haiku-4-5": 15,
        }
        by_specialist = (
            await client.get("/api/v1/usage/summary?group_by=specialist", headers=headers)
        ).json()
        assert {d["key"]: d["requests"] for d in by_specialist["data"]} == {
            "analyst": 15,
            "(none)": 15,
        }
        by_user = (await client.get("/api/v1/usage/summary?group_by=user", headers=headers)).json()
        assert {d["key"][:1] for d in by_user["data"]} == {"a", "b"}

        etag = by_day.headers["ETag"]
        again = await client.get(
            "/api/v1/usage/summary?days=7", headers={**headers, "If-None-Match": etag}
        )
        assert again.status_code == 304
        async with app_of(client).state.database.transaction() as session:
            await insert_usage(session, [record()])
        fresh = await client.get(
            "/api/v1/usage/summary?days=7", headers={**headers, "If-None-Match": etag}
        )
        assert fresh.status_code == 200 and fresh.json()["totals"]["requests"] == 31
