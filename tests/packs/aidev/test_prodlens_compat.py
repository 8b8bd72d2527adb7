"""ProdLens's URLs, replayed against an app holding the demo's traces: each answers the fields
and types of its ``/api/v1/aidev`` route and the very same numbers; ``since`` and ``lag_days``
are ProdLens's names for ``from`` and ``max_lag_days``; ``WS /ws/sessions`` streams the
tenant's session changes as plain JSON."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import ClientFactory
from tests.packs.aidev.conftest import Team, make_team
from tests.packs.aidev.support import payload
from tests.support.auth import DEFAULT_TENANT_ID, access_token_for, create_tenant, create_user
from tests.support.realtime import LiveServer, close_code, receive, serve
from vantage.app import create_app
from vantage.core.auth.models import Role
from vantage.core.packs import DemoContext
from vantage.packs.aidev import PACK

SINCE = (datetime.now(UTC).date() - timedelta(days=20)).isoformat()


@pytest.fixture
async def demo_team(client_for: ClientFactory, database_url: str) -> AsyncIterator[Team]:
    async with client_for(database_url, packs=[PACK], rate_limit_enabled=False) as client:
        app = client.app  # type: ignore[attr-defined]
        assert PACK.demo is not None
        await PACK.demo(
            DemoContext(app.state.settings, app.state.database, DEFAULT_TENANT_ID, "small")
        )
        yield await make_team(client, DEFAULT_TENANT_ID)


async def _both(
    team: Team, alias: str, alias_query: dict[str, Any], route: str, route_query: dict[str, Any]
) -> Any:
    """The alias's answer, after checking it is the route's answer, number for number."""
    old = await team.client.get(alias, params=alias_query, headers=team.reader_headers)
    new = await team.get(route, **route_query)
    assert old.status_code == new.status_code == 200, (alias, old.text)
    assert old.headers["content-type"].startswith("application/json")
    assert old.json() == new.json(), alias
    return old.json()


async def test_metrics_and_their_daily_series(demo_team: Team) -> None:
    metrics = await _both(demo_team, "/api/metrics", {"since": SINCE}, "/metrics", {"from": SINCE})
    assert metrics["window"]["from"] == f"{SINCE}T00:00:00Z"
    assert isinstance(metrics["active_developers"], int) and metrics["active_developers"] == 5
    kpis = {kpi["key"]: kpi for kpi in metrics["kpis"]}
    assert {"ai_velocity", "acceptance_rate", "error_rate", "model_accuracy"} <= set(kpis)
    assert isinstance(kpis["error_rate"]["value"], float)
    assert 0 < kpis["error_rate"]["value"] < 0.1
    assert kpis["error_rate"]["status"] in ("good", "warn", "bad")

    raw = await _both(
        demo_team, "/api/metrics/raw", {"since": SINCE}, "/metrics/raw", {"from": SINCE}
    )
    days = raw["days"]
    assert date.fromisoformat(days[0]["date"]) == date.fromisoformat(SINCE)
    assert all(isinstance(day["requests"], int) for day in days)
    assert sum(day["requests"] for day in days) > 0
    assert all(Decimal(day["cost_usd"]) >= 0 for day in days)
    default = await _both(demo_team, "/api/metrics", {}, "/metrics", {})
    assert default["window"] != metrics["window"]  # without since: Vantage's default 7 days


async def test_sessions_one_session_and_a_profile(demo_team: Team) -> None:
    page = await _both(demo_team, "/api/sessions", {"limit": 5, "sort": "-cost"}, "/sessions",
                       {"limit": 5, "sort": "-cost"})  # fmt: skip
    rows = page["data"]
    assert len(rows) == 5 and page["pagination"]["total"] > 50
    costs = [Decimal(row["cost_usd"]) for row in rows]
    assert costs == sorted(costs, reverse=True)
    first = rows[0]
    assert isinstance(first["id"], int) and isinstance(first["requests"], int)
    assert isinstance(first["developer"], str)

    detail = await _both(
        demo_team, f"/api/sessions/{first['id']}", {}, f"/sessions/{first['id']}", {}
    )
    assert detail["id"] == first["id"]
    assert len(detail["requests_detail"]) == detail["requests"] == first["requests"]

    since = await _both(demo_team, "/api/sessions", {"since": SINCE, "limit": 100}, "/sessions",
                        {"from": SINCE, "limit": 100})  # fmt: skip
    assert all(row["ended_at"] >= SINCE for row in since["data"])

    developer = first["developer"]
    profile = await _both(demo_team, "/api/profile", {"developer": developer, "since": SINCE},
                          "/profile", {"developer": developer, "from": SINCE})  # fmt: skip
    assert profile["developer"] == developer
    assert profile["totals"]["requests"] > 0 and isinstance(profile["totals"]["sessions"], int)


async def test_insights_take_since_and_lag_days(demo_team: Team) -> None:
    since = (datetime.now(UTC).date() - timedelta(days=45)).isoformat()
    insights = await _both(demo_team, "/api/insights", {"since": since, "lag_days": 3},
                           "/insights", {"from": since, "max_lag_days": 3})  # fmt: skip
    assert insights["max_lag_days"] == 3
    assert isinstance(insights["tests"], int)
    assert all(test["lag_days"] <= 3 for test in insights["correlations"])
    assert any(anomaly["direction"] == "spike" for anomaly in insights["anomalies"])


async def _alias(team: Team, path: str, **params: Any) -> httpx.Response:
    return await team.client.get(path, params=params, headers=team.reader_headers)


async def test_bad_queries_are_the_routes_problems(team: Team) -> None:
    lag = await _alias(team, "/api/insights", lag_days=31)
    assert lag.status_code == 422
    assert lag.json()["errors"][0]["loc"] == ["query", "max_lag_days"]
    since = await _alias(team, "/api/metrics", since="last tuesday")
    assert since.status_code == 422 and since.json()["code"] == "VALIDATION_ERROR"
    both = await _alias(team, "/api/sessions", since="2026-01-01", **{"from": "2026-01-02"})
    assert both.status_code == 422
    assert both.json()["errors"][0]["loc"] == ["query", "since"]
    assert (await _alias(team, "/api/sessions/not-a-number")).status_code == 422
    missing = await _alias(team, "/api/sessions/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    anonymous = await team.client.get("/api/metrics")
    assert anonymous.status_code == 401


async def test_another_tenants_session_is_not_found(team: Team, other_team: Team) -> None:
    await team.post([payload("mine", "2026-06-01T09:00:00Z")])
    [session] = (await team.get("/sessions")).json()["data"]
    assert (await _alias(team, f"/api/sessions/{session['id']}")).status_code == 200
    theirs = await _alias(other_team, f"/api/sessions/{session['id']}")
    assert theirs.status_code == 404
    assert (await _alias(other_team, "/api/sessions")).json()["data"] == []


async def test_an_alias_revalidates_with_its_own_etag(team: Team) -> None:
    await team.post([payload("e1", "2026-06-01T09:00:00Z")])
    first = await _alias(team, "/api/sessions")
    etag = first.headers["ETag"]
    assert etag.endswith('.compat"')
    assert etag != (await team.get("/sessions")).headers["ETag"]
    again = await team.client.get(
        "/api/sessions", headers={**team.reader_headers, "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.headers["ETag"] == etag
    await team.post([payload("e2", "2026-06-02T09:00:00Z")])
    changed = await team.client.get(
        "/api/sessions", headers={**team.reader_headers, "If-None-Match": etag}
    )
    assert changed.status_code == 200 and len(changed.json()["data"]) == 2


async def test_the_aliases_are_deprecated_under_the_compat_tag(team: Team) -> None:
    document = (await team.client.get("/openapi.json")).json()
    for path in ("/api/metrics", "/api/metrics/raw", "/api/sessions", "/api/sessions/{session_id}",
                 "/api/profile", "/api/insights"):  # fmt: skip
        operation = document["paths"][path]["get"]
        assert operation["tags"] == ["compat"] and operation["deprecated"] is True
    # Each documents its route's parameters, under ProdLens's names.
    insights = document["paths"]["/api/insights"]["get"]["parameters"]
    route = document["paths"]["/api/v1/aidev/insights"]["get"]["parameters"]
    names = {"from": "since", "max_lag_days": "lag_days"}
    assert [p["name"] for p in insights] == [names.get(p["name"], p["name"]) for p in route]
    assert [p["schema"] for p in insights] == [p["schema"] for p in route]
    [session_id] = document["paths"]["/api/sessions/{session_id}"]["get"]["parameters"]
    assert session_id["in"] == "path" and session_id["schema"]["minimum"] == 1


async def test_the_aliases_are_off_with_the_setting(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, packs=[PACK], compat_routes=False) as client:
        team = await make_team(client, DEFAULT_TENANT_ID)
        assert (await _alias(team, "/api/metrics")).status_code == 404
        assert (await team.get("/metrics")).status_code == 200


# -- WS /ws/sessions ---------------------------------------------------------------------------


@pytest.fixture
async def served(make_settings: Any, sqlite_url: str) -> AsyncIterator[tuple[LiveServer, Team]]:
    app = create_app(make_settings(database_url=sqlite_url), packs=[PACK])
    async with serve(app) as server, httpx.AsyncClient(base_url=server.http_url) as client:
        client.app = app  # type: ignore[attr-defined]
        yield server, await make_team(client, DEFAULT_TENANT_ID)


def _sessions_url(server: LiveServer, query: str = "") -> str:
    return f"ws://127.0.0.1:{server.port}/ws/sessions{query}"


async def _token(team: Team, tenant_id: int | None = None) -> str:
    app = team.client.app  # type: ignore[attr-defined]
    user = await create_user(app, Role.VIEWER, tenant_id=tenant_id or team.tenant_id)
    return access_token_for(app, user)


async def _live(ws: ClientConnection, team: Team, label: str) -> None:
    """Send single requests until one is announced: the subscription is live from then on."""
    for attempt in range(50):
        await team.post([payload(f"{label}-warm-{attempt}", "2026-06-01T08:00:00Z")])
        try:
            message = await receive(ws, within=1)
        except TimeoutError:
            continue
        assert message["requests"] == 1
        return
    raise AssertionError("the socket never announced a change")


async def _next_batch(ws: ClientConnection) -> dict[str, Any]:
    """The next announcement of more than one request (skipping late warm-up ones)."""
    while (message := await receive(ws))["requests"] == 1:
        pass
    return message


async def test_session_changes_arrive_as_plain_json(served: tuple[LiveServer, Team]) -> None:
    server, team = served
    token = await _token(team)
    async with connect(_sessions_url(server), open_timeout=5) as ws:
        await ws.send(json.dumps({"token": token}))
        await _live(ws, team, "a")
        await team.post([
            payload("b1", "2026-06-03T09:00:00Z", session="pairing"),
            payload("b2", "2026-06-03T09:05:00Z", session="pairing"),
        ])  # fmt: skip
        message = await _next_batch(ws)
    assert set(message) == {"requests", "sessions"}
    assert message["requests"] == 2
    sessions = (await team.get("/sessions", limit=100)).json()["data"]
    pairing = [row["id"] for row in sessions if row["session_key"] == "pairing"]
    assert message["sessions"] == pairing


async def test_each_socket_hears_its_own_tenant_only(served: tuple[LiveServer, Team]) -> None:
    server, team = served
    app = team.client.app  # type: ignore[attr-defined]
    other = await make_team(team.client, (await create_tenant(app)).id)
    mine, theirs = await _token(team), await _token(other)
    async with (
        connect(_sessions_url(server, f"?token={mine}"), open_timeout=5) as ours,
        connect(_sessions_url(server, f"?token={theirs}"), open_timeout=5) as foreign,
    ):
        await _live(ours, team, "ours")
        await _live(foreign, other, "theirs")
        three = [payload(f"t{i}", "2026-06-04T09:00:00Z") for i in range(3)]
        await other.post(three)
        await team.post([payload(f"o{i}", "2026-06-04T09:00:00Z") for i in range(2)])
        assert (await _next_batch(ours))["requests"] == 2
        assert (await _next_batch(foreign))["requests"] == 3


async def test_a_bad_token_is_refused_with_4001(served: tuple[LiveServer, Team]) -> None:
    server, _ = served
    async with connect(_sessions_url(server), open_timeout=5) as ws:
        await ws.send(json.dumps({"op": "auth", "token": "not-a-token"}))
        error = await receive(ws)
        code = await close_code(ws)
    assert (error["type"], error["code"]) == ("error", "UNAUTHORIZED")
    assert code == 4001


async def test_a_first_message_without_a_token_is_refused(served: tuple[LiveServer, Team]) -> None:
    server, _ = served
    async with connect(_sessions_url(server), open_timeout=5) as ws:
        await ws.send("hello")
        error = await receive(ws)
        code = await close_code(ws)
    assert error["code"] == "UNAUTHORIZED" and code == 4001
