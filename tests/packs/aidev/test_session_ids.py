"""A session id a merge removed is never handed out again, before and after the migration that
makes SQLite keep to it (PostgreSQL's sequences always did)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from tests.packs.aidev.conftest import Team
from tests.packs.aidev.support import payload, snapshot
from vantage.core import migrations

A, B = "ann@example.com", "ben@example.com"
GAP = "gap@x.com"


async def _session_ids(team: Team) -> set[int]:
    response = await team.get("/sessions", limit=100)
    assert response.status_code == 200, response.text
    return {s["id"] for s in response.json()["data"]}


async def _merge_away_the_newest(team: Team, day: str) -> int:
    """Two sessions of one developer an hour apart, then a request bridging them: the newer
    session, the one with the largest id, is merged into the older and deleted; its id."""
    await team.post([payload(f"{day}-a", f"{day}T10:00:00Z", user=GAP, seconds=60)])
    before = await _session_ids(team)
    await team.post([payload(f"{day}-b", f"{day}T11:00:00Z", user=GAP, seconds=60)])
    [newer] = await _session_ids(team) - before
    assert newer == max(await _session_ids(team))
    await team.post([payload(f"{day}-c", f"{day}T10:20:00Z", user=GAP, seconds=1500)])
    assert newer not in await _session_ids(team)
    return newer


async def _sessions_of(team: Team, developer: str) -> list[dict[str, Any]]:
    response = await team.get("/sessions", developer=developer)
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def _request_ids(team: Team, session_id: int) -> list[str]:
    detail = (await team.get(f"/sessions/{session_id}")).json()
    return [r["request_id"] for r in detail["requests_detail"]]


async def test_a_merged_away_id_never_opens_another_session(team: Team) -> None:
    gone = await _merge_away_the_newest(team, "2026-06-01")
    await team.post([
        payload("by-gap", "2026-06-02T09:00:00Z", user=B),
        payload("by-key", "2026-06-02T09:00:00Z", user=A, session="after-the-merge"),
    ])  # fmt: skip
    [by_gap], [by_key] = await _sessions_of(team, B), await _sessions_of(team, A)
    assert gone not in {by_gap["id"], by_key["id"]}
    assert (await team.get(f"/sessions/{gone}")).status_code == 404
    # Each new session holds its own request: the ids the insert reports are those it wrote.
    assert await _request_ids(team, by_gap["id"]) == ["by-gap"]
    assert await _request_ids(team, by_key["id"]) == ["by-key"]


async def _declares_autoincrement(team: Team) -> bool:
    app = team.client.app  # type: ignore[attr-defined]
    async with app.state.database.reader() as session:
        if session.get_bind().dialect.name != "sqlite":
            return True  # PostgreSQL's sequences never reuse an id
        sql = await session.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'aidev_sessions'")
        )
    return "AUTOINCREMENT" in str(sql).upper()


async def test_the_migration_keeps_every_session_and_request(team: Team, database_url: str) -> None:
    app = team.client.app  # type: ignore[attr-defined]
    await _merge_away_the_newest(team, "2026-06-01")
    await team.post([payload("keyed", "2026-06-02T09:00:00Z", user=A, session="kept")])
    kept = await snapshot(app, team.tenant_id)
    assert await _declares_autoincrement(team)

    await asyncio.to_thread(migrations.downgrade, database_url, "commerce_0002")
    assert await snapshot(app, team.tenant_id) == kept
    await asyncio.to_thread(migrations.upgrade, database_url, "head")
    assert await snapshot(app, team.tenant_id) == kept
    assert await _declares_autoincrement(team)

    gone = await _merge_away_the_newest(team, "2026-06-03")
    await team.post([payload("later", "2026-06-04T09:00:00Z", user=B)])
    [later] = await _sessions_of(team, B)
    assert later["id"] > gone
