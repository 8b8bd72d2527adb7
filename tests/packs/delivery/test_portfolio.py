"""Ownership, portfolio roll-ups, the executive summary and forecasts, on the scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.packs.delivery.support import API, Team

WINDOW = {"from": "2025-03-03", "to": "2025-03-31"}
OWNERS = {"entries": [
    {"kind": "repository", "name": "acme/api", "team": "core", "project": "shop"},
    {"kind": "service", "name": "web", "team": "growth", "project": "shop"},
]}  # fmt: skip


async def _own(team: Team) -> None:
    response = await team.client.put(f"{API}/ownership", json=OWNERS, headers=team.admin)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 2


async def test_team_and_project_roll_ups(loaded: Team) -> None:
    await _own(loaded)
    response = await loaded.get("/portfolio", **WINDOW)
    assert response.status_code == 200, response.text
    body = response.json()
    teams = {row["name"]: row for row in body["teams"]}
    assert teams["core"]["deployments"] == 12
    assert teams["core"]["lead_time_p50_seconds"] == 1800 * 60
    assert teams["core"]["change_failure_rate"] == 4 / 12
    assert teams["core"]["band_2024"] == "low"
    assert teams["growth"]["deployments"] == 0
    [shop] = body["projects"]
    assert (shop["name"], shop["deployments"]) == ("shop", 12)
    by_team = (await loaded.get("/dora", team="core", **WINDOW)).json()
    assert by_team["lead_time"]["count"] == 35
    assert (await loaded.get("/dora", team="growth", **WINDOW)).json()["lead_time"]["count"] == 0
    viewer = await loaded.client.put(f"{API}/ownership", json=OWNERS, headers=loaded.reader)
    assert viewer.status_code == 403


async def test_the_executive_summary_cites_its_figures(loaded: Team) -> None:
    response = await loaded.get("/executive", **WINDOW)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["previous_window"] == {"from": "2025-02-03T00:00:00Z", "to": "2025-03-03T00:00:00Z"}
    kpis = {kpi["name"]: kpi for kpi in body["kpis"]}
    failure = kpis["Change failure rate"]
    # The month before held only k0 (2 March), without incidents.
    assert (failure["value"], failure["status"], failure["previous"]) == (4 / 12, "bad", 0.0)
    assert failure["trend"] == "worse"
    assert failure["cites"][0] == {
        "figure": "change_failure_rate.rate",
        "window": {"from": "2025-03-03T00:00:00Z", "to": "2025-03-31T00:00:00Z"},
        "value": 4 / 12,
    }
    # The month before held only k0, deployed 2 March.
    assert kpis["Deployment frequency"]["trend"] == "better"
    risks = {risk["title"]: risk for risk in body["risks"]}
    assert (
        risks["Many deployments cause incidents"]["detail"]
        == "4 of 12 deployments had an incident."
    )
    assert (
        risks["Incidents without a known cause"]["detail"]
        == "1 of 6 incidents match no deployment."
    )
    assert "Many merged pull requests were never deployed" not in risks


async def _forecast(team: Team, **body: Any) -> dict[str, Any]:
    request = {"history_end": "2025-03-31T00:00:00Z", "history_weeks": 4, "seed": 7} | body
    response = await team.client.post(f"{API}/forecast", json=request, headers=team.reader)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_forecasts_are_seeded_and_bounded_by_the_history(loaded: Team) -> None:
    first = await _forecast(loaded, items=26)
    # Merged per ISO week: 106..114; 115..120; 121..127 and 141; 128..140.
    assert first["weekly_throughput"] == [9, 6, 8, 13]
    assert await _forecast(loaded, items=26) == first
    weeks = [first["completion"][level]["weeks"] for level in ("p50", "p85", "p95")]
    # 26 items take at least 2 weeks (13 + 13) and at most 5 (6 a week).
    assert 2 <= weeks[0] <= weeks[1] <= weeks[2] <= 5
    start = datetime(2025, 3, 31, tzinfo=UTC)
    expected = start + timedelta(weeks=weeks[0])
    assert first["completion"]["p50"]["date"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    one = await _forecast(loaded, items=1)
    assert {level: point["weeks"] for level, point in one["completion"].items()} == {
        "p50": 1, "p85": 1, "p95": 1,
    }  # fmt: skip
    assert one["completion"]["p95"]["date"] == "2025-04-07T00:00:00Z"
    empty = await loaded.client.post(
        f"{API}/forecast", json={"items": 5, "team": "nobody", "seed": 1}, headers=loaded.reader
    )
    assert empty.status_code == 422
