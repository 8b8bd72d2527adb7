"""Order statistics used by every figure."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile with linear interpolation between closest ranks (the
    "linear" method of numpy and spreadsheets); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def median(values: Sequence[float]) -> float | None:
    """The median (the mean of the middle two for an even count); None for no values."""
    return percentile(values, 0.5)


def share(part: int, whole: int) -> float | None:
    """``part / whole``, None when ``whole`` is zero."""
    return part / whole if whole else None


def percent(part: int, whole: int) -> float | None:
    """``100 * part / whole``, None when ``whole`` is zero."""
    return 100 * part / whole if whole else None
