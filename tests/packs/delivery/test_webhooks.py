"""GitHub webhooks: signatures, validation, deduplication, queued processing, parked repos."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from sqlalchemy import delete, func, select

from tests.packs.delivery.support import SECRET, SOURCES, Team, fixture
from tests.support.auth import app_of
from vantage.packs.delivery.github.signature import signature_matches, signature_of
from vantage.packs.delivery.models import PullRequest, Review, Source
from vantage.packs.delivery.service import github_events

REPO = "Codertocat/Hello-World"


def test_githubs_published_signature_vector() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_of("It's a Secret to Everybody", b"Hello, World!") == expected
    assert signature_matches("It's a Secret to Everybody", b"Hello, World!", expected)
    assert not signature_matches("It's a Secret to Everybody", b"Hello, World?", expected)
    assert not signature_matches("another secret", b"Hello, World!", expected)
    assert not signature_matches("It's a Secret to Everybody", b"Hello, World!", None)


async def _pull_requests(team: Team) -> list[PullRequest]:
    async with app_of(team.client).state.database.reader() as session:
        rows = await session.execute(
            select(PullRequest).where(PullRequest.tenant_id == team.tenant_id)
        )
        return list(rows.scalars().all())


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "wrong-secret"])
async def test_a_bad_signature_is_401_and_stores_nothing(team: Team, signature: str | None) -> None:
    source = await team.create_source([REPO])
    secret = "a different secret" if signature == "wrong-secret" else None
    body = json.dumps(fixture("pull_request.opened")).encode()
    headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": str(uuid.uuid4())}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature if secret is None else signature_of(secret, body)
    response = await team.client.post(
        "/api/v1/webhooks/github", params={"source": source}, content=body, headers=headers
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "UNAUTHORIZED"
    assert await team.deliveries() == []


async def test_an_unknown_source_is_401(team: Team) -> None:
    response = await team.send(987654, "pull_request", fixture("pull_request.opened"))
    assert response.status_code == 401
    assert await team.deliveries() == []


async def test_real_payloads_are_processed_from_the_queue(team: Team) -> None:
    source = await team.create_source([REPO, "octo-org/*"])
    for event, name in [
        ("pull_request", "pull_request.opened"),
        ("pull_request_review", "pull_request_review.submitted"),
        ("pull_request", "pull_request.closed"),
        ("push", "push"),
        ("deployment", "deployment"),
        ("deployment_status", "deployment_status"),
        ("workflow_run", "workflow_run.completed"),
        ("issues", "issues.opened"),
        ("release", "release.published"),
    ]:
        delivery = str(uuid.uuid4())
        response = await team.send(source, event, fixture(name), delivery_id=delivery)
        assert response.status_code == 202, response.text
        assert response.json() == {"delivery_id": delivery, "event": event, "status": "queued"}
        row = await team.settled(delivery)
        assert row.status == "processed", (event, row.error)
    [pr] = await _pull_requests(team)
    opened = fixture("pull_request.opened")["pull_request"]
    assert (pr.number, pr.author, pr.head_ref) == (2, "Codertocat", opened["head"]["ref"])
    assert pr.labels == ["bug"]
    async with app_of(team.client).state.database.reader() as session:
        reviews = (await session.execute(select(func.count(Review.id)))).scalar_one()
    assert reviews == 1


async def test_redeliveries_are_processed_once(team: Team) -> None:
    source = await team.create_source([REPO])
    delivery = str(uuid.uuid4())
    payload = fixture("pull_request.opened")
    first = await team.send(source, "pull_request", payload, delivery_id=delivery)
    await team.settled(delivery)
    again = await team.send(source, "pull_request", payload, delivery_id=delivery)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["status"] == "duplicate"
    [row] = await team.deliveries()
    assert (row.status, row.attempts) == ("processed", 1)


async def test_twenty_concurrent_posts_of_one_delivery_process_one_event(team: Team) -> None:
    source = await team.create_source([REPO])
    delivery = str(uuid.uuid4())
    payload = fixture("pull_request.opened")
    responses = await asyncio.gather(
        *[team.send(source, "pull_request", payload, delivery_id=delivery) for _ in range(20)]
    )
    assert all(response.status_code == 202 for response in responses)
    statuses = sorted(response.json()["status"] for response in responses)
    assert statuses == ["duplicate"] * 19 + ["queued"]
    row = await team.settled(delivery)
    assert (row.status, row.attempts) == ("processed", 1)
    assert len(await team.deliveries()) == 1
    assert len(await _pull_requests(team)) == 1


async def test_a_failed_delivery_is_processed_once_on_redelivery(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = await team.create_source([REPO])
    original = github_events.EventApplier.apply
    failures: list[object] = []

    async def failing_once(self: github_events.EventApplier, event: object) -> None:
        if not failures:
            failures.append(event)
            raise RuntimeError("the database went away mid-event")
        await original(self, event)  # type: ignore[arg-type]

    monkeypatch.setattr(github_events.EventApplier, "apply", failing_once)
    delivery = str(uuid.uuid4())
    payload = fixture("pull_request.opened")
    await team.send(source, "pull_request", payload, delivery_id=delivery)
    failed = await team.settled(delivery)
    assert failed.status == "failed" and "went away" in (failed.error or "")
    assert await _pull_requests(team) == []

    redelivered = await asyncio.gather(
        *[team.send(source, "pull_request", payload, delivery_id=delivery) for _ in range(5)]
    )
    assert sorted(r.json()["status"] for r in redelivered) == ["duplicate"] * 4 + ["requeued"]
    row = await team.settled(delivery)
    assert (row.status, row.attempts) == ("processed", 2)
    assert len(await _pull_requests(team)) == 1


async def test_unknown_events_are_acknowledged_and_counted(team: Team) -> None:
    source = await team.create_source([REPO])
    for _ in range(2):
        response = await team.send(source, "star", {"action": "created", "starred_at": None})
        assert response.status_code == 202
        assert response.json()["status"] == "ignored"
    assert [row.status for row in await team.deliveries()] == ["ignored", "ignored"]
    registry = app_of(team.client).state.metrics_registry
    counted = registry.get_sample_value(
        "vantage_delivery_webhooks_total", {"event": "star", "outcome": "ignored"}
    )
    assert counted == 2


async def test_a_malformed_payload_is_422_with_the_field_path(team: Team) -> None:
    source = await team.create_source([REPO])
    payload = fixture("pull_request.opened")
    del payload["pull_request"]["number"]
    payload["pull_request"]["created_at"] = "yesterday"
    response = await team.send(source, "pull_request", payload)
    assert response.status_code == 422
    located = {tuple(error["loc"]) for error in response.json()["errors"]}
    assert located == {
        ("body", "pull_request", "number"),
        ("body", "pull_request", "created_at"),
    }
    not_json = await team.send(source, "push", b"{not json")
    assert not_json.status_code == 422
    missing_delivery = await team.client.post(
        "/api/v1/webhooks/github",
        params={"source": source},
        content=b"{}",
        headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": signature_of(SECRET, b"{}")},
    )
    assert missing_delivery.status_code == 422
    assert missing_delivery.json()["errors"][0]["loc"] == ["header", "X-GitHub-Delivery"]
    assert await team.deliveries() == []


async def test_an_unknown_repository_is_kept_and_linked_when_it_appears(team: Team) -> None:
    source = await team.create_source(["acme/api"])
    delivery = str(uuid.uuid4())
    await team.send(source, "pull_request", fixture("pull_request.opened"), delivery_id=delivery)
    assert (await team.settled(delivery)).status == "parked"
    assert await _pull_requests(team) == []

    response = await team.client.patch(
        f"{SOURCES}/{source}", json={"repositories": ["acme/api", "Codertocat/*"]},
        headers=team.admin,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert (await team.settled(delivery)).status == "processed"
    assert [pr.number for pr in await _pull_requests(team)] == [2]


async def test_sources_never_show_their_secret(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = await team.create_source([REPO])
    monkeypatch.setenv("HELLO_WORLD_HOOK_SECRET", "from the environment")
    by_env = await team.create_source([REPO], secret_env="HELLO_WORLD_HOOK_SECRET")
    listing = await team.client.get(SOURCES, headers=team.admin)
    assert listing.status_code == 200
    assert SECRET not in listing.text and "from the environment" not in listing.text
    shown = {item["id"]: item for item in listing.json()["data"]}
    assert shown[sealed]["secret_configured"] and shown[sealed]["secret_env"] is None
    assert shown[by_env]["secret_env"] == "HELLO_WORLD_HOOK_SECRET"
    payload = fixture("pull_request.opened")
    accepted = await team.send(by_env, "pull_request", payload, secret="from the environment")
    assert accepted.status_code == 202
    refused = await team.send(by_env, "pull_request", payload, secret=SECRET)
    assert refused.status_code == 401


async def test_a_source_removed_elsewhere_refuses_its_deliveries_with_401(team: Team) -> None:
    source = await team.create_source([REPO])
    first = await team.send(source, "pull_request", fixture("pull_request.opened"))
    assert first.status_code == 202, first.text
    await team.settled(first.json()["delivery_id"])
    # Removed by another process: this one still holds the source's secret for a few seconds.
    async with app_of(team.client).state.database.transaction() as session:
        await session.execute(delete(Source).where(Source.id == source))
    second = await team.send(source, "pull_request", fixture("pull_request.opened"))
    assert second.status_code == 401, second.text
    assert second.json()["code"] == "UNAUTHORIZED"
    assert await team.deliveries() == []
