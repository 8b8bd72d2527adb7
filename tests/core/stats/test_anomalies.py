"""The same-weekday robust detector against hand-computed values."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from vantage.core.stats.anomalies import robust_z, same_weekday_anomalies

MONDAY = date(2025, 3, 3)
BASELINE = [10.0, 12.0, 11.0, 9.0, 10.0, 11.0, 10.0, 12.0]


def _mondays(values: list[float], last: float) -> dict[date, float]:
    series = {MONDAY + timedelta(weeks=week): value for week, value in enumerate(values)}
    series[MONDAY + timedelta(weeks=len(values))] = last
    # Other weekdays are far off and must not enter Monday's baseline.
    series.update({MONDAY + timedelta(days=1, weeks=w): 1000.0 for w in range(len(values))})
    return series


def test_robust_z_by_hand() -> None:
    # median 10.5; |x - m| = .5,1.5,.5,1.5,.5,.5,.5,1.5 -> MAD 0.5
    z, mad = robust_z(30.0, 10.5, [abs(x - 10.5) for x in BASELINE])
    assert mad == 0.5
    assert z == pytest.approx(0.6745 * 19.5 / 0.5)


def test_a_spike_on_the_same_weekday_is_found_and_a_normal_day_is_not() -> None:
    last_day = MONDAY + timedelta(weeks=8)
    spike = same_weekday_anomalies(_mondays(BASELINE, 30.0), [last_day])
    assert [(a.day, a.value, a.direction) for a in spike] == [(last_day, 30.0, "high")]
    assert spike[0].baseline_size == 8
    assert same_weekday_anomalies(_mondays(BASELINE, 11.0), [last_day]) == []


def test_no_spread_falls_back_to_the_mean_absolute_deviation() -> None:
    deviations = [0.0, 0.0, 0.0, 0.0, 0.0, 4.0]  # around 10: MAD 0, mean AD 4/6
    z, mad = robust_z(12.0, 10.0, deviations)
    assert mad == 0
    assert z == pytest.approx(2.0 / (1.2533 * 4 / 6))
    z, _ = robust_z(11.0, 10.0, [0.0] * 5)
    assert math.isinf(z) and z > 0
    assert robust_z(10.0, 10.0, [0.0] * 5)[0] == 0


def test_too_short_a_baseline_decides_nothing() -> None:
    last_day = MONDAY + timedelta(weeks=3)
    assert same_weekday_anomalies(_mondays([10.0, 10.5, 9.5], 500.0), [last_day]) == []
