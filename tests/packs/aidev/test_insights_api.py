"""``/insights`` over ingested requests: a planted lead of usage over acceptance is found at its
lag, a planted spike is an anomaly with a recommendation citing it, and the days before a
tenant's first request are neither a baseline nor a correlation's pairs."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.packs.aidev.conftest import Team
from tests.packs.aidev.support import payload
from vantage.core.windows import TimeWindow
from vantage.packs.aidev.service.insights import since_data_began
from vantage.packs.aidev.service.metrics import day_series

START = date(2026, 1, 5)
DAYS = 63
LEAD = 2
DEVELOPERS = ("d1@example.com", "d2@example.com", "d3@example.com")


def _history() -> list[dict[str, Any]]:
    rng = random.Random(5)
    counts = [rng.randint(6, 30) for _ in range(DAYS)]
    counts[56] = 90  # a Monday three times busier than any other
    records = []
    for day in range(DAYS):
        when = START + timedelta(days=day)
        for n in range(counts[day]):
            at = f"{when.isoformat()}T{8 + n % 10:02d}:{n % 60:02d}:00Z"
            records.append(payload(f"{day}-{n}", at, user=DEVELOPERS[n % 3]))
        # The day's feedback: acceptance follows the requests of LEAD days before.
        accepted = counts[day - LEAD] if day >= LEAD else 15
        records.append(payload(f"{day}-fb", f"{when.isoformat()}T19:00:00Z", user=DEVELOPERS[0],
                               shown=90, accepted=min(accepted, 90)))  # fmt: skip
    return records


async def test_a_planted_lead_and_spike_show_in_insights(team: Team) -> None:
    records = _history()
    for start in range(0, len(records), 1000):
        assert (await team.post(records[start : start + 1000])).status_code == 200
    window = {"from": START.isoformat(), "to": (START + timedelta(days=DAYS)).isoformat()}
    body = (await team.get("/insights", max_lag_days=5, **window)).json()
    assert body["withheld"] is False
    leads = {(f["usage"], f["outcome"], f["lag_days"]) for f in body["findings"]}
    assert ("requests", "acceptance_rate", LEAD) in leads
    assert all(f["q"] < 0.05 and f["n"] >= 14 for f in body["findings"])
    assert body["tests"] == len(body["correlations"]) > 0
    spike = next(a for a in body["anomalies"] if a["series"] == "requests")
    assert spike["date"] == (START + timedelta(days=56)).isoformat()
    assert spike["direction"] == "spike" and spike["robust_z"] > 3.5
    cited = [r for r in body["recommendations"] if r["rule"] == "anomaly.requests"]
    assert cited and cited[0]["evidence"]["value"] == spike["value"]
    found = [r for r in body["recommendations"] if r["rule"] == "finding.lagged_correlation"]
    assert found and {"r", "q", "n", "lag_days"} <= set(found[0]["evidence"])


# A tenant whose requests begin on 2026-10-22, read over a 90-day window from 2026-09-08.
DATA_BEGINS = date(2026, 10, 22)
DATA_DAYS = 45
EARLY_WINDOW = {"from": "2026-09-08", "to": "2026-12-07"}
PLANTED_SPIKE = 35


def _history_beginning_inside_the_window() -> list[dict[str, Any]]:
    rng = random.Random(7)
    records = []
    for day in range(DATA_DAYS):
        when = DATA_BEGINS + timedelta(days=day)
        count = 60 if day == PLANTED_SPIKE else rng.randint(10, 20)
        for n in range(count):
            at = f"{when.isoformat()}T{8 + n % 10:02d}:{n % 60:02d}:00Z"
            records.append(payload(f"late-{day}-{n}", at, user=DEVELOPERS[n % 3]))
        feedback = f"{when.isoformat()}T19:00:00Z"
        accepted = rng.randint(1, 9)
        records.append(
            payload(f"late-{day}-fb", feedback, user=DEVELOPERS[0], shown=10, accepted=accepted)
        )
    return records


async def test_days_before_the_data_begins_are_no_baseline(team: Team) -> None:
    records = _history_beginning_inside_the_window()
    for start in range(0, len(records), 1000):
        assert (await team.post(records[start : start + 1000])).status_code == 200
    body = (await team.get("/insights", max_lag_days=5, **EARLY_WINDOW)).json()
    # A day's baseline needs four same-weekday days before it, all on or after the first
    # request: the first four weeks of data have none, and none is a spike against the empty
    # weeks before the data began.
    first_baseline = (DATA_BEGINS + timedelta(weeks=4)).isoformat()
    assert body["anomalies"]
    assert all(a["date"] >= first_baseline and a["median"] > 0 for a in body["anomalies"])
    cited = [r["evidence"]["date"] for r in body["recommendations"] if "date" in r["evidence"]]
    assert cited and min(cited) >= first_baseline
    spike_day = (DATA_BEGINS + timedelta(days=PLANTED_SPIKE)).isoformat()
    assert {a["series"] for a in body["anomalies"] if a["date"] == spike_day} == {
        "requests", "tokens", "cost_usd",
    }  # fmt: skip
    # At lag k usage on day t meets the outcome on day t + k: no pair has its usage on a day
    # before the first request.
    assert body["tests"] > 0
    assert all(c["n"] <= DATA_DAYS - c["lag_days"] for c in body["correlations"])


def test_empty_days_after_the_first_request_stay_zeros() -> None:
    window = TimeWindow(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC))
    days = day_series([], window)
    assert since_data_began(days, date(2026, 1, 5)) == days
    assert [d.date for d in since_data_began(days, date(2026, 3, 6))] == [
        date(2026, 3, 6), date(2026, 3, 7),
    ]  # fmt: skip
    assert since_data_began(days, None) == []


async def test_recommendations_cite_ratios_as_percentages(team: Team) -> None:
    # One suggestion in ten accepted: the acceptance rate is 0.1, a "bad" KPI shown as 10%.
    await team.post([
        payload(f"pct-{n}", f"2026-03-02T{9 + n:02d}:00:00Z", user=DEVELOPERS[n % 3], shown=10,
                accepted=1)
        for n in range(6)
    ])  # fmt: skip
    window = {"from": "2026-03-01", "to": "2026-03-08"}
    kpis = (await team.get("/metrics", **window)).json()["kpis"]
    acceptance = next(k for k in kpis if k["key"] == "acceptance_rate")
    assert (acceptance["value"], acceptance["unit"], acceptance["status"]) == (0.1, "ratio", "bad")
    body = (await team.get("/insights", **window)).json()
    [cited] = [r for r in body["recommendations"] if r["rule"] == "kpi.acceptance_rate"]
    assert cited["message"].startswith("Acceptance rate is 10% (bad).")
    assert cited["evidence"]["value"] == 0.1
