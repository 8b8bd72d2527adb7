"""Anomalies in a daily series against a same-weekday baseline (median and MAD).

One detector for every pack that flags unusual days (aidev KPIs, assist model metrics).

For day t the baseline window is the ``weeks`` weeks before it. The median m is that of the
values on t's weekday in the window (at least ``min_points`` of them known). The MAD is
measured over every day d of the window, each relative to the median m_d of the other values
of its weekday (d left out, as t is left out of its own baseline), and rescaled to t's
weekday: MAD = m * median(|x_d - m_d| / m_d). Eight same-weekday values alone
give a MAD that often collapses by chance (and with it flags ordinary days); pooling the
window's 56 days keeps the scale steady while the seasonality stays per weekday.
Then robust z = 0.6745 (x - m) / MAD, and |z| > 3.5 marks an anomaly (Iglewicz and Hoaglin).

MAD = 0 (at least half of the window sits exactly on its weekday medians, e.g. days without
activity): the scale falls back to the mean absolute deviation times 1.2533 (its ratio to the
standard deviation under normality), z = (x - m) / (1.2533 * MeanAD). When that is 0 too (the
baseline is constant) any departure from it is an anomaly, reported with z = +/-inf, and a value
equal to it has z = 0. A weekday median of 0 gives no relative scale: that day's weekday values
alone are used, with the same fallbacks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Literal

Z_FACTOR = 0.6745
MEAN_AD_FACTOR = 1.2533
THRESHOLD = 3.5
WEEK = 7


@dataclass(frozen=True)
class Anomaly:
    index: int
    value: float
    median: float
    mad: float
    robust_z: float

    @property
    def direction(self) -> Literal["spike", "drop"]:
        return "spike" if self.robust_z > 0 else "drop"


def robust_z(value: float, middle: float, deviations: Sequence[float]) -> tuple[float, float]:
    """(z, MAD) of ``value`` around ``middle`` given absolute deviations (see MAD = 0 above)."""
    mad = median(deviations)
    if mad > 0:
        return Z_FACTOR * (value - middle) / mad, mad
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad > 0:
        return (value - middle) / (MEAN_AD_FACTOR * mean_ad), mad
    if value == middle:
        return 0.0, mad
    return math.copysign(math.inf, value - middle), mad


def same_weekday_baseline(series: Sequence[float], index: int, weeks: int) -> list[float]:
    """The known values 7, 14, ... days before ``index`` (at most ``weeks`` of them)."""
    found = []
    for back in range(1, weeks + 1):
        earlier = index - back * WEEK
        if earlier < 0:
            break
        if not math.isnan(series[earlier]):
            found.append(series[earlier])
    return found


def _relative_deviations(series: Sequence[float], index: int, weeks: int) -> list[float]:
    """For every known day d of the window before ``index``: |x_d - m_d| / |m_d|, where m_d is
    the median of the other values of d's weekday in the window (d left out, as the day scored
    is left out of its own baseline)."""
    found = []
    for offset in range(1, WEEK + 1):
        slot = [
            series[day]
            for day in range(index - offset, index - WEEK * weeks - 1, -WEEK)
            if day >= 0 and not math.isnan(series[day])
        ]
        for position, value in enumerate(slot):
            others = slot[:position] + slot[position + 1 :]
            if len(others) < 2:
                continue
            middle = median(others)
            if middle != 0:
                found.append(abs(value - middle) / abs(middle))
    return found


def score(series: Sequence[float], index: int, weeks: int, min_points: int) -> Anomaly | None:
    """The day's z against its baseline, or None when the baseline is too short."""
    value = series[index]
    baseline = same_weekday_baseline(series, index, weeks)
    if math.isnan(value) or len(baseline) < min_points:
        return None
    middle = median(baseline)
    relative = _relative_deviations(series, index, weeks) if middle != 0 else []
    if relative:
        deviations = [r * abs(middle) for r in relative]
    else:
        deviations = [abs(x - middle) for x in baseline]
    z, mad = robust_z(value, middle, deviations)
    return Anomaly(index, value, middle, mad, z)


def detect(
    series: Sequence[float], *, weeks: int = 8, min_points: int = 4, threshold: float = THRESHOLD
) -> list[Anomaly]:
    """The days of ``series`` whose robust z against their weekday baseline exceeds the bar."""
    found = []
    for index in range(len(series)):
        anomaly = score(series, index, weeks, min_points)
        if anomaly is not None and abs(anomaly.robust_z) > threshold:
            found.append(anomaly)
    return found


@dataclass(frozen=True)
class DayAnomaly:
    """An anomalous day of a date-keyed series."""

    day: date
    value: float
    baseline_median: float
    mad: float
    robust_z: float
    baseline_size: int

    @property
    def direction(self) -> Literal["high", "low"]:
        return "high" if self.robust_z > 0 else "low"


def same_weekday_anomalies(
    series: Mapping[date, float],
    days: Sequence[date],
    *,
    weeks: int = 8,
    min_points: int = 4,
    threshold: float = THRESHOLD,
) -> list[DayAnomaly]:
    """The anomalous days among ``days`` of a date-keyed ``series`` (missing days unknown)."""
    if not series or not days:
        return []
    start = min(min(series), min(days))
    dense = [
        series.get(start + timedelta(days=n), math.nan) for n in range((max(days) - start).days + 1)
    ]
    found = []
    for day in days:
        index = (day - start).days
        anomaly = score(dense, index, weeks, min_points)
        if anomaly is not None and abs(anomaly.robust_z) > threshold:
            size = len(same_weekday_baseline(dense, index, weeks))
            found.append(
                DayAnomaly(day, anomaly.value, anomaly.median, anomaly.mad, anomaly.robust_z, size)
            )
    return found
