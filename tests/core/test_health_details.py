"""Health answers everyone with statuses; only an admin sees details such as Redis's address."""

from __future__ import annotations

from tests.conftest import ClientFactory
from tests.support.auth import app_of, user_headers
from vantage.core.auth.models import Role

UNREACHABLE_REDIS = "redis://127.0.0.1:9/0"


async def test_anonymous_callers_see_statuses_only(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, redis_url=UNREACHABLE_REDIS) as client:
        viewer = await user_headers(app_of(client), Role.VIEWER)
        for headers in ({}, viewer, {"Authorization": "Bearer not-a-token"}):
            ready = await client.get("/health/ready", headers=headers)
            assert ready.status_code == 503
            assert ready.json()["checks"] == {
                "database": {"status": "ok"},
                "migrations": {"status": "ok"},
                "redis": {"status": "fail"},
            }
            summary = (await client.get("/health", headers=headers)).json()
            assert summary == {"status": "degraded", "checks": ready.json()["checks"]}
            database = await client.get("/health/database", headers=headers)
            assert database.json() == {"status": "ok"}
            for response in (ready, database):
                assert "127.0.0.1" not in response.text and ":9" not in response.text


async def test_admins_see_every_detail(client_for: ClientFactory, sqlite_url: str) -> None:
    async with client_for(sqlite_url, redis_url=UNREACHABLE_REDIS) as client:
        admin = await user_headers(app_of(client), Role.ADMIN)
        ready = (await client.get("/health/ready", headers=admin)).json()
        assert "127.0.0.1" in ready["checks"]["redis"]["detail"]
        assert ready["checks"]["database"]["latency_ms"] >= 0
        summary = (await client.get("/health", headers=admin)).json()
        assert summary["version"] and summary["uptime_seconds"] >= 0
        assert "127.0.0.1" in summary["checks"]["redis"]["detail"]
        database = (await client.get("/health/database", headers=admin)).json()
        assert database["dialect"] == "sqlite" and database["revision"] == database["head"]
        assert "pool" in database
