"""GitHub issues become work items: their state, whether they were finished, their points."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from tests.packs.delivery.support import Team, fixture, make_team
from tests.support.auth import app_of, create_tenant
from vantage.packs.delivery.github import payloads as gh
from vantage.packs.delivery.models import Incident
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service.github_events import EventApplier
from vantage.packs.delivery.service.work_items import (
    WorkItemText,
    story_points_in,
    work_item_texts,
)
from vantage.packs.delivery.settings import DeliverySettings

REPO = "acme/api"


@pytest.mark.parametrize(
    ("labels", "points"),
    [
        (["bug", "points: 3"], 3.0),
        (["Story Points: 5"], 5.0),
        (["sp:2"], 2.0),
        (["estimate/8", "points: 1"], 8.0),
        (["storypoints 0.5"], 0.5),
        (["bug", "points"], None),
        (["points: lots"], None),
        (["sprint: 3"], None),
        ([], None),
    ],
)
def test_story_points_come_from_the_first_points_label(
    labels: list[str], points: float | None
) -> None:
    assert story_points_in(labels) == points


def issue_event(action: str, number: int, **issue: Any) -> gh.IssuesEvent:
    body = {"number": number, "title": f"Issue {number}", "created_at": "2025-03-01T10:00:00Z"}
    return gh.IssuesEvent.model_validate(
        {
            "action": action,
            "repository": {"id": 1, "full_name": REPO},
            "issue": body | issue,
        }
    )


async def apply_issues(team: Team, *events: gh.IssuesEvent) -> list[WorkItemText]:
    database = app_of(team.client).state.database
    async with database.transaction() as session:
        repository = await records.repository_named(session, team.tenant_id, REPO)
        if repository is None:
            repository = await records.add_repository(session, team.tenant_id, REPO)
        applier = EventApplier(session, team.tenant_id, repository.id, DeliverySettings())
        for event in events:
            await applier.apply(event)
    async with database.reader() as session:
        return await work_item_texts(session, team.tenant_id)


def label(*names: str) -> list[dict[str, str]]:
    return [{"name": name} for name in names]


async def test_an_issue_is_a_work_item_through_its_life(team: Team) -> None:
    [opened] = await apply_issues(
        team, issue_event("opened", 7, body="Make it faster", labels=label("points: 5"))
    )
    assert (opened.repository, opened.number, opened.body) == (REPO, 7, "Make it faster")
    assert (opened.state, opened.finished, opened.story_points) == ("open", False, 5.0)
    done = {"state": "closed", "state_reason": "completed", "closed_at": "2025-03-04T10:00:00Z"}
    [closed] = await apply_issues(team, issue_event("closed", 7, labels=label("sp: 3"), **done))
    assert (closed.id, closed.state, closed.finished, closed.story_points) == (
        opened.id, "closed", True, 3.0,
    )  # fmt: skip
    dropped = done | {"state_reason": "not_planned"}
    [not_planned] = await apply_issues(team, issue_event("closed", 7, **dropped))
    assert (not_planned.finished, not_planned.story_points) == (False, None)
    assert await apply_issues(team, issue_event("deleted", 7)) == []


async def test_work_items_are_the_tenants_own(team: Team) -> None:
    other = await make_team(team.client, (await create_tenant(app_of(team.client))).id)
    await apply_issues(team, issue_event("opened", 1))
    assert await apply_issues(other, issue_event("opened", 2, title="Theirs")) != []
    [mine] = await apply_issues(team)
    [theirs] = await apply_issues(other)
    assert (mine.number, theirs.number, theirs.title) == (1, 2, "Theirs")


async def test_a_real_issues_webhook_records_a_work_item(team: Team) -> None:
    payload = fixture("issues.opened")
    source = await team.create_source([payload["repository"]["full_name"]])
    delivery = str(uuid.uuid4())
    response = await team.send(source, "issues", payload, delivery_id=delivery)
    assert response.status_code == 202, response.text
    assert (await team.settled(delivery)).status == "processed"
    async with app_of(team.client).state.database.reader() as session:
        [item] = await work_item_texts(session, team.tenant_id)
    assert (item.number, item.title, item.state) == (1, "Spelling error in the README file", "open")


async def test_an_incident_keeps_as_much_of_a_long_severity_label_as_fits(team: Team) -> None:
    """GitHub allows 50-character labels; PostgreSQL refuses more than the column holds."""
    long_label = "severity: critical, customers cannot sign in"  # 44 characters
    await apply_issues(team, issue_event("opened", 9, labels=label("incident", long_label)))
    async with app_of(team.client).state.database.reader() as session:
        severities = (await session.scalars(select(Incident.severity))).all()
    assert severities == [long_label[:32]]
