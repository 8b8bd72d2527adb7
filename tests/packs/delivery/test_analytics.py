"""Pull request, contributor and repository analytics of the scenario in scenario.py."""

from __future__ import annotations

from typing import Any

from tests.packs.delivery.support import Team

WINDOW = {"from": "2025-03-03", "to": "2025-03-31"}


async def _get(team: Team, path: str, **params: Any) -> dict[str, Any]:
    response = await team.get(path, **(WINDOW | params))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_pull_requests_of_the_window(loaded: Team) -> None:
    body = await _get(loaded, "/pulls", limit=10)
    summary = body["summary"]
    # Merged in the window: 6..40 (k2..k13) and 141 on the release branch.
    assert summary["merged"] == 36 and summary["throughput_per_week"] == 9.0
    # i % 3 = 0 squash (6..39: 12, and 141's "(#141)"), 1 rebase (12), 2 merge commit (11).
    assert summary["merge_methods"] == {"squash": 13, "rebase": 12, "merge": 11}
    # 9, 19, 29 and 39 were not reviewed, nor was 141: 31 reviews, each 45 min after opening.
    assert summary["reviews_per_pull_request"] == 31 / 36
    assert summary["first_review_latency_p50_seconds"] == 45 * 60
    assert summary["size"] == {"xs": 0, "s": 0, "m": 0, "l": 0, "xl": 36}
    assert (summary["reworked"], summary["rework_rate"]) == (0, 0.0)
    assert body["pagination"] == {
        "limit": 10, "offset": 0, "total": 36, "next_cursor": body["pagination"]["next_cursor"],
    }  # fmt: skip
    # Newest merge first: k13 at 31 March 00:00 follows 139's merge by 30 min, 140's by 40.
    assert [p["number"] for p in body["data"][:2]] == [139, 140]
    numbers = [p["number"] for p in body["data"]]
    cursor = body["pagination"]["next_cursor"]
    while cursor:
        page = await _get(loaded, "/pulls", limit=10, cursor=cursor)
        numbers += [p["number"] for p in page["data"]]
        cursor = page["pagination"]["next_cursor"]
    assert sorted(numbers) == sorted([*range(106, 141), 141])
    assert {p["number"]: p["deployed"] for p in body["data"]}[140] is True
    bad = await loaded.get("/pulls", cursor="forged.cursor")
    assert bad.status_code == 422


async def test_contributors_and_who_reviews_whom(loaded: Team) -> None:
    body = await _get(loaded, "/contributors", limit=100)
    people = {c["name"]: c for c in body["data"]}
    reviewer = people["reviewer"]
    assert reviewer["reviews_given"] == 31
    assert sum(r["reviews"] for r in reviewer["reviewed"]) == 31
    assert {r["author"] for r in reviewer["reviewed"]} == {"dev-0", "dev-1", "dev-2", "dev-3"}
    # Opened in the window: 106..140, 141, 142 (still open) and 143 (closed unmerged).
    opened = sum(people[f"dev-{n}"]["pull_requests_opened"] for n in range(4))
    merged = sum(people[f"dev-{n}"]["pull_requests_merged"] for n in range(4))
    assert (opened, merged) == (38, 36)


async def test_repository_patterns_and_release_cadence(loaded: Team) -> None:
    body = await _get(loaded, "/repositories")
    [repository] = body["data"]
    assert repository["repository"] == "acme/api"
    assert repository["deployments"] == 12
    # Gaps between k1..k12 in days; the sixth of eleven is k8 -> k9, 2 days.
    assert repository["median_days_between_deployments"] == 2.0
    assert repository["pull_requests_merged"] == 36
    assert repository["merge_methods"] == {"squash": 13, "rebase": 12, "merge": 11}
    assert sum(repository["commits_by_weekday"]) == repository["commits"]
    assert sum(repository["commits_by_hour"]) == repository["commits"]
    elsewhere = await _get(loaded, "/repositories", repository="acme/web")
    assert elsewhere["data"] == [] and elsewhere["pagination"]["total"] == 0
