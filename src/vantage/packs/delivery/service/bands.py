"""DORA performance bands of the 2021, 2023 and 2024 State of DevOps reports.

Each report publishes ranges per metric; where its ranges leave a gap the value falls to the
next worse band, and where a report gives only a typical change failure rate per cluster
(2023, 2024) the rate goes to the cluster whose published value is nearest (ties to the
better one). docs/packs/delivery.md lists every threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vantage.packs.delivery.schemas import Band, BandSet, BandsOut

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
SIX_MONTHS = 180 * DAY
ORDER: tuple[Band, ...] = ("elite", "high", "medium", "low")

# (band, inclusive lower bound of deployments per day), best first; below the last: low.
Frequency = Sequence[tuple[Band, float]]
# (band, bound in seconds, whether the bound itself is inside), best first; beyond: low.
Duration = Sequence[tuple[Band, float, bool]]


@dataclass(frozen=True)
class Thresholds:
    frequency: Frequency
    lead_time: Duration
    recovery: Duration
    # 2021: (band, upper bound) ranges; 2023 and 2024: (band, typical value) for nearest.
    failure_rate: Sequence[tuple[Band, float]]
    failure_rate_nearest: bool


THRESHOLDS: dict[int, Thresholds] = {
    2021: Thresholds(
        frequency=[("elite", 1.0), ("high", 1 / 30), ("medium", 1 / 180)],
        lead_time=[("elite", HOUR, False), ("high", WEEK, True), ("medium", SIX_MONTHS, True)],
        recovery=[("elite", HOUR, False), ("high", DAY, False), ("medium", WEEK, True)],
        failure_rate=[("elite", 0.15), ("high", 0.30)],
        failure_rate_nearest=False,
    ),
    2023: Thresholds(
        frequency=[("elite", 1.0), ("high", 1 / 7), ("medium", 1 / 30)],
        lead_time=[("elite", DAY, False), ("high", WEEK, True), ("medium", MONTH, True)],
        recovery=[("elite", HOUR, False), ("high", DAY, False), ("medium", WEEK, True)],
        failure_rate=[("elite", 0.05), ("high", 0.10), ("medium", 0.15), ("low", 0.64)],
        failure_rate_nearest=True,
    ),
    2024: Thresholds(
        frequency=[("elite", 1.0), ("high", 1 / 7), ("medium", 1 / 30)],
        lead_time=[("elite", DAY, False), ("high", WEEK, True), ("medium", MONTH, True)],
        recovery=[("elite", HOUR, False), ("high", DAY, False), ("medium", DAY, False)],
        failure_rate=[("elite", 0.05), ("high", 0.20), ("medium", 0.10), ("low", 0.40)],
        failure_rate_nearest=True,
    ),
}


def _frequency_band(per_day: float | None, bounds: Frequency) -> Band | None:
    if per_day is None:
        return None
    return next((band for band, lowest in bounds if per_day >= lowest), "low")


def _duration_band(seconds: float | None, bounds: Duration) -> Band | None:
    if seconds is None:
        return None
    for band, limit, inclusive in bounds:
        if seconds < limit or (inclusive and seconds == limit):
            return band
    return "low"


def _failure_band(rate: float | None, thresholds: Thresholds) -> Band | None:
    if rate is None:
        return None
    if thresholds.failure_rate_nearest:
        by_distance = sorted(
            thresholds.failure_rate,
            key=lambda item: (abs(item[1] - rate), ORDER.index(item[0])),
        )
        return by_distance[0][0]
    return next((band for band, upper in thresholds.failure_rate if rate <= upper), "low")


def _worst(bands: Sequence[Band | None]) -> Band | None:
    known = [band for band in bands if band is not None]
    return max(known, key=ORDER.index) if known else None


def band_set(
    year: int,
    *,
    per_day: float | None,
    lead_time: float | None,
    failure_rate: float | None,
    recovery: float | None,
) -> BandSet:
    """The bands of one report year; ``overall`` is the worst of the four."""
    thresholds = THRESHOLDS[year]
    bands = BandSet(
        overall=None,
        deployment_frequency=_frequency_band(per_day, thresholds.frequency),
        lead_time=_duration_band(lead_time, thresholds.lead_time),
        change_failure_rate=_failure_band(failure_rate, thresholds),
        recovery=_duration_band(recovery, thresholds.recovery),
    )
    overall = _worst(
        [bands.deployment_frequency, bands.lead_time, bands.change_failure_rate, bands.recovery]
    )
    return bands.model_copy(update={"overall": overall})


def all_bands(
    *,
    per_day: float | None,
    lead_time: float | None,
    failure_rate: float | None,
    recovery: float | None,
    time_to_restore: float | None,
) -> BandsOut:
    """The three reports side by side (2021 rates time to restore service, MTTR)."""
    later = {"per_day": per_day, "lead_time": lead_time, "failure_rate": failure_rate}
    return BandsOut(
        dora_2021=band_set(2021, recovery=time_to_restore, **later),
        dora_2023=band_set(2023, recovery=recovery, **later),
        dora_2024=band_set(2024, recovery=recovery, **later),
    )
