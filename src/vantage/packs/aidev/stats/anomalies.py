"""Anomalies in a daily series against a same-weekday baseline (median and MAD).

For day t the baseline is the values on the same weekday in the ``weeks`` weeks before
(at least ``min_points`` of them known). With median m and MAD = median(|x - m|),
robust z = 0.6745 (x - m) / MAD, and |z| > 3.5 marks an anomaly (Iglewicz and Hoaglin).

MAD = 0 (at least half the baseline equal): the scale falls back to the mean absolute
deviation times 1.2533 (its ratio to the standard deviation under normality), so
z = (x - m) / (1.2533 * MeanAD). When that is 0 too (the baseline is constant) any departure
from it is an anomaly, reported with z = +/-inf, and a value equal to it has z = 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
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


def robust_z(value: float, baseline: Sequence[float]) -> tuple[float, float, float]:
    """(z, median, MAD) of ``value`` against ``baseline`` (see the module for MAD = 0)."""
    middle = median(baseline)
    deviations = [abs(x - middle) for x in baseline]
    mad = median(deviations)
    if mad > 0:
        return Z_FACTOR * (value - middle) / mad, middle, mad
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad > 0:
        return (value - middle) / (MEAN_AD_FACTOR * mean_ad), middle, mad
    if value == middle:
        return 0.0, middle, mad
    return math.copysign(math.inf, value - middle), middle, mad


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


def detect(
    series: Sequence[float], *, weeks: int = 8, min_points: int = 4, threshold: float = THRESHOLD
) -> list[Anomaly]:
    """The days of ``series`` whose robust z against their weekday baseline exceeds the bar."""
    found = []
    for index, value in enumerate(series):
        if math.isnan(value):
            continue
        baseline = same_weekday_baseline(series, index, weeks)
        if len(baseline) < min_points:
            continue
        z, middle, mad = robust_z(value, baseline)
        if abs(z) > threshold:
            found.append(Anomaly(index, value, middle, mad, z))
    return found
