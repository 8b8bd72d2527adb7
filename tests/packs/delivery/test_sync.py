"""REST sync against a fake GitHub on 127.0.0.1: paging, 304s, rate limits, errors, resuming."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import ClientFactory
from tests.packs.delivery.fake_github import TOKEN, FakeGitHub, commit, pull
from tests.packs.delivery.support import SOURCES, Team, make_team
from tests.packs.gateway.fakes import serve
from tests.support.auth import DEFAULT_TENANT_ID, app_of
from vantage.packs.delivery.models import Commit, PullRequest, Review
from vantage.packs.delivery.pack import build_pack
from vantage.packs.delivery.settings import DeliverySettings

# More than a page (100) of each, so that listings page; the rate-limit and error tests need no
# paging and run on a few rows.
MANY = (201, 101)
FEW = (3, 3)


def _fake(commits: int, pulls: int) -> FakeGitHub:
    return FakeGitHub(
        commits=[commit(i) for i in reversed(range(commits))],
        pulls=[pull(n) for n in reversed(range(1, pulls + 1))],
    )


@pytest.fixture
async def github() -> AsyncIterator[tuple[FakeGitHub, str]]:
    fake = _fake(*MANY)
    async with serve(fake.app()) as url:
        yield fake, url


@pytest.fixture
async def small_github() -> AsyncIterator[tuple[FakeGitHub, str]]:
    fake = _fake(*FEW)
    async with serve(fake.app()) as url:
        yield fake, url


async def _source(team: Team, url: str, repositories: list[str] | None = None) -> int:
    return await team.create_source(
        repositories or ["acme/api"], secret="webhook-secret", api_url=url, token=TOKEN
    )


async def _sync(team: Team, source: int) -> dict[str, Any]:
    response = await team.client.post(f"{SOURCES}/{source}/sync", headers=team.admin)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    for _ in range(600):
        job = (await team.client.get(f"/api/v1/jobs/{job_id}", headers=team.admin)).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return dict(job)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the sync never finished: {job}")


async def _counts(team: Team) -> tuple[int, int, int]:
    async with app_of(team.client).state.database.reader() as session:
        counted = []
        for model in (Commit, PullRequest, Review):
            query = select(func.count()).select_from(model).where(model.tenant_id == team.tenant_id)
            counted.append(int((await session.execute(query)).scalar_one()))
    return counted[0], counted[1], counted[2]


async def test_a_sync_pages_through_everything(team: Team, github: tuple[FakeGitHub, str]) -> None:
    fake, url = github
    job = await _sync(team, await _source(team, url))
    assert job["status"] == "succeeded", job
    assert await _counts(team) == (201, 101, 101)
    # 3 commit pages, 2 pull request pages, one review page per pull request.
    assert job["result"]["requests"] == len(fake.calls) == 3 + 2 + 101
    assert job["result"]["rate_limit_remaining"] == 5000 - 106
    assert "rate limit 4894 left" in job["message"]
    assert job["progress"]["done"] == 106
    assert all("per_page=100" in call for call in fake.calls)


async def test_later_syncs_ask_conditionally_and_add_only_what_changed(
    team: Team, github: tuple[FakeGitHub, str]
) -> None:
    fake, url = github
    source = await _source(team, url)
    assert (await _sync(team, source))["status"] == "succeeded"
    fake.calls.clear()
    second = await _sync(team, source)
    # Commits since the newest one seen (that one again, 200); the pull listing is unchanged: 304.
    assert second["result"]["not_modified"] == 1 and fake.not_modified == 1
    fake.calls.clear()
    third = await _sync(team, source)
    assert third["result"]["not_modified"] == 2 and len(fake.calls) == 2
    assert third["result"]["rate_limit_remaining"] == second["result"]["rate_limit_remaining"]
    fake.commits.insert(0, commit(201))
    fake.pulls.insert(0, pull(102))
    fourth = await _sync(team, source)
    assert fourth["status"] == "succeeded"
    assert await _counts(team) == (202, 102, 102)


async def test_an_exhausted_rate_limit_waits_for_its_reset(
    team: Team, small_github: tuple[FakeGitHub, str]
) -> None:
    fake, url = small_github
    # Spent after the commits and pull request listings, in the middle of the reviews.
    fake.remaining, fake.reset_in = 2, 1
    job = await _sync(team, await _source(team, url))
    assert job["status"] == "succeeded", job
    assert fake.early_calls == [] and job["result"]["waited_seconds"] > 0
    assert len(fake.calls) == 2 + 3
    assert await _counts(team) == (3, 3, 3)


async def test_a_refusal_for_a_spent_budget_waits_for_the_reset(
    team: Team, small_github: tuple[FakeGitHub, str]
) -> None:
    fake, url = small_github
    # Spent before the sync began: only its first request can learn it (a 403).
    fake.remaining, fake.reset_in = 0, 1
    job = await _sync(team, await _source(team, url))
    assert job["status"] == "succeeded", job
    assert len(fake.early_calls) == 1 and "/commits" in fake.early_calls[0]
    assert job["result"]["waited_seconds"] > 0
    assert len(fake.calls) == 1 + 2 + 3
    assert await _counts(team) == (3, 3, 3)


async def test_a_secondary_limit_is_obeyed(
    team: Team, small_github: tuple[FakeGitHub, str]
) -> None:
    fake, url = small_github
    # Two in a row: the retry goes on past one refusal, each time after retry-after.
    fake.secondary_limits, fake.retry_after = 2, 1
    job = await _sync(team, await _source(team, url))
    assert job["status"] == "succeeded", job
    assert fake.early_calls == [] and job["result"]["waited_seconds"] == 2
    assert len(fake.calls) == 2 + 2 + 3
    assert await _counts(team) == (3, 3, 3)


async def test_a_wait_beyond_the_limit_ends_the_job_without_calling_early(
    client_for: ClientFactory, database_url: str, small_github: tuple[FakeGitHub, str]
) -> None:
    fake, url = small_github
    fake.remaining, fake.reset_at = 1, int(time.time()) + 3600
    settings = DeliverySettings(sync_max_wait_seconds=60)
    async with client_for(database_url, packs=[build_pack(settings)]) as client:
        team = await make_team(client, DEFAULT_TENANT_ID)
        source = await _source(team, url)
        first = await _sync(team, source)
        # The first answer said the budget is spent: no second request.
        assert first["status"] == "failed" and "beyond the wait limit" in first["error"]
        assert len(fake.calls) == 1 and fake.early_calls == []
        second = await _sync(team, source)
        # A new sync knows no budget: its first request is refused, and it stops there.
        assert second["status"] == "failed" and "beyond the wait limit" in second["error"]
        assert len(fake.calls) == 2 and len(fake.early_calls) == 1
        assert await _counts(team) == (3, 0, 0)


async def test_bad_credentials_end_the_job_and_keep_earlier_data(
    team: Team, small_github: tuple[FakeGitHub, str]
) -> None:
    _, url = small_github
    source = await _source(team, url)
    assert (await _sync(team, source))["status"] == "succeeded"
    patched = await team.client.patch(
        f"{SOURCES}/{source}", json={"token": "revoked"}, headers=team.admin
    )
    assert patched.status_code == 200 and patched.json()["token_configured"]
    assert "revoked" not in patched.text
    job = await _sync(team, source)
    assert job["status"] == "failed"
    assert "401" in job["error"] and "Bad credentials" in job["error"]
    assert await _counts(team) == (3, 3, 3)


async def test_an_unknown_repository_ends_the_job(
    team: Team, small_github: tuple[FakeGitHub, str]
) -> None:
    _, url = small_github
    job = await _sync(team, await _source(team, url, ["acme/missing"]))
    assert job["status"] == "failed"
    assert "404" in job["error"] and "/repos/acme/missing/commits" in job["error"]


async def test_a_sync_that_died_half_way_resumes_without_duplicates(
    team: Team, github: tuple[FakeGitHub, str]
) -> None:
    fake, url = github
    fake.fail_page = ("pulls", 2)
    source = await _source(team, url)
    broken = await _sync(team, source)
    assert broken["status"] == "failed" and "502" in broken["error"]
    assert await _counts(team) == (201, 100, 100)  # the pages written before stay
    resumed = await _sync(team, source)
    assert resumed["status"] == "succeeded", resumed
    assert await _counts(team) == (201, 101, 101)


async def test_synced_free_text_is_kept_without_its_control_characters(team: Team) -> None:
    coloured = commit(0)
    coloured["commit"]["message"] = "Colour\u001b[1m output\u0000\n\nbody"
    titled = pull(1) | {"title": "Fix\u0000 it"}
    fake = FakeGitHub(commits=[coloured], pulls=[titled])
    async with serve(fake.app()) as url:
        job = await _sync(team, await _source(team, url))
    assert job["status"] == "succeeded", job
    async with app_of(team.client).state.database.reader() as session:
        subjects = (await session.execute(select(Commit.subject))).scalars().all()
    assert subjects == ["Colour[1m output"]
    assert await _counts(team) == (1, 1, 1)
