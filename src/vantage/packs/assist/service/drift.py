"""Drift of one feature between a baseline sample and a current one: PSI and KS.

PSI bins: the edges are the baseline's deciles (``numpy.quantile`` at 0.1 .. 0.9, duplicates
removed) with open outer bins, so each bin holds about a tenth of the baseline. Each bin's
share is floored at 0.0001 (an empty bin would make the logarithm infinite), then
``PSI = sum((current - baseline) * ln(current / baseline))``. Reading: < 0.1 stable,
0.1-0.25 moderate shift, > 0.25 significant shift. KS is the two-sample Kolmogorov-Smirnov
test of scipy (``scipy.stats.ks_2samp``, two-sided): its statistic is the largest distance
between the two empirical distribution functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

PSI_BINS = 10
PSI_FLOOR = 1e-4
MIN_SAMPLE = 2


@dataclass(frozen=True)
class Drift:
    psi: float | None
    ks_statistic: float | None
    ks_p_value: float | None


def psi(baseline: Sequence[float], current: Sequence[float], bins: int = PSI_BINS) -> float:
    """Population stability index of ``current`` against ``baseline`` (see the module)."""
    reference = np.asarray(baseline, dtype=float)
    sample = np.asarray(current, dtype=float)
    inner = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    edges = np.concatenate(([-np.inf], inner, [np.inf]))
    expected = np.histogram(reference, edges)[0] / len(reference)
    actual = np.histogram(sample, edges)[0] / len(sample)
    expected = np.maximum(expected, PSI_FLOOR)
    actual = np.maximum(actual, PSI_FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def drift(baseline: Sequence[float], current: Sequence[float]) -> Drift:
    """PSI and KS of one feature; None where a sample is too small to say anything."""
    if len(baseline) < MIN_SAMPLE or len(current) < MIN_SAMPLE:
        return Drift(None, None, None)
    result = stats.ks_2samp(np.asarray(baseline, float), np.asarray(current, float))
    return Drift(psi(baseline, current), float(result.statistic), float(result.pvalue))
