"""The KPIs against a hand-computed fixture, the team-size floor, and the unavailable ones."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packs.aidev.conftest import Team
from tests.packs.aidev.support import payload

WINDOW = {"from": "2026-11-01", "to": "2026-11-04"}
CLAUDE = "claude-3-5-sonnet-20241022"


def _fixture() -> list[dict[str, Any]]:
    a, b, c = "a@example.com", "b@example.com", "c@example.com"
    return [
        # Previous window: one failed request of a.
        payload("p1", "2026-10-31T09:00:00Z", user=a, failed=True),
        # 2026-11-02: a 3 (1 failed; 2/1 and 1/0 suggestions), b 2 (one rated +), c 1 (4/3).
        payload("d1-1", "2026-11-02T09:00:00Z", user=a, shown=2, accepted=1),
        payload("d1-2", "2026-11-02T09:10:00Z", user=a, shown=1, accepted=0),
        payload("d1-3", "2026-11-02T09:20:00Z", user=a, failed=True),
        payload("d1-4", "2026-11-02T10:00:00Z", user=b, model=CLAUDE, rating="positive"),
        payload("d1-5", "2026-11-02T10:05:00Z", user=b, model=CLAUDE),
        payload("d1-6", "2026-11-02T11:00:00Z", user=c, shown=4, accepted=3),
        # 2026-11-03: a 2, b 1 failed, and one request nobody can be named for.
        payload("d2-1", "2026-11-03T09:00:00Z", user=a),
        payload("d2-2", "2026-11-03T09:05:00Z", user=a),
        payload("d2-3", "2026-11-03T10:00:00Z", user=b, model=CLAUDE, failed=True),
        payload("d2-4", "2026-11-03T12:00:00Z", user=None),
    ]


def _by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {kpi["key"]: kpi for kpi in body["kpis"]}


async def test_kpis_match_the_hand_computed_fixture(team: Team) -> None:
    assert (await team.post(_fixture())).json()["accepted"] == 11
    response = await team.get("/metrics", **WINDOW)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["active_developers"] == 3
    assert body["previous_window"] == {"from": "2026-10-29T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
    kpis = _by_key(body)
    # 9 requests of named developers over 5 developer-days (3 on the 2nd, 2 on the 3rd).
    assert kpis["ai_velocity"]["value"] == pytest.approx(9 / 5)
    assert kpis["ai_velocity"]["status"] == "bad"
    assert kpis["ai_velocity"]["trend"] == {"previous": 1.0, "change": pytest.approx(0.8),
                                            "direction": "up"}  # fmt: skip
    assert kpis["acceptance_rate"]["value"] == pytest.approx(4 / 7)
    assert kpis["acceptance_rate"]["status"] == "good"
    assert kpis["error_rate"]["value"] == pytest.approx(2 / 10)
    assert kpis["error_rate"]["status"] == "bad"
    assert kpis["error_rate"]["trend"]["direction"] == "down"
    assert kpis["model_accuracy"]["value"] == pytest.approx(3 / 4)
    assert kpis["model_accuracy"]["status"] == "good"
    by_model = {m["model"]: m for m in kpis["model_accuracy"]["by_model"]}
    assert by_model["gpt-4o-mini"]["value"] == pytest.approx(2 / 3)
    assert by_model[CLAUDE] == {"model": CLAUDE, "value": 1.0, "responses_with_feedback": 1,
                                "positive": 1}  # fmt: skip


async def test_kpis_needing_delivery_data_say_why(team: Team) -> None:
    await team.post(_fixture())
    kpis = _by_key((await team.get("/metrics", **WINDOW)).json())
    for key in ("token_efficiency", "pr_throughput", "commit_frequency", "merge_time",
                "rework_rate"):  # fmt: skip
        assert kpis[key]["value"] is None
        assert kpis[key]["status"] == "unavailable"
        assert "delivery" in kpis[key]["reason"]
    assert len(kpis) == 9


async def test_daily_series(team: Team) -> None:
    await team.post(_fixture())
    body = (await team.get("/metrics/raw", **WINDOW)).json()
    days = {day["date"]: day for day in body["days"]}
    assert list(days) == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert days["2026-11-01"]["requests"] == 0 and days["2026-11-01"]["velocity"] is None
    assert days["2026-11-02"]["requests"] == 6
    assert days["2026-11-02"]["active_developers"] == 3
    assert days["2026-11-02"]["acceptance_rate"] == pytest.approx(4 / 7)
    assert days["2026-11-03"]["error_rate"] == pytest.approx(1 / 4)
    assert days["2026-11-03"]["velocity"] == pytest.approx(3 / 2)


async def test_team_figures_are_withheld_below_three_developers(team: Team) -> None:
    two = [p for p in _fixture() if p["end_user"] != "c@example.com"]
    await team.post(two)
    body = (await team.get("/metrics", **WINDOW)).json()
    kpis = _by_key(body)
    assert body["active_developers"] == 2
    for key in ("ai_velocity", "acceptance_rate", "error_rate", "model_accuracy"):
        assert kpis[key]["value"] is None and kpis[key]["status"] == "withheld"
    raw = (await team.get("/metrics/raw", **WINDOW)).json()
    assert raw["withheld"] is True and raw["days"] == []
    insights = (await team.get("/insights", **WINDOW)).json()
    assert insights["withheld"] is True and insights["tests"] == 0
