"""Sessions (by id and by gaps, merged by late requests), their list with filters, sorting and
keyset pages, one session, the profile, aliases, and the tenant wall around all of it."""

from __future__ import annotations

from typing import Any

from tests.packs.aidev.conftest import Team
from tests.packs.aidev.support import payload
from tests.support.auth import create_user, headers_for
from vantage.core.auth.models import Role

A, B = "ann@example.com", "ben@example.com"


async def _sessions(team: Team, **params: Any) -> list[dict[str, Any]]:
    response = await team.get("/sessions", **params)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_gaps_cut_sessions_and_a_late_request_merges_them(team: Team) -> None:
    await team.post([
        payload("g1", "2026-06-01T09:00:00Z", user=A, seconds=60),
        payload("g2", "2026-06-01T09:20:00Z", user=A, seconds=60),
        payload("g3", "2026-06-01T10:20:00Z", user=A, seconds=60),  # 59 min later: new
    ])  # fmt: skip
    before = await _sessions(team, sort="timestamp")
    assert [s["requests"] for s in before] == [2, 1]
    # 09:50 is within 30 minutes of both 09:21 and 10:20: the two sessions become one.
    await team.post([payload("g4", "2026-06-01T09:50:00Z", user=A, seconds=60)])
    after = await _sessions(team)
    assert len(after) == 1
    assert after[0]["requests"] == 4
    assert after[0]["id"] == min(s["id"] for s in before)
    assert (after[0]["started_at"], after[0]["ended_at"]) == (
        "2026-06-01T09:00:00Z", "2026-06-01T10:21:00Z",
    )  # fmt: skip


async def test_a_session_id_groups_requests_whatever_their_gaps(team: Team) -> None:
    await team.post([
        payload("k1", "2026-06-01T09:00:00Z", user=A, session="sprint"),
        payload("k2", "2026-06-01T15:00:00Z", user=A, session="sprint"),
    ])  # fmt: skip
    [session] = await _sessions(team)
    assert (session["session_key"], session["requests"]) == ("sprint", 2)


async def test_a_duplicate_under_a_new_session_id_counts_in_no_session(team: Team) -> None:
    await team.post([payload("d1", "2026-06-01T09:00:00Z", user=A, session="first")])
    # d1 sent again under other session ids is a duplicate: "second" holds d2 alone, and
    # "third", named by nothing but the duplicate, is not kept.
    await team.post([
        payload("d1", "2026-06-01T09:00:00Z", user=A, session="second"),
        payload("d2", "2026-06-01T09:05:00Z", user=A, session="second", tokens=(7, 3)),
    ])  # fmt: skip
    await team.post([payload("d1", "2026-06-01T09:00:00Z", user=A, session="third")])
    found = {s["session_key"]: s for s in await _sessions(team)}
    assert sorted(found) == ["first", "second"]
    assert (found["first"]["requests"], found["second"]["requests"]) == (1, 1)
    assert (found["second"]["tokens"], found["second"]["started_at"]) == (
        10, "2026-06-01T09:05:00Z",
    )  # fmt: skip


async def _three_sessions(team: Team) -> None:
    await team.post([
        payload("s1", "2026-06-01T09:00:00Z", user=A, repository="web", cost=0.5,
                tokens=(1000, 10)),
        payload("s2", "2026-06-02T09:00:00Z", user=A, repository="api",
                model="claude-3-5-sonnet-20241022", cost=2.0, tokens=(10, 10)),
        payload("s3", "2026-06-03T09:00:00Z", user=B, repository="web", cost=1.0,
                tokens=(100, 100)),
    ])  # fmt: skip


async def test_filters_and_sorts(team: Team) -> None:
    await _three_sessions(team)
    assert [s["developer"] for s in await _sessions(team, developer=A)] == [A, A]
    assert [s["repository"] for s in await _sessions(team, repository="web")] == ["web", "web"]
    [claude] = await _sessions(team, model="claude-3-5-sonnet-20241022")
    assert claude["repository"] == "api"
    window = await _sessions(team, **{"from": "2026-06-02", "to": "2026-06-03"})
    assert [s["repository"] for s in window] == ["api"]
    assert [s["cost_usd"] for s in await _sessions(team, sort="-cost")] == [
        "2.000000000", "1.000000000", "0.500000000",
    ]  # fmt: skip
    assert [s["tokens"] for s in await _sessions(team, sort="tokens")] == [20, 200, 1010]
    unknown = await team.get("/sessions", sort="-latency")
    assert unknown.status_code == 422


