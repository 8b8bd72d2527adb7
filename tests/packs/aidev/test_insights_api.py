"""``/insights`` over ingested requests: a planted lead of usage over acceptance is found at its
lag, and a planted spike is an anomaly with a recommendation citing it."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from tests.packs.aidev.conftest import Team
from tests.packs.aidev.support import payload

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
