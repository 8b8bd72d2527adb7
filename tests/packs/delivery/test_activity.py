"""What the delivery pack serves other packs: repository names as traces spell them, and
merged pull requests narrowed to some authors, commits per developer and day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.packs.delivery.support import Team
from tests.packs.delivery.test_git_import import _import, _small_repository
from tests.support.auth import DEFAULT_TENANT_ID, app_of
from tests.support.cli import cli_env
from vantage.config import Settings
from vantage.core.db import Database
from vantage.packs.delivery.service.activity import (
    DayCommits,
    commit_counts_by_day,
    merged_pull_requests,
    repository_matches,
)


@pytest.mark.parametrize(
    "named",
    ["acme/api", "ACME/Api", "https://github.com/acme/api.git", "git@github.com:acme/api",
     "https://github.com/acme/api/", "api"],
)  # fmt: skip
def test_a_repository_is_matched_however_a_trace_names_it(named: str) -> None:
    assert repository_matches("acme/api", named)


@pytest.mark.parametrize("named", ["other/api", "acme/web", "web", "", "https://github.com/"])
def test_other_repositories_do_not_match(named: str) -> None:
    assert not repository_matches("acme/api", named)


async def test_merged_pull_requests_narrowed_to_authors(loaded: Team) -> None:
    start, end = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)
    async with app_of(loaded.client).state.database.reader() as session:
        everyone = await merged_pull_requests(session, loaded.tenant_id, start, end)
        dev_1 = await merged_pull_requests(session, loaded.tenant_id, start, end, {"dev-1"})
    # 100..141 are merged in March (142 is open, 143 closed unmerged); dev-1 wrote those
    # whose number is 1 mod 4.
    assert sorted(pr.number for pr in everyone) == list(range(100, 142))
    assert sorted(pr.number for pr in dev_1) == list(range(101, 144, 4))
    # Each has 2 branch commits authored before its first review: no rework.
    assert {pr.commits_after_first_review for pr in everyone} == {0}


async def _commit_counts(database_url: str, tmp_path: Path) -> list[DayCommits]:
    settings = Settings(_env_file=None, database_url=database_url, data_dir=tmp_path / "data")
    database = Database(settings)
    start, end = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 4, tzinfo=UTC)
    try:
        async with database.reader() as session:
            return await commit_counts_by_day(session, DEFAULT_TENANT_ID, start, end)
    finally:
        await database.dispose()


def test_commit_counts_by_day_leave_merge_commits_out(database_url: str, tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    _small_repository(repository)
    _import(cli_env(database_url, tmp_path), str(repository), "--repository", "acme/lib")
    counts = asyncio.run(_commit_counts(database_url, tmp_path))
    # Start (1 March), Work on a and More a (2 March), Add b (3 March); the merge of #7
    # (3 March, two parents) is not counted.
    assert counts == [
        DayCommits(date(2025, 3, 1), "ada@acme.test", 1),
        DayCommits(date(2025, 3, 2), "ada@acme.test", 2),
        DayCommits(date(2025, 3, 3), "ada@acme.test", 1),
    ]
