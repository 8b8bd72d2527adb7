"""GitHub deliveries answered before routing: the route's answers, the route's rules.

A query string other than a plain ``source=<id>`` always goes to the route, which is how these
tests compare the two.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import ClientFactory
from tests.packs.delivery.support import SECRET, Team, fixture, make_team
from tests.support.auth import DEFAULT_TENANT_ID, app_of
from vantage.packs.delivery.github.signature import SIGNATURE_HEADER, signature_of
from vantage.packs.delivery.pack import build_pack

REPO = "Codertocat/Hello-World"
WEBHOOKS = "/api/v1/webhooks/github"
TO_THE_ROUTE = {"via": "route"}


def early_posts(client: httpx.AsyncClient) -> float:
    registry = app_of(client).state.metrics_registry
    value = registry.get_sample_value("vantage_early_answers_total", {"kind": "post"})
    return value or 0.0


def _comparable(response: httpx.Response) -> tuple[int, str, dict[str, Any]]:
    body = response.json()
    for varying in ("request_id", "timestamp"):
        body.pop(varying, None)
    return response.status_code, response.headers["content-type"], body


async def test_a_plain_delivery_is_answered_before_routing_and_queued(team: Team) -> None:
    source = await team.create_source([REPO])
    delivery = str(uuid.uuid4())
    response = await team.send(
        source, "pull_request", fixture("pull_request.opened"), delivery_id=delivery
    )
    assert response.status_code == 202
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"delivery_id": delivery, "event": "pull_request", "status": "queued"}
    assert early_posts(team.client) == 1
    assert response.headers["x-request-id"]  # the middlewares outside still apply
    assert (await team.settled(delivery)).status == "processed"


async def test_the_early_answers_equal_the_routes(team: Team) -> None:
    source = await team.create_source([REPO])
    opened = fixture("pull_request.opened")
    malformed = fixture("pull_request.opened")
    del malformed["pull_request"]["number"]
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("valid", {"event": "pull_request", "payload": opened}, {}),
        ("unknown event", {"event": "star", "payload": {"action": "created"}}, {}),
        ("bad signature", {"event": "pull_request", "payload": opened}, {"secret": "other"}),
        ("malformed", {"event": "pull_request", "payload": malformed}, {}),
        ("not json", {"event": "push", "payload": b"{not json"}, {}),
    ]
    for name, request, options in cases:
        answers = []
        for query in (None, TO_THE_ROUTE):
            before = early_posts(team.client)
            response = await team.send(
                source, request["event"], request["payload"], query=query,
                delivery_id=f"{name}-{query is None}", **options,
            )  # fmt: skip
            assert early_posts(team.client) == before + (query is None), name
            answers.append(_comparable(response))
        early, routed = answers
        if name in ("valid", "unknown event"):  # the delivery ids differ, nothing else
            early[2].pop("delivery_id"), routed[2].pop("delivery_id")
        assert early == routed, name
    stored = sorted(row.delivery_id for row in await team.deliveries())
    assert stored == ["unknown event-False", "unknown event-True", "valid-False", "valid-True"]


async def test_a_duplicate_is_answered_early_as_a_duplicate(team: Team) -> None:
    source = await team.create_source([REPO])
    delivery = str(uuid.uuid4())
    payload = fixture("pull_request.opened")
    await team.send(source, "pull_request", payload, delivery_id=delivery, query=TO_THE_ROUTE)
    again = await team.send(source, "pull_request", payload, delivery_id=delivery)
    assert (again.status_code, again.json()["status"]) == (202, "duplicate")
    assert early_posts(team.client) == 1
    assert len(await team.deliveries()) == 1


@pytest.mark.parametrize("source", ["abc", "0", "-1", "01", "1e3", "9" * 19, "9" * 20])
async def test_a_query_the_route_must_validate_is_left_to_it(team: Team, source: str) -> None:
    body = b"{}"
    response = await team.client.post(
        WEBHOOKS,
        params={"source": source},
        content=body,
        headers={
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            SIGNATURE_HEADER: signature_of(SECRET, body),
        },
    )
    assert early_posts(team.client) == 0
    if response.status_code == 422:
        assert response.json()["errors"][0]["loc"] == ["query", "source"]
    else:  # "01" is a valid id for the route: no such source
        assert (source, response.status_code) == ("01", 401)
    assert await team.deliveries() == []


async def test_a_delivery_with_a_credential_goes_to_the_route(team: Team) -> None:
    source = await team.create_source([REPO])
    body = b'{"zen": "Keep it logically awesome."}'
    response = await team.client.post(
        WEBHOOKS,
        params={"source": source},
        content=body,
        headers={
            **team.ingest,
            "X-GitHub-Event": "ping",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            SIGNATURE_HEADER: signature_of(SECRET, body),
        },
    )
    assert (response.status_code, response.json()["status"]) == (202, "ignored")
    assert early_posts(team.client) == 0


@pytest.fixture
async def limited(client_for: ClientFactory, database_url: str) -> AsyncIterator[Team]:
    async with client_for(
        database_url, packs=[build_pack()], rate_limits={"delivery.webhooks": "3/minute"}
    ) as client:
        yield await make_team(client, DEFAULT_TENANT_ID)


async def test_the_early_path_spends_the_routes_rate_limit(limited: Team) -> None:
    source = await limited.create_source([REPO])
    answers = [await limited.send(source, "star", {"action": "created"}) for _ in range(4)]
    assert [response.status_code for response in answers] == [202, 202, 202, 429]
    assert early_posts(limited.client) == 3
    refused = answers[-1]
    assert refused.json()["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) > 0
    assert [row.delivery_id for row in await limited.deliveries()] == [
        response.json()["delivery_id"] for response in answers[:3]
    ]


async def test_an_oversized_streamed_body_is_413_and_stores_nothing(
    client_for: ClientFactory, database_url: str
) -> None:
    async with client_for(
        database_url,
        packs=[build_pack()],
        rate_limit_enabled=False,
        max_body_bytes_by_path={WEBHOOKS: 1000},
    ) as client:
        team = await make_team(client, DEFAULT_TENANT_ID)
        source = await team.create_source([REPO])
        body = b'{"action": "created", "padding": "' + b"x" * 2000 + b'"}'

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
            for start in range(0, len(body), 500):
                yield body[start : start + 500]

        response = await client.post(
            WEBHOOKS,
            params={"source": source},
            content=chunks(),
            headers={
                "X-GitHub-Event": "star",
                "X-GitHub-Delivery": str(uuid.uuid4()),
                SIGNATURE_HEADER: signature_of(SECRET, body),
            },
        )
        assert response.status_code == 413
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
        assert await team.deliveries() == []


async def test_a_database_that_is_down_is_a_503_problem(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = await team.create_source([REPO])
    database = app_of(team.client).state.database

    def unavailable() -> Any:
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(database, "transaction", unavailable)
    response = await team.send(source, "star", {"action": "created"})
    assert response.status_code == 503
    assert response.json()["code"] == "UNAVAILABLE"
    assert response.headers["retry-after"]
    assert early_posts(team.client) == 1