async def test_keyset_pages_walk_every_session_once(team: Team) -> None:
    await team.post([
        payload(f"p{i}", f"2026-06-{1 + i // 3:02d}T{9 + (i % 3) * 2:02d}:00:00Z", user=A,
                cost=float(i % 4))
        for i in range(12)
    ])  # fmt: skip
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 5, "sort": "-cost"}
    while True:
        page = (await team.get("/sessions", **params)).json()
        seen += [s["id"] for s in page["data"]]
        cursor = page["pagination"]["next_cursor"]
        if cursor is None:
            break
        params = {"limit": 5, "sort": "-cost", "cursor": cursor}
    assert len(seen) == len(set(seen)) == 12
    foreign = await team.get("/sessions", limit=5, sort="tokens", cursor=cursor or "x.y")
    assert foreign.status_code == 422


async def test_one_session_with_its_requests(team: Team) -> None:
    await _three_sessions(team)
    [first] = await _sessions(team, repository="api")
    detail = (await team.get(f"/sessions/{first['id']}")).json()
    assert [r["request_id"] for r in detail["requests_detail"]] == ["s2"]
    assert detail["requests_detail"][0]["cost_usd"] == "2.000000000"
    assert detail["delivery"]["status"] == "unavailable"
    assert (await team.get("/sessions/999999")).status_code == 404


async def test_profile(team: Team) -> None:
    await _three_sessions(team)
    body = (
        await team.get("/profile", developer=A, **{"from": "2026-06-01", "to": "2026-06-08"})
    ).json()
    assert body["totals"]["requests"] == 2
    assert body["totals"]["sessions"] == 2
    assert body["totals"]["cost_usd"] == "2.500000000"
    assert body["totals"]["active_days"] == 2
    assert {m["model"] for m in body["top_models"]} == {"gpt-4o-mini", "claude-3-5-sonnet-20241022"}
    assert {r["repository"] for r in body["repositories"]} == {"web", "api"}
    assert [d["date"] for d in body["sessions_by_date"]] == ["2026-06-01", "2026-06-02"]
    missing = await team.get("/profile", developer="nobody@example.com")
    assert missing.status_code == 404


async def test_aliases_map_later_requests_to_one_developer(team: Team) -> None:
    mapped = await team.client.put(
        "/api/v1/aidev/developers/aliases",
        json={"aliases": [{"alias": "Ann.Work@Example.com", "developer": A}]},
        headers=team.headers,
    )
    assert mapped.status_code == 403  # needs an admin
    app = team.client.app  # type: ignore[attr-defined]
    admin = headers_for(app, await create_user(app, Role.ADMIN, tenant_id=team.tenant_id))
    mapped = await team.client.put(
        "/api/v1/aidev/developers/aliases",
        json={"aliases": [{"alias": "Ann.Work@Example.com", "developer": A}]},
        headers=admin,
    )
    assert mapped.json()["data"] == [{"alias": "ann.work@example.com", "developer": A}]
    await team.post([payload("al1", "2026-06-01T09:00:00Z", user="ann.work@example.com")])
    [session] = await _sessions(team)
    assert session["developer"] == A


async def test_another_tenant_sees_none_of_it(team: Team, other_team: Team) -> None:
    await _three_sessions(team)
    assert await _sessions(other_team) == []
    profile = await other_team.get("/profile", developer=A)
    assert profile.status_code == 404
    metrics = (
        await other_team.get("/metrics", **{"from": "2026-06-01", "to": "2026-06-08"})
    ).json()
    assert metrics["active_developers"] == 0
    raw = (
        await other_team.get("/metrics/raw", **{"from": "2026-06-01", "to": "2026-06-08"})
    ).json()
    assert raw["days"] == []
    aliases = await other_team.get("/developers/aliases")
    assert aliases.json()["data"] == []
