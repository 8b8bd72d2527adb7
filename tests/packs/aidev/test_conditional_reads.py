"""Aidev reads answer with an ETag and 304 while nothing changed; every way requests come in
(the batch API, the OTLP receiver, a file import), an alias change and, for the answers that
read it, the delivery pack's data give them a new one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.packs.aidev.conftest import Team, make_team
from tests.packs.aidev.support import fixture_bytes, payload
from tests.support.auth import DEFAULT_TENANT_ID, app_of, user_headers
from vantage.core.auth.models import Role
from vantage.packs.aidev import PACK
from vantage.packs.aidev.runtime import AidevRuntime
from vantage.packs.aidev.service.importer import ImportPlan, import_traces
from vantage.packs.delivery.pack import build_pack as build_delivery

A = "ann@example.com"
TODAY = datetime.now(UTC).date()


def at(days_ago: int) -> str:
    """9 o'clock UTC of a recent day, inside every default window."""
    return f"{(TODAY - timedelta(days=days_ago)).isoformat()}T09:00:00Z"


READS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("/metrics", {"days": 7}),
    ("/metrics/raw", {"days": 30}),
    ("/sessions", {}),
    ("/profile", {"developer": A, "days": 30}),
    ("/insights", {"days": 90, "max_lag_days": 3}),
)


async def _etags(team: Team, reads: Any = READS) -> dict[str, str]:
    found = {}
    for path, params in reads:
        response = await team.get(path, **params)
        assert response.status_code == 200, f"{path}: {response.text}"
        found[path] = response.headers["ETag"]
    return found


async def _revalidate(team: Team, path: str, etag: str, **params: Any) -> httpx.Response:
    return await team.client.get(
        f"/api/v1/aidev{path}",
        params=params,
        headers={**team.reader_headers, "If-None-Match": etag},
    )


async def _seeded(team: Team) -> None:
    response = await team.post([payload("c1", at(1), user=A)])
    assert response.status_code == 200 and response.json()["accepted"] == 1, response.text


async def test_an_unchanged_answer_is_a_304_without_a_body(team: Team) -> None:
    await _seeded(team)
    etags = await _etags(team)
    for path, params in READS:
        again = await _revalidate(team, path, etags[path], **params)
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["ETag"] == etags[path]
        assert "max-age" in again.headers["Cache-Control"]
    [session] = (await team.get("/sessions")).json()["data"]
    detail = await team.get(f"/sessions/{session['id']}")
    assert detail.status_code == 200
    revalidated = await _revalidate(team, f"/sessions/{session['id']}", detail.headers["ETag"])
    assert revalidated.status_code == 304


async def test_each_query_and_each_session_has_its_own_etag(team: Team) -> None:
    await _seeded(team)
    week = (await team.get("/metrics", days=7)).headers["ETag"]
    fortnight = (await team.get("/metrics", days=14)).headers["ETag"]
    assert week != fortnight
    assert (await _revalidate(team, "/metrics", week, days=14)).status_code == 200


async def test_the_batch_api_gives_every_read_a_new_etag(team: Team) -> None:
    await _seeded(team)
    before = await _etags(team)
    await team.post([payload("c2", at(2), user=A)])
    after = await _etags(team)
    assert all(after[path] != before[path] for path in before), (before, after)
    stale = await _revalidate(team, "/sessions", before["/sessions"])
    assert stale.status_code == 200 and len(stale.json()["data"]) == 2


async def test_a_duplicate_batch_changes_no_etag(team: Team) -> None:
    await _seeded(team)
    before = await _etags(team)
    response = await team.post([payload("c1", at(1), user=A)])
    assert response.json()["duplicates"] == 1
    assert await _etags(team) == before


async def test_the_otlp_receiver_gives_a_new_etag(team: Team) -> None:
    await _seeded(team)
    before = (await team.get("/sessions")).headers["ETag"]
    response = await team.client.post(
        "/v1/traces",
        content=fixture_bytes("otel_genai_spans.json"),
        headers={**team.headers, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    after = await team.get("/sessions")
    assert after.headers["ETag"] != before
    assert (await _revalidate(team, "/sessions", before)).status_code == 200


async def test_a_file_import_gives_a_new_etag(team: Team, tmp_path: Path) -> None:
    await _seeded(team)
    before = (await team.get("/metrics/raw", days=30)).headers["ETag"]
    path = tmp_path / "traces.jsonl"
    path.write_bytes(fixture_bytes("litellm_standard_logging_payload.jsonl"))
    runtime = app_of(team.client).state.core.runtimes.get("aidev", AidevRuntime)
    report = await import_traces(runtime.ingestor, ImportPlan(path, team.tenant_id, 100))
    assert report.accepted > 0
    after = (await team.get("/metrics/raw", days=30)).headers["ETag"]
    assert after != before


async def test_an_alias_change_gives_a_new_etag(team: Team) -> None:
    await _seeded(team)
    before = (await team.get("/metrics", days=7)).headers["ETag"]
    admin = await user_headers(app_of(team.client), Role.ADMIN, tenant_id=team.tenant_id)
    body = {"aliases": [{"alias": "ann-laptop", "developer": A}]}
    response = await team.client.put("/api/v1/aidev/developers/aliases", json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert (await team.get("/metrics", days=7)).headers["ETag"] != before


async def test_another_tenants_ingest_changes_no_etag(team: Team, other_team: Team) -> None:
    await _seeded(team)
    before = await _etags(team)
    await other_team.post([payload("o1", at(1), user=A)])
    assert await _etags(team) == before


@pytest.fixture
async def with_delivery(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    packs = [PACK, build_delivery()]
    async with client_for(database_url, packs=packs, rate_limit_enabled=False) as client:
        yield client


async def test_delivery_data_changes_the_etags_of_what_reads_it(
    with_delivery: httpx.AsyncClient,
) -> None:
    team = await make_team(with_delivery, DEFAULT_TENANT_ID)
    await _seeded(team)
    before = await _etags(team)
    deployment = {
        "deployments": [
            {"id": "d1", "service": "web", "status": "success", "at": at(1)}
        ]
    }  # fmt: skip
    response = await with_delivery.post(
        "/api/v1/delivery/deployments", json=deployment, headers=team.headers
    )
    assert response.status_code == 200, response.text
    after = await _etags(team)
    for path in ("/metrics", "/metrics/raw", "/insights"):
        assert after[path] != before[path], path
    # Sessions and profiles read no delivery data: their answers are still current.
    assert after["/sessions"] == before["/sessions"]
    assert after["/profile"] == before["/profile"]
