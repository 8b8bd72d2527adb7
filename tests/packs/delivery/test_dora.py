"""DORA figures of the scenario in scenario.py, each computed by hand below, on SQLite and
PostgreSQL. Window: 3 March 2025 00:00Z (inclusive) to 31 March 00:00Z (exclusive), 28 days,
exactly the ISO weeks of 3, 10, 17 and 24 March."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packs.delivery.support import Team

HOUR, MINUTE = 3600, 60
WINDOW = {"from": "2025-03-03", "to": "2025-03-31"}


async def _dora(team: Team, **params: Any) -> dict[str, Any]:
    response = await team.get("/dora", **(WINDOW | params))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_every_figure_equals_the_hand_computed_one(loaded: Team) -> None:
    body = await _dora(loaded)
    assert body["window"] == {"from": "2025-03-03T00:00:00Z", "to": "2025-03-31T00:00:00Z"}
    assert body["data_as_of"] is not None

    # D = k1..k12: k0 is before the window, k13 at its (exclusive) end, the failed one is not
    # a success. Distinct dates per ISO week: {3,4,6}, {11,13,14}, {18,20}, {25,26,28}.
    assert body["deployment_frequency"] == {
        "deployments": 12, "days": 28.0, "per_day": 12 / 28, "deployment_days_per_week": 3.0,
    }  # fmt: skip

    # Pull requests 3..37 shipped in the window (k7 is a rollback shipping nothing; k8 does not
    # re-ship k6's). Lead time 600 + 60 i minutes: p50 = i 20 (index 17 of 35) = 1800 min;
    # p75 = index 25.5 -> (2280 + 2340) / 2 = 2310 min; p90 = index 30.6 -> 2580 + 0.6 * 60.
    lead = body["lead_time"]
    assert (lead["count"], lead["p50_seconds"]) == (35, 1800 * MINUTE)
    assert lead["p75_seconds"] == 2310 * MINUTE
    assert lead["p90_seconds"] == pytest.approx(2616 * MINUTE, abs=1e-6)
    # Coding 505 + 59 i - 10 (i % 3) is increasing in i: median at i 20 -> 1665 min. Pickup 45
    # min on the 32 reviewed (9, 19 and 29 were not; 3's own comment does not count); review
    # 20 + i over the reviewed: median between i 20 and 21 -> 40.5 min; deploy 30/40/50 min
    # for 12/12/11 pull requests -> 40 min.
    assert lead["breakdown"] == {
        "coding": {"count": 35, "p50_seconds": 1665 * MINUTE},
        "pickup": {"count": 32, "p50_seconds": 45 * MINUTE},
        "review": {"count": 32, "p50_seconds": 40.5 * MINUTE},
        "deploy": {"count": 35, "p50_seconds": 40 * MINUTE},
    }

    # Incidents attributed to k2 (explicit link), k6 (two, by the 72 h window), k9 (root-cause
    # commit of pull request 125) and k11 (window); inc-5 comes 73 h after k4.
    assert body["change_failure_rate"] == {"numerator": 4, "denominator": 12, "rate": 4 / 12}
    # Restored - deployed: k2 4 h, k6 19 h (latest of its two), k9 24 h, k11 7 h -> (7 + 19) / 2.
    assert body["failed_deployment_recovery_time"] == {"count": 4, "p50_seconds": 13 * HOUR}
    # Resolved - created: 5, 13, 4, 16, 3, 3 h -> (4 + 5) / 2.
    assert body["mttr"] == {"count": 6, "p50_seconds": 4.5 * HOUR}
    assert body["rework_rate"] == {"numerator": 1, "denominator": 12, "rate": 1 / 12}

    # Merged in the window: k2..k13's 35 pull requests (k1's merged before 3 March) and 141,
    # merged into a release branch no deployment ships.
    assert body["coverage"] == {
        "pull_requests_merged": 36, "pull_requests_linked": 35,
        "pull_requests_linked_pct": 100 * 35 / 36,
        "incidents": 6, "incidents_attributed": 5, "incidents_attributed_pct": 100 * 5 / 6,
    }  # fmt: skip

    # 0.43 deployments a day, lead time 30 h, failure rate 33 %, recovery 13 h, MTTR 4.5 h.
    assert body["bands"] == {
        "2021": {"overall": "low", "deployment_frequency": "high", "lead_time": "high",
                 "change_failure_rate": "low", "recovery": "high"},
        "2023": {"overall": "medium", "deployment_frequency": "high", "lead_time": "high",
                 "change_failure_rate": "medium", "recovery": "high"},
        "2024": {"overall": "low", "deployment_frequency": "high", "lead_time": "high",
                 "change_failure_rate": "low", "recovery": "high"},
    }  # fmt: skip


async def test_the_weekly_trend_splits_the_same_facts(loaded: Team) -> None:
    response = await loaded.get("/dora/trend", granularity="week", **WINDOW)
    assert response.status_code == 200, response.text
    points = response.json()["points"]
    assert [p["start"][:10] for p in points] == ["2025-03-03", "2025-03-10", "2025-03-17",
                                                  "2025-03-24"]  # fmt: skip
    assert [p["deployments"] for p in points] == [4, 3, 2, 3]
    # Medians of 600 + 60 i: i 3..14 -> 8.5, i 15..20 -> 17.5, i 21..27 -> 24, i 28..37 -> 32.5.
    assert [p["lead_time_p50_seconds"] for p in points] == [
        1110 * MINUTE, 1650 * MINUTE, 2040 * MINUTE, 2550 * MINUTE,
    ]  # fmt: skip
    assert [p["change_failure_rate"] for p in points] == [1 / 4, 1 / 3, 1 / 2, 1 / 3]
    assert [p["rework_rate"] for p in points] == [0, 1 / 3, 0, 0]


async def test_scopes_select_their_own_work(loaded: Team) -> None:
    whole = await _dora(loaded)
    by_repository = await _dora(loaded, repository="acme/api")
    by_service = await _dora(loaded, service="api")
    for scoped in (by_repository, by_service):
        assert scoped["lead_time"] == whole["lead_time"]
        assert scoped["coverage"] == whole["coverage"]
        assert scoped["change_failure_rate"] == whole["change_failure_rate"]
    other = await _dora(loaded, service="web")
    assert other["deployment_frequency"]["deployments"] == 0
    assert other["lead_time"]["count"] == 0 and other["lead_time"]["p50_seconds"] is None
    assert other["coverage"]["pull_requests_merged"] == 0
    assert other["bands"]["2023"]["lead_time"] is None
    # The window's edges: a window ending just after k13 ships k13's three pull requests too.
    later = await _dora(loaded, **{"from": "2025-03-03", "to": "2025-03-31T00:00:01Z"})
    assert later["deployment_frequency"]["deployments"] == 13
    assert later["lead_time"]["count"] == 38
