"""GitHub deliveries follow the API's input rules: text without control characters, instants
in the accepted years, integers that fit their columns. A delivery breaking one is a 422
naming each bad field, and nothing is stored or queued."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from tests.packs.delivery.support import SOURCES, Team, fixture
from tests.support.auth import app_of
from vantage.packs.delivery.models import Commit, WorkItem

REPO = "Codertocat/Hello-World"
INT64_OVERFLOW = 2**63
INT32_OVERFLOW = 2**31  # fits SQLite's INTEGER, not PostgreSQL's
Path = tuple[str | int, ...]


def _with(payload: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """``payload`` with the value at ``path`` replaced."""
    node: Any = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return payload


def _located(response: Any) -> set[tuple[str | int, ...]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "VALIDATION_ERROR"
    return {tuple(error["loc"]) for error in response.json()["errors"]}


async def _refused(team: Team, event: str, name: str, path: Path, value: Any) -> None:
    """A real payload with one bad value is a 422 naming that field, and stores nothing."""
    source = await team.create_source([REPO, "octo-org/*"])
    response = await team.send(source, event, _with(fixture(name), path, value))
    assert _located(response) == {("body", *path)}
    assert await team.deliveries() == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("pull_request", "number"), INT64_OVERFLOW),
        (("pull_request", "number"), INT32_OVERFLOW),
        (("pull_request", "number"), 0),
        (("pull_request", "additions"), INT64_OVERFLOW),
        (("pull_request", "commits"), INT32_OVERFLOW),
        (("pull_request", "created_at"), "0001-01-01T00:00:00Z"),
        (("pull_request", "created_at"), "9999-12-31T23:59:59Z"),
        (("pull_request", "merged_at"), "9999-12-31T23:59:59Z"),
        (("pull_request", "user", "login"), "octo\u0000cat"),
        (("pull_request", "head", "ref"), "feature\tbranch"),
        (("pull_request", "labels", 0, "name"), "bug\n"),
        (("pull_request", "state"), "x" * 17),
        (("repository", "id"), INT64_OVERFLOW),
        (("repository", "full_name"), "Codertocat/Hello\u0000World"),
        (("action", ), "opened\u0000"),
    ],
)  # fmt: skip
async def test_a_pull_request_breaking_an_input_rule_is_422(
    team: Team, path: Path, value: Any
) -> None:
    await _refused(team, "pull_request", "pull_request.opened", path, value)


@pytest.mark.parametrize(
    ("event", "name", "path", "value"),
    [
        ("pull_request_review", "pull_request_review.submitted", ("review", "id"), INT64_OVERFLOW),
        ("pull_request_review", "pull_request_review.submitted", ("pull_request", "number"),
         INT32_OVERFLOW),
        ("pull_request_review", "pull_request_review.submitted", ("review", "submitted_at"),
         "0001-01-01T00:00:00Z"),
        ("pull_request_review", "pull_request_review.submitted", ("review", "state"), "ok\u0000"),
        ("push", "push", ("commits", 0, "timestamp"), "9999-12-31T23:59:59Z"),
        ("push", "push", ("commits", 0, "id"), "abc\u0000defg"),
        ("push", "push", ("commits", 0, "author", "email"), "a\u0000@example.com"),
        ("push", "push", ("before", ), "0" * 41),
        ("push", "push", ("ref", ), "refs/heads/main\u0000"),
        ("deployment", "deployment", ("deployment", "id"), INT64_OVERFLOW),
        ("deployment", "deployment", ("deployment", "environment"), "prod\u0000"),
        ("deployment", "deployment", ("deployment", "payload"), {"service": "api\u0000"}),
        ("deployment", "deployment", ("deployment", "created_at"), "0999-12-31T23:59:59Z"),
        ("deployment_status", "deployment_status", ("deployment_status", "created_at"),
         "9000-01-01T00:00:00Z"),
        ("deployment_status", "deployment_status", ("deployment_status", "state"), "ok\u001f"),
        ("workflow_run", "workflow_run.completed", ("workflow_run", "id"), INT64_OVERFLOW),
        ("workflow_run", "workflow_run.completed", ("workflow_run", "updated_at"),
         "9999-12-31T23:59:59Z"),
        ("workflow_run", "workflow_run.completed", ("workflow_run", "name"), "Deploy\u0000"),
        ("issues", "issues.opened", ("issue", "number"), INT64_OVERFLOW),
        ("issues", "issues.opened", ("issue", "closed_at"), "0001-01-01T00:00:00Z"),
        ("release", "release.published", ("release", "id"), INT64_OVERFLOW),
        ("release", "release.published", ("release", "tag_name"), "v1\u0000"),
        ("release", "release.published", ("release", "published_at"), "9999-12-31T23:59:59Z"),
    ],
)  # fmt: skip
async def test_every_event_the_pack_reads_follows_the_input_rules(
    team: Team, event: str, name: str, path: Path, value: Any
) -> None:
    await _refused(team, event, name, path, value)


async def test_one_422_names_every_bad_field_and_header(team: Team) -> None:
    source = await team.create_source([REPO])
    payload = fixture("pull_request.opened")
    payload["pull_request"] |= {
        "number": INT64_OVERFLOW,
        "created_at": "0001-01-01T00:00:00Z",
        "state": "open\u0000",
    }
    response = await team.send(source, "pull_request", payload, delivery_id="abc\tdef")
    assert _located(response) == {
        ("header", "X-GitHub-Delivery"),
        ("body", "pull_request", "number"),
        ("body", "pull_request", "created_at"),
        ("body", "pull_request", "state"),
    }
    assert await team.deliveries() == []


@pytest.mark.parametrize("header", ["X-GitHub-Delivery", "X-GitHub-Event"])
async def test_a_header_with_a_control_character_is_422(team: Team, header: str) -> None:
    source = await team.create_source([REPO])
    delivery_id = "abc\tdef" if header == "X-GitHub-Delivery" else None
    event = "pull\trequest" if header == "X-GitHub-Event" else "pull_request"
    response = await team.send(
        source, event, fixture("pull_request.opened"), delivery_id=delivery_id
    )
    assert _located(response) == {("header", header)}
    assert await team.deliveries() == []


async def test_the_widest_numbers_that_fit_are_accepted_and_processed(team: Team) -> None:
    source = await team.create_source([REPO])
    payload = fixture("pull_request.opened")
    payload["pull_request"] |= {"number": INT32_OVERFLOW - 1, "additions": INT32_OVERFLOW - 1}
    payload["repository"]["id"] = INT64_OVERFLOW - 1
    delivery = str(uuid.uuid4())
    response = await team.send(source, "pull_request", payload, delivery_id=delivery)
    assert response.status_code == 202, response.text
    row = await team.settled(delivery)
    assert row.status == "processed", row.error
    too_wide = _with(fixture("pull_request.opened"), ("pull_request", "number"), INT32_OVERFLOW)
    assert (await team.send(source, "pull_request", too_wide)).status_code == 422


async def test_an_ignored_event_never_stores_a_repository_name_with_a_nul(team: Team) -> None:
    source = await team.create_source([REPO])
    delivery = str(uuid.uuid4())
    body = {"action": "created", "repository": {"full_name": "acme/a\u0000b"}}
    response = await team.send(source, "star", body, delivery_id=delivery)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "ignored"
    [row] = await team.deliveries()
    assert (row.delivery_id, row.repository) == (delivery, None)


async def test_a_commit_subject_naming_an_impossible_pull_request_names_none(team: Team) -> None:
    source = await team.create_source([REPO])
    payload = fixture("push")
    payload["commits"][0]["message"] = f"Tidy up (#{INT64_OVERFLOW})"
    delivery = str(uuid.uuid4())
    assert (await team.send(source, "push", payload, delivery_id=delivery)).status_code == 202
    row = await team.settled(delivery)
    assert row.status == "processed", row.error
    async with app_of(team.client).state.database.reader() as session:
        commits = (await session.execute(select(Commit.subject, Commit.pr_number))).all()
    assert [tuple(commit) for commit in commits] == [(f"Tidy up (#{INT64_OVERFLOW})", None)]


async def test_sources_ownership_and_forecasts_refuse_bad_text(team: Team) -> None:
    for body, field in (
        ({"name": "gh\x00", "secret": "s" * 8}, "name"),
        ({"name": "gh", "repositories": ["acme/\x00api"], "secret": "s" * 8}, "repositories"),
        ({"name": "gh", "repositories": ["acme"], "secret": "s" * 8}, "repositories"),
        ({"name": "gh", "repositories": ["*/api"], "secret": "s" * 8}, "repositories"),
        ({"name": "gh", "repositories": ["acme/a/b"], "secret": "s" * 8}, "repositories"),
        ({"name": "gh", "secret": "secret\nsecret"}, "secret"),
        ({"name": "gh", "secret": "s" * 8, "token": "ghp_\x00"}, "token"),
    ):
        response = await team.client.post(SOURCES, json=body, headers=team.admin)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"][:2] == ["body", field], body
    listed = await team.client.get(SOURCES, headers=team.admin)
    assert listed.json()["data"] == []
    owners = {"entries": [{"kind": "repository", "name": "acme/api", "team": "core\x00"}]}
    owned = await team.client.put("/api/v1/delivery/ownership", json=owners, headers=team.admin)
    assert owned.status_code == 422, owned.text
    assert owned.json()["errors"][0]["loc"] == ["body", "entries", 0, "team"]
    assert (await team.get("/ownership")).json()["data"] == []
    forecasts: tuple[tuple[dict[str, object], str], ...] = (
        ({"items": 5, "project": "shop\x00"}, "project"),
        ({"items": 5, "history_end": "0001-01-01T00:00:00Z"}, "history_end"),
    )
    for forecast_body, field in forecasts:
        forecast = await team.client.post(
            "/api/v1/delivery/forecast", json=forecast_body, headers=team.reader
        )
        assert forecast.status_code == 422, forecast.text
        assert forecast.json()["errors"][0]["loc"] == ["body", field]


async def test_free_text_written_on_github_is_kept_without_its_control_characters(
    team: Team,
) -> None:
    source = await team.create_source([REPO])
    issue = fixture("issues.opened")
    issue["issue"] |= {
        "title": "Crash\u0007 on start",
        "body": "log:\n\u001b[31mError\u001b[0m\u0000",
    }
    push = fixture("push")
    push["commits"][0]["message"] = "Colour\u001b[1m output\n\nbody"
    pull = _with(fixture("pull_request.opened"), ("pull_request", "title"), "Fix\u0000it")
    for event, payload in (("issues", issue), ("push", push), ("pull_request", pull)):
        delivery = str(uuid.uuid4())
        response = await team.send(source, event, payload, delivery_id=delivery)
        assert response.status_code == 202, response.text
        row = await team.settled(delivery)
        assert row.status == "processed", row.error
    async with app_of(team.client).state.database.reader() as session:
        items = (await session.execute(select(WorkItem.title, WorkItem.body))).all()
        subjects = (await session.execute(select(Commit.subject))).scalars().all()
    assert [tuple(item) for item in items] == [("Crash on start", "log:\n[31mError[0m")]
    assert "Colour[1m output" in subjects
