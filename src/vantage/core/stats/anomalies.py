"""Robust anomalies in daily series: same-weekday median and MAD, robust z-score.

For each day, the baseline is the values of the same weekday in the ``weeks`` weeks before it
(weekly seasonality: Mondays are compared with Mondays). With ``m`` their median and
``MAD = median(|x - m|)``, the robust z-score is ``0.6745 * (x - m) / MAD`` (Iglewicz and
Hoaglin's modified z-score; 0.6745 makes MAD estimate the standard deviation of normal data).
When MAD is 0 (at least half the baseline is identical) the mean absolute deviation is used
instead, ``(x - m) / (1.253314 * meanAD)``; when that is 0 too, any departure from the median
is infinitely unusual. A day is anomalous when ``|z| > threshold`` (3.5 by default) and its
baseline has at least ``min_baseline`` values.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

MAD_SCALE = 0.6745
MEAN_AD_SCALE = 1.253314
DEFAULT_THRESHOLD = 3.5


@dataclass(frozen=True)
class Anomaly:
    day: date
    value: float
    baseline_median: float
    mad: float
    robust_z: float
    baseline_size: int

    @property
    def direction(self) -> str:
        return "high" if self.robust_z > 0 else "low"


def robust_z(value: float, baseline: list[float]) -> tuple[float, float, float]:
    """(z, median, MAD) of ``value`` against ``baseline`` (see the module docstring)."""
    median = statistics.median(baseline)
    deviations = [abs(x - median) for x in baseline]
    mad = statistics.median(deviations)
    if mad > 0:
        return MAD_SCALE * (value - median) / mad, median, mad
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad > 0:
        return (value - median) / (MEAN_AD_SCALE * mean_ad), median, mad
    if value == median:
        return 0.0, median, mad
    return math.copysign(math.inf, value - median), median, mad


def same_weekday_anomalies(
    series: Mapping[date, float],
    days: list[date],
    *,
    weeks: int = 8,
    min_baseline: int = 4,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Anomaly]:
    """The anomalous days among ``days`` of a daily ``series`` (missing days have no value)."""
    found: list[Anomaly] = []
    for day in days:
        if day not in series:
            continue
        earlier = (day - timedelta(weeks=week) for week in range(1, weeks + 1))
        baseline = [series[past] for past in earlier if past in series]
        if len(baseline) < min_baseline:
            continue
        z, median, mad = robust_z(series[day], baseline)
        if abs(z) > threshold:
            found.append(Anomaly(day, series[day], median, mad, z, len(baseline)))
    return found
