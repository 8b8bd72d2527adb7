"""PSI and KS against references computed independently with numpy and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from vantage.packs.assist.service.drift import drift, psi


def _reference_psi(baseline: np.ndarray, current: np.ndarray) -> float:
    """PSI written out: decile edges of the baseline, shares floored at 1e-4."""
    edges = np.unique(np.percentile(baseline, [10, 20, 30, 40, 50, 60, 70, 80, 90]))
    expected = np.bincount(np.searchsorted(edges, baseline, side="right"), minlength=len(edges) + 1)
    actual = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    e = np.clip(expected / len(baseline), 1e-4, None)
    a = np.clip(actual / len(current), 1e-4, None)
    return float(((a - e) * np.log(a / e)).sum())


@pytest.mark.parametrize("shift", [0.0, 0.3, 1.5])
def test_psi_and_ks_equal_the_references(shift: float) -> None:
    generator = np.random.default_rng(7)
    baseline = generator.normal(0, 1, 2_000)
    current = generator.normal(shift, 1, 1_500)
    measured = drift(baseline.tolist(), current.tolist())
    assert measured.psi == pytest.approx(_reference_psi(baseline, current), rel=1e-9)
    reference = stats.ks_2samp(baseline, current)
    assert measured.ks_statistic == pytest.approx(reference.statistic)
    assert measured.ks_p_value == pytest.approx(reference.pvalue)


def test_psi_grows_with_the_shift() -> None:
    generator = np.random.default_rng(1)
    baseline = generator.normal(0, 1, 5_000).tolist()
    small = psi(baseline, generator.normal(0.1, 1, 5_000).tolist())
    large = psi(baseline, generator.normal(1.0, 1, 5_000).tolist())
    assert small < 0.1 < 0.25 < large


def test_tiny_samples_measure_nothing() -> None:
    assert drift([1.0], [1.0, 2.0]).psi is None
