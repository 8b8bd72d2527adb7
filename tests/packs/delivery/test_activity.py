"""What the delivery pack serves other packs: repository names as traces spell them, and
merged pull requests narrowed to some authors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.packs.delivery.support import Team
from tests.support.auth import app_of
from vantage.packs.delivery.service.activity import merged_pull_requests, repository_matches


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
