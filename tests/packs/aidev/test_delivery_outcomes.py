"""The five KPIs that need delivery data, the session links and the outcome series, against
a hand-computed fixture of traces and GitHub events sent through the delivery pack's own
event applier; the alias table and delivery's identities name each developer once.

Window 2026-11-01 .. 2026-11-08 (7 days); the previous window is 2026-10-25 .. 2026-11-01.

Merged in the window (acme/api): #1 by ann-gh (opened 11-02 10:00, reviewed 14:00, merged
11-03 10:00: 24 h, 100 + 20 lines, a commit after the review), #2 by benb (11-04 08:00 ->
14:00: 6 h, 50 + 30 lines, no review), #3 by cat (11-05 00:00 -> 11-06 12:00: 36 h, 200 + 0
lines, a commit after the review). #4 by ann-gh was merged in the previous window (12 h, 10
lines). #5 by ann-gh is open.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.packs.aidev.conftest import Team, make_team
from tests.packs.aidev.support import payload
from tests.packs.delivery.support import fixture, sha_of
from tests.support.auth import DEFAULT_TENANT_ID, app_of, create_tenant
from vantage.packs.aidev import PACK
from vantage.packs.aidev.schemas import AliasBatchIn, AliasIn
from vantage.packs.aidev.service.aliases import set_aliases
from vantage.packs.delivery.pack import build_pack
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service.github_events import EventApplier
from vantage.packs.delivery.service.webhooks import parse_event
from vantage.packs.delivery.settings import DeliverySettings

WINDOW = {"from": "2026-11-01", "to": "2026-11-08"}
REPOSITORY = {"id": 77, "full_name": "acme/api", "default_branch": "main", "name": "api"}
ANN = {"name": "Ann", "email": "Ann@acme.dev", "username": "ann-gh"}
BEN_OLD = {"name": "Ben", "email": "ben@old.dev", "username": "benb"}
BEN = {"name": "Ben", "email": "ben@acme.dev"}
CAT = {"name": "Cat", "email": "cat@acme.dev", "username": "cat"}


def _push(branch: str, commits: list[tuple[str, str, dict[str, Any]]]) -> tuple[str, Any]:
    body = fixture("push")
    shas = [sha_of(label) for label, _, _ in commits]
    body |= {
        "ref": f"refs/heads/{branch}",
        "before": "0" * 40,
        "after": shas[-1],
        "repository": body["repository"] | REPOSITORY,
        "commits": [
            {"id": sha, "message": label, "timestamp": moment, "author": who, "committer": who}
            for sha, (label, moment, who) in zip(shas, commits, strict=True)
        ],
    }
    return "push", body


def _pull(
    number: int, author: str, opened: str, merged: str | None, lines: tuple[int, int]
) -> tuple[str, Any]:
    body = fixture("pull_request.closed")
    pull = body["pull_request"] | {
        "number": number,
        "title": f"Change {number}",
        "user": {"login": author},
        "head": {"ref": f"feat-{number}", "sha": sha_of(f"head-{number}")},
        "base": {"ref": "main", "sha": sha_of("base")},
        "labels": [],
        "additions": lines[0],
        "deletions": lines[1],
        "commits": 1,
        "state": "closed" if merged else "open",
        "created_at": opened,
        "merged_at": merged,
        "closed_at": merged,
        "merge_commit_sha": sha_of(f"merge-{number}"),
    }
    action = "closed" if merged else "opened"
    return "pull_request", body | {
        "action": action, "number": number, "pull_request": pull,
        "repository": body["repository"] | REPOSITORY,
    }  # fmt: skip


def _review(number: int, review_id: int, state: str, moment: str) -> tuple[str, Any]:
    body = fixture("pull_request_review.submitted")
    review = body["review"] | {
        "id": review_id, "user": {"login": "rev"}, "state": state, "submitted_at": moment,
    }  # fmt: skip
    return "pull_request_review", body | {
        "review": review,
        "pull_request": body["pull_request"] | {"number": number},
        "repository": body["repository"] | REPOSITORY,
    }


EVENTS = [
    _push("old", [("ann-old", "2026-10-28T08:00:00Z", ANN)]),
    _pull(4, "ann-gh", "2026-10-28T00:00:00Z", "2026-10-28T12:00:00Z", (10, 0)),
    _push("feat-1", [("ann-1", "2026-11-02T09:00:00Z", ANN)]),
    _pull(1, "ann-gh", "2026-11-02T10:00:00Z", None, (100, 20)),
    _review(1, 501, "approved", "2026-11-02T14:00:00Z"),
    _push("feat-5", [("ann-5", "2026-11-03T09:20:00Z", ANN)]),
    _pull(5, "ann-gh", "2026-11-03T09:10:00Z", None, (5, 5)),
    _push("feat-1", [("ann-2", "2026-11-03T09:30:00Z", ANN)]),
    _pull(1, "ann-gh", "2026-11-02T10:00:00Z", "2026-11-03T10:00:00Z", (100, 20)),
    _push("feat-2", [("ben-1", "2026-11-04T07:00:00Z", BEN_OLD)]),
    _pull(2, "benb", "2026-11-04T08:00:00Z", "2026-11-04T14:00:00Z", (50, 30)),
    _push("main", [("ben-2", "2026-11-04T15:00:00Z", BEN)]),
    _pull(3, "cat", "2026-11-05T00:00:00Z", None, (200, 0)),
    _review(3, 503, "changes_requested", "2026-11-05T06:00:00Z"),
    _push(
        "feat-3", [("cat-1", "2026-11-05T08:00:00Z", CAT), ("cat-2", "2026-11-05T09:00:00Z", CAT)]
    ),
    _pull(3, "cat", "2026-11-05T00:00:00Z", "2026-11-06T12:00:00Z", (200, 0)),
]
ANN_SESSION_REPOSITORY = "https://github.com/acme/api.git"


def _traces() -> list[dict[str, Any]]:
    ann, ben, cat = "ann@acme.dev", "ben@acme.dev", "cat@acme.dev"
    return [
        payload("prev", "2026-10-28T09:00:00Z", user=ann, tokens=(1000, 0)),
        payload("a1", "2026-11-03T09:00:00Z", user=ann, tokens=(3000, 1000), seconds=60,
                session="s-ann", repository=ANN_SESSION_REPOSITORY),
        payload("a2", "2026-11-03T09:40:00Z", user=ann, tokens=(3000, 1000), seconds=60,
                session="s-ann", repository=ANN_SESSION_REPOSITORY),
        payload("b1", "2026-11-04T10:00:00Z", user=ben, tokens=(1000, 0)),
        payload("c1", "2026-11-05T10:00:00Z", user=cat, tokens=(500, 500)),
    ]  # fmt: skip


@pytest.fixture
async def both_client(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    packs = [PACK, build_pack()]
    async with client_for(database_url, packs=packs, rate_limit_enabled=False) as client:
        yield client


async def _load(client: httpx.AsyncClient, tenant_id: int) -> Team:
    team = await make_team(client, tenant_id)
    assert (await team.post(_traces())).json()["accepted"] == 5
    database = app_of(client).state.database
    async with database.transaction() as session:
        repository = await records.add_repository(session, tenant_id, "acme/api")
        # benb is Ben's GitHub login; his commits under both identities are one developer's.
        batch = AliasBatchIn(aliases=[AliasIn(alias="benb", developer="ben@acme.dev")])
        await set_aliases(session, tenant_id, batch)
    for kind, body in EVENTS:
        event = parse_event(kind, json.dumps(body).encode())
        assert event is not None
        async with database.transaction() as session:
            applier = EventApplier(session, tenant_id, repository.id, DeliverySettings())
            await applier.apply(event)
    return team


@pytest.fixture
async def loaded(both_client: httpx.AsyncClient) -> Team:
    return await _load(both_client, DEFAULT_TENANT_ID)


def _by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {kpi["key"]: kpi for kpi in body["kpis"]}


async def test_the_five_delivery_kpis_match_the_hand_computed_fixture(loaded: Team) -> None:
    kpis = _by_key((await loaded.get("/metrics", **WINDOW)).json())
    # 400 lines changed over 10,000 tokens; before: 10 lines over 1,000 tokens.
    assert kpis["token_efficiency"]["value"] == pytest.approx(40.0)
    assert kpis["token_efficiency"]["status"] == "good"
    trend = kpis["token_efficiency"]["trend"]
    assert (trend["previous"], trend["change"], trend["direction"]) == (10.0, 30.0, "up")
    # 3 merged pull requests in one week; before: 1.
    assert kpis["pr_throughput"]["value"] == pytest.approx(3.0)
    assert kpis["pr_throughput"]["status"] == "warn"
    assert kpis["pr_throughput"]["trend"]["previous"] == pytest.approx(1.0)
    # 7 commits over 4 developer-days (Ben's two identities are one developer on 11-04).
    assert kpis["commit_frequency"]["value"] == pytest.approx(7 / 4)
    assert kpis["commit_frequency"]["status"] == "warn"
    assert kpis["commit_frequency"]["trend"]["previous"] == pytest.approx(1.0)
    # Median of 24, 6 and 36 hours; before: 12.
    assert kpis["merge_time"]["value"] == pytest.approx(24.0)
    assert kpis["merge_time"]["status"] == "good"
    assert kpis["merge_time"]["trend"]["change"] == pytest.approx(12.0)
    # #1 and #3 got commits after their first review; #2 had no review.
    assert kpis["rework_rate"]["value"] == pytest.approx(2 / 3)
    assert kpis["rework_rate"]["status"] == "bad"
    assert kpis["rework_rate"]["trend"]["previous"] == pytest.approx(0.0)


async def test_the_daily_series_carry_merged_pull_requests_and_commits(loaded: Team) -> None:
    days = {d["date"]: d for d in (await loaded.get("/metrics/raw", **WINDOW)).json()["days"]}
    picked = {
        day: (d["merged_pull_requests"], d["commits"], d["committers"], d["commit_frequency"])
        for day, d in days.items()
    }
    assert picked == {
        "2026-11-01": (0, 0, 0, None),
        "2026-11-02": (0, 1, 1, 1.0),
        "2026-11-03": (1, 2, 1, 2.0),
        "2026-11-04": (1, 2, 1, 2.0),
        "2026-11-05": (0, 2, 1, 2.0),
        "2026-11-06": (1, 0, 0, None),
        "2026-11-07": (0, 0, 0, None),
    }


async def test_insights_correlate_usage_with_pull_requests_and_commits(loaded: Team) -> None:
    body = (await loaded.get("/insights", max_lag_days=0, **WINDOW)).json()
    outcomes = {test["outcome"] for test in body["correlations"]}
    # The trace outcomes are undefined or constant here; the delivery ones are not.
    assert outcomes == {"pr_throughput", "commits"}
    assert body["tests"] == 12
    pearson = next(
        t for t in body["correlations"]
        if (t["usage"], t["outcome"], t["method"]) == ("requests", "commits", "pearson")
    )  # fmt: skip
    # requests 0,0,2,1,1,0,0 against commits 0,1,2,2,2,0,0: r = 4 / sqrt(182/49 * 6).
    assert pearson["n"] == 7
    assert pearson["r"] == pytest.approx(28 / math.sqrt(1092))


async def test_a_session_links_the_developers_pull_requests_and_commits(loaded: Team) -> None:
    listed = (await loaded.get("/sessions", developer="ann@acme.dev")).json()["data"]
    [ann] = [s for s in listed if s["session_key"] == "s-ann"]
    detail = (await loaded.get(f"/sessions/{ann['id']}")).json()
    links = detail["delivery"]
    assert links["status"] == "linked"
    # 09:00-09:41: commits ann-5 (09:20) and ann-2 (09:30); #5 opened at 09:10, and #1
    # received ann-2 although it was opened the day before and merged after the session.
    assert [c["sha"] for c in links["commits"]] == [sha_of("ann-5"), sha_of("ann-2")]
    assert [(p["number"], p["state"]) for p in links["pull_requests"]] == [
        (1, "merged"),
        (5, "open"),
    ]
    assert links["pull_requests"][0]["merged_at"] == "2026-11-03T10:00:00Z"
    assert {c["repository"] for c in links["commits"]} == {"acme/api"}


async def test_another_tenants_delivery_data_stays_out(both_client: httpx.AsyncClient) -> None:
    await _load(both_client, DEFAULT_TENANT_ID)
    tenant = await create_tenant(app_of(both_client))
    other = await make_team(both_client, tenant.id)
    kpis = _by_key((await other.get("/metrics", **WINDOW)).json())
    assert kpis["pr_throughput"]["value"] == 0.0
    assert kpis["merge_time"]["status"] == "no_data"
    assert kpis["commit_frequency"]["value"] is None
