"""The push API: deployments and incidents from any tool, atomic, idempotent, validated."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packs.delivery.support import API, Team
from tests.support.auth import app_of
from tests.support.statements import StatementCounter
from vantage.core.realtime import Hub
from vantage.packs.delivery.channels import DORA_CHANNEL, EVENTS_CHANNEL
from vantage.packs.delivery.service import portfolio as portfolio_service

SHA = "a" * 40
DEPLOYMENT = {
    "id": "ci-1", "service": "api", "repository": "acme/api", "commit_sha": SHA,
    "status": "success", "at": "2025-03-03T10:00:00Z",
}  # fmt: skip
WINDOW = {"from": "2025-03-01", "to": "2025-04-01"}


async def _dora(team: Team) -> dict[str, Any]:
    response = await team.get("/dora", **WINDOW)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_deployment_and_its_incident(team: Team) -> None:
    queued = {**DEPLOYMENT, "status": "in_progress", "at": "2025-03-03T09:50:00Z"}
    response = await team.post("/deployments", {"deployments": [queued, DEPLOYMENT]})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2 and response.json()["created"] == 1
    incident = {"id": "pd-1", "service": "api", "created_at": "2025-03-04T10:00:00Z",
                "resolved_at": "2025-03-04T12:00:00Z"}  # fmt: skip
    assert (await team.post("/incidents", {"incidents": [incident]})).status_code == 200
    body = await _dora(team)
    assert body["deployment_frequency"]["deployments"] == 1
    assert body["change_failure_rate"]["rate"] == 1.0
    assert body["failed_deployment_recovery_time"]["p50_seconds"] == 26 * 3600
    assert body["mttr"]["p50_seconds"] == 2 * 3600


async def test_an_idempotency_key_replays_the_first_answer(team: Team) -> None:
    body = {"deployments": [DEPLOYMENT]}
    first = await team.post("/deployments", body, **{"Idempotency-Key": "deploy-1"})
    replay = await team.post("/deployments", body, **{"Idempotency-Key": "deploy-1"})
    assert first.status_code == replay.status_code == 200
    assert replay.content == first.content
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = {"deployments": [{**DEPLOYMENT, "id": "ci-2"}]}
    reused = await team.post("/deployments", other, **{"Idempotency-Key": "deploy-1"})
    assert reused.status_code == 422
    assert (await _dora(team))["deployment_frequency"]["deployments"] == 1


async def test_bad_batches_name_every_field_and_change_nothing(team: Team) -> None:
    bad = {"deployments": [
        DEPLOYMENT,
        {**DEPLOYMENT, "id": "", "status": "shipped", "at": "2025-03-03T10:00:00"},
        {**DEPLOYMENT, "commit_sha": "not-a-sha", "kind": "yolo"},
    ]}  # fmt: skip
    response = await team.post("/deployments", bad)
    assert response.status_code == 422
    located = {tuple(error["loc"]) for error in response.json()["errors"]}
    assert located == {
        ("body", "deployments", 1, "id"),
        ("body", "deployments", 1, "status"),
        ("body", "deployments", 1, "at"),
        ("body", "deployments", 2, "commit_sha"),
        ("body", "deployments", 2, "kind"),
    }
    backwards = {"id": "pd-1", "service": "api", "created_at": "2025-03-04T10:00:00Z",
                 "resolved_at": "2025-03-04T09:00:00Z"}  # fmt: skip
    twice = await team.post("/incidents", {"incidents": [{**backwards, "resolved_at": None}] * 2})
    assert twice.status_code == 422
    assert [e["loc"] for e in twice.json()["errors"]] == [["body", "incidents", 1, "id"]]
    ends_early = await team.post("/incidents", {"incidents": [backwards]})
    assert ends_early.status_code == 422
    assert [e["loc"] for e in ends_early.json()["errors"]] == [
        ["body", "incidents", 0, "resolved_at"]
    ]
    for raw in (b"not json", b"{}", b'{"deployments": []}'):
        answer = await team.client.post(
            "/api/v1/delivery/deployments", content=raw,
            headers={**team.ingest, "Content-Type": "application/json"},
        )  # fmt: skip
        assert answer.status_code == 422 and answer.json()["errors"]
    body = await _dora(team)
    assert body["deployment_frequency"]["deployments"] == 0
    assert body["coverage"]["incidents"] == 0


async def test_readers_cannot_push(team: Team) -> None:
    response = await team.client.post(
        "/api/v1/delivery/deployments", json={"deployments": [DEPLOYMENT]}, headers=team.reader
    )
    assert response.status_code == 403


async def test_changes_are_published_on_the_pack_channels(team: Team) -> None:
    hub: Hub = app_of(team.client).state.hub
    assert (await team.post("/deployments", {"deployments": [DEPLOYMENT]})).status_code == 200
    event = await hub.latest(team.tenant_id, EVENTS_CHANNEL)
    figures = await hub.latest(team.tenant_id, DORA_CHANNEL)
    assert event is not None and '"delivery.deployments"' in event.data_json
    assert figures is not None and '"deployment_frequency"' in figures.data_json


async def test_reads_revalidate_until_the_data_moves(team: Team) -> None:
    first = await team.get("/dora", **WINDOW)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("private")
    again = await team.client.get(
        "/api/v1/delivery/dora", params=WINDOW, headers={**team.reader, "If-None-Match": etag}
    )
    assert again.status_code == 304
    other_window = await team.client.get(
        "/api/v1/delivery/dora", params={"days": 7}, headers={**team.reader, "If-None-Match": etag}
    )
    assert other_window.status_code == 200
    assert (await team.post("/deployments", {"deployments": [DEPLOYMENT]})).status_code == 200
    moved = await team.client.get(
        "/api/v1/delivery/dora", params=WINDOW, headers={**team.reader, "If-None-Match": etag}
    )
    assert moved.status_code == 200 and moved.headers["ETag"] != etag
    assert moved.json()["deployment_frequency"]["deployments"] == 1


async def test_a_repeated_revalidation_is_answered_before_routing_until_data_arrives(
    team: Team,
) -> None:
    assert (await team.post("/deployments", {"deployments": [DEPLOYMENT]})).status_code == 200
    etag = (await team.get("/portfolio", **WINDOW)).headers["ETag"]
    conditional = {**team.reader, "If-None-Match": etag}
    app = app_of(team.client)
    with StatementCounter(app) as counter:
        answers = [
            await team.client.get(API + "/portfolio", params=WINDOW, headers=conditional)
            for _ in range(5)
        ]
    assert {answer.status_code for answer in answers} == {304}
    assert counter.count == 0  # no aggregation ran
    registry = app.state.metrics_registry
    assert registry.get_sample_value("vantage_early_answers_total", {"kind": "revalidation"}) == 5
    later = {**DEPLOYMENT, "id": "ci-2", "at": "2025-03-04T10:00:00Z"}
    assert (await team.post("/deployments", {"deployments": [later]})).status_code == 200
    moved = await team.client.get(API + "/portfolio", params=WINDOW, headers=conditional)
    assert moved.status_code == 200 and moved.headers["ETag"] != etag


async def test_the_portfolio_is_computed_once_per_data_version_for_every_reader(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[int] = []
    compute = portfolio_service.portfolio

    async def counted(*args: Any) -> Any:
        computed.append(1)
        return await compute(*args)

    monkeypatch.setattr(portfolio_service, "portfolio", counted)
    first = await team.get("/portfolio", **WINDOW)
    second = await team.get("/portfolio", **WINDOW)  # another reader, holding no ETag
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and second.headers["ETag"] == first.headers["ETag"]
    assert len(computed) == 1
    assert (await team.post("/deployments", {"deployments": [DEPLOYMENT]})).status_code == 200
    moved = await team.get("/portfolio", **WINDOW)
    assert moved.headers["ETag"] != first.headers["ETag"] and len(computed) == 2


async def test_repositories_are_github_names_in_any_case(team: Team) -> None:
    unnamed = {**DEPLOYMENT, "repository": "\u00c4cme/api"}  # GitHub names are ASCII
    refused = await team.post("/deployments", {"deployments": [unnamed]})
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["errors"]] == [
        ["body", "deployments", 0, "repository"]
    ]
    shouted = {**DEPLOYMENT, "id": "ci-2", "repository": "ACME/Api"}
    sent = await team.post("/deployments", {"deployments": [DEPLOYMENT, shouted]})
    assert sent.status_code == 200, sent.text
    listed = await team.get("/repositories", **WINDOW)
    [repository] = listed.json()["data"]
    assert repository["repository"] == "acme/api" and repository["deployments"] == 2
