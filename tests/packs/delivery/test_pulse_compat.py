"""The Pulse platform's URLs, replayed against an app holding the hand-computed scenario: each
answers its ``/api/v1`` route's fields, types and very numbers (one DORA metric or one
portfolio roll-up is that answer cut down); the ETL aliases add a source, sync it from a fake
GitHub and follow the job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.packs.delivery.fake_github import TOKEN, FakeGitHub, commit, pull
from tests.packs.delivery.support import API, Team, make_team
from tests.packs.gateway.fakes import serve
from tests.support.auth import app_of, create_tenant

WINDOW = {"from": "2025-03-03", "to": "2025-03-31"}
METRICS = {
    "deployment-frequency": "deployment_frequency",
    "lead-time": "lead_time",
    "change-failure-rate": "change_failure_rate",
    "mttr": "mttr",
    "failed-deployment-recovery-time": "failed_deployment_recovery_time",
    "rework-rate": "rework_rate",
}
DONE = ("succeeded", "failed", "cancelled")


async def _alias(team: Team, path: str, **params: Any) -> httpx.Response:
    return await team.client.get(path, params=params, headers=team.reader)


async def _pair(team: Team, alias: str, route: str, **params: Any) -> tuple[Any, Any]:
    old = await _alias(team, alias, **params)
    new = await team.get(route, **params)
    assert old.status_code == new.status_code == 200, (alias, old.text)
    return old.json(), new.json()


async def test_dora_summary_and_trend(loaded: Team) -> None:
    old, new = await _pair(loaded, "/api/v1/metrics/dora", "/dora", **WINDOW)
    assert old == new
    # The scenario's figures (test_dora.py): 12 successful deployments, 4 of them failed.
    assert old["deployment_frequency"]["deployments"] == 12
    assert old["change_failure_rate"]["rate"] == 4 / 12
    assert isinstance(old["lead_time"]["p50_seconds"], float)
    trend, trend_v1 = await _pair(loaded, "/api/v1/metrics/dora/trend", "/dora/trend", **WINDOW)
    assert trend == trend_v1 and trend["granularity"] == "week"
    assert sum(point["deployments"] for point in trend["points"]) == 12


async def test_each_dora_metric_is_its_part_of_the_summary(loaded: Team) -> None:
    summary = (await loaded.get("/dora", **WINDOW)).json()
    for segment, field in METRICS.items():
        answer = await _alias(loaded, f"/api/v1/metrics/dora/{segment}", **WINDOW)
        assert answer.status_code == 200, (segment, answer.text)
        body = answer.json()
        assert set(body) == {"window", "scope", "data_as_of", "coverage", field}, segment
        assert body[field] == summary[field], segment
        assert body["window"] == summary["window"]
        assert body["coverage"] == summary["coverage"]
    lead = (await _alias(loaded, "/api/v1/metrics/dora/lead-time", **WINDOW)).json()
    assert lead["lead_time"]["count"] == 35
    scoped = await _alias(loaded, "/api/v1/metrics/dora/deployment-frequency", service="none")
    assert scoped.json()["deployment_frequency"]["deployments"] == 0
    assert scoped.json()["scope"]["service"] == "none"


async def test_github_analytics(loaded: Team) -> None:
    pulls, pulls_v1 = await _pair(loaded, "/api/v1/analytics/github/pull-requests", "/pulls",
                                  limit=10, **WINDOW)  # fmt: skip
    assert pulls == pulls_v1
    assert pulls["summary"]["merged"] == 36
    assert [row["number"] for row in pulls["data"][:2]] == [139, 140]
    cursor = pulls["pagination"]["next_cursor"]
    following = await _alias(loaded, "/api/v1/analytics/github/pull-requests", limit=10,
                             cursor=cursor, **WINDOW)  # fmt: skip
    assert following.status_code == 200
    assert not {row["number"] for row in following.json()["data"]} & {
        row["number"] for row in pulls["data"]
    }
    people, people_v1 = await _pair(loaded, "/api/v1/analytics/github/contributors",
                                    "/contributors", limit=100, **WINDOW)  # fmt: skip
    assert people == people_v1
    by_name = {row["name"]: row for row in people["data"]}
    assert by_name["reviewer"]["reviews_given"] == 31
    for alias in ("repositories", "repository-insights"):
        repos, repos_v1 = await _pair(loaded, f"/api/v1/analytics/github/{alias}",
                                      "/repositories", **WINDOW)  # fmt: skip
        assert repos == repos_v1
        assert [row["repository"] for row in repos["data"]] == ["acme/api"]


async def test_portfolio_projects_teams_and_executive_summary(loaded: Team) -> None:
    owners = {"entries": [{"kind": "repository", "name": "acme/api", "team": "core",
                           "project": "shop"}]}  # fmt: skip
    owned = await loaded.client.put(f"{API}/ownership", json=owners, headers=loaded.admin)
    assert owned.status_code == 200, owned.text
    portfolio, portfolio_v1 = await _pair(loaded, "/api/v1/portfolio", "/portfolio", **WINDOW)
    assert portfolio == portfolio_v1
    projects = (await _alias(loaded, "/api/v1/portfolio/projects", **WINDOW)).json()
    assert set(projects) == {"window", "data_as_of", "projects"}
    assert projects["projects"] == portfolio["projects"]
    assert [(p["name"], p["deployments"]) for p in projects["projects"]] == [("shop", 12)]
    teams = (await _alias(loaded, "/api/v1/portfolio/teams", **WINDOW)).json()
    assert teams["teams"] == portfolio["teams"] and "projects" not in teams
    summary, summary_v1 = await _pair(loaded, "/api/v1/portfolio/executive-summary", "/executive",
                                      **WINDOW)  # fmt: skip
    assert summary == summary_v1
    kpis = {kpi["name"]: kpi for kpi in summary["kpis"]}
    assert kpis["Change failure rate"]["value"] == 4 / 12


async def test_bad_queries_are_the_routes_problems(team: Team) -> None:
    bad_window = await _alias(team, "/api/v1/metrics/dora/lead-time", days=0)
    assert bad_window.status_code == 422 and bad_window.json()["code"] == "VALIDATION_ERROR"
    both = await _alias(team, "/api/v1/portfolio/projects", days=7, **WINDOW)
    assert both.status_code == 422
    forged = await _alias(team, "/api/v1/analytics/github/pull-requests", cursor="forged.cursor")
    assert forged.status_code == 422
    anonymous = await team.client.get("/api/v1/metrics/dora")
    assert anonymous.status_code == 401
    assert (await _alias(team, "/api/v1/metrics/dora/uptime")).status_code == 404


async def test_an_alias_revalidates_with_its_own_etag(loaded: Team) -> None:
    first = await _alias(loaded, "/api/v1/metrics/dora/mttr", **WINDOW)
    etag = first.headers["ETag"]
    assert etag.endswith('.compat"')
    again = await loaded.client.get(
        "/api/v1/metrics/dora/mttr", params=WINDOW,
        headers={**loaded.reader, "If-None-Match": etag},
    )  # fmt: skip
    assert again.status_code == 304


@pytest.fixture
async def github() -> AsyncIterator[str]:
    fake = FakeGitHub(
        commits=[commit(i) for i in reversed(range(5))],
        pulls=[pull(n) for n in reversed(range(1, 4))],
    )
    async with serve(fake.app()) as url:
        yield url


async def _job(team: Team, path: str) -> dict[str, Any]:
    for _ in range(1200):
        response = await team.client.get(path, headers=team.admin)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in DONE:
            return job
        await asyncio.sleep(0.025)
    raise AssertionError(f"the job never finished: {job}")


async def test_etl_sources_sync_and_job_status(team: Team, github: str) -> None:
    body = {"name": "github-acme", "repositories": ["acme/api"], "secret": "webhook-secret",
            "api_url": github, "token": TOKEN}  # fmt: skip
    created = await team.client.post("/app/etl/sources", json=body, headers=team.admin)
    assert created.status_code == 201, created.text
    source = created.json()
    assert isinstance(source["id"], int) and source["secret_configured"] is True
    assert "secret" not in source and "token" not in source
    listed = (await team.client.get("/app/etl/sources", headers=team.reader)).json()
    assert listed == (await team.client.get("/api/v1/etl/sources", headers=team.reader)).json()
    assert [row["id"] for row in listed["data"]] == [source["id"]]
    one = await team.client.get(f"/app/etl/sources/{source['id']}", headers=team.reader)
    assert one.json() == source | {"updated_at": one.json()["updated_at"]}

    started = await team.client.post(f"/app/etl/sources/{source['id']}/sync", headers=team.admin)
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    assert started.json()["status_url"] == f"/api/v1/jobs/{job_id}"
    job = await _job(team, f"/app/etl/jobs/{job_id}")
    assert job["status"] == "succeeded", job
    assert job == (await team.client.get(f"/api/v1/jobs/{job_id}", headers=team.admin)).json()
    assert job["result"]["requests"] > 0
    jobs = (await team.client.get("/app/etl/jobs", headers=team.reader)).json()
    assert job_id in [row["id"] for row in jobs["data"]]


async def test_etl_refusals_change_nothing(team: Team) -> None:
    viewer = await team.client.post(
        "/app/etl/sources", json={"name": "x", "repositories": ["acme/api"]}, headers=team.reader
    )
    assert viewer.status_code == 403
    bad = await team.client.post(
        "/app/etl/sources", json={"name": "", "repositories": ["acme/api"]}, headers=team.admin
    )
    assert bad.status_code == 422
    broken = await team.client.post(
        "/app/etl/sources", content=b"{not json", headers={**team.admin,
                                                          "content-type": "application/json"},
    )  # fmt: skip
    assert broken.status_code == 422
    assert (await team.client.get("/app/etl/sources", headers=team.reader)).json()["data"] == []
    assert (
        await team.client.post("/app/etl/sources/999999/sync", headers=team.admin)
    ).status_code == 404
    assert (
        await team.client.get("/app/etl/jobs/no-such-job", headers=team.admin)
    ).status_code == 404


async def test_another_tenants_source_and_job_are_not_found(team: Team, github: str) -> None:
    source = await team.create_source(["acme/api"], secret="webhook-secret", api_url=github,
                                      token=TOKEN)  # fmt: skip
    started = await team.client.post(f"/app/etl/sources/{source}/sync", headers=team.admin)
    job_id = started.json()["job_id"]
    app = app_of(team.client)
    other = await make_team(team.client, (await create_tenant(app)).id)
    for path in (f"/app/etl/sources/{source}", f"/app/etl/jobs/{job_id}"):
        answer = await team.client.get(path, headers=other.admin)
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND", path
    sync = await team.client.post(f"/app/etl/sources/{source}/sync", headers=other.admin)
    assert sync.status_code == 404
    assert (await team.client.get("/app/etl/sources", headers=other.reader)).json()["data"] == []
    await _job(team, f"/app/etl/jobs/{job_id}")


async def test_the_aliases_are_deprecated_under_the_compat_tag(team: Team) -> None:
    document = (await team.client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in ("/api/v1/metrics/dora", "/api/v1/metrics/dora/lead-time",
                 "/api/v1/analytics/github/pull-requests", "/api/v1/portfolio",
                 "/app/etl/sources", "/app/etl/jobs/{job_id}"):  # fmt: skip
        for operation in paths[path].values():
            assert operation["tags"] == ["compat"] and operation["deprecated"] is True
    create = paths["/app/etl/sources"]["post"]["requestBody"]["content"]["application/json"]
    assert "schema" in create
