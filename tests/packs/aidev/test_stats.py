"""The pure statistics: lagged correlations against scipy, BH by hand, planted leads, the
anomaly detector's precision and recall on labelled seasonal series, and the recommendations'
wording of the numbers they cite."""

from __future__ import annotations

import math
import random
from datetime import date
from typing import Any

import numpy as np
import pytest
from scipy import stats

from vantage.core.stats import anomalies
from vantage.packs.aidev.stats import correlation
from vantage.packs.aidev.stats.recommendations import (
    KpiFigure,
    SeriesAnomaly,
    plain_number,
    recommend,
)


def _series(rng: random.Random, n: int) -> list[float]:
    return [rng.gauss(100, 15) for _ in range(n)]


def _scipy(x: np.ndarray, y: np.ndarray, method: str) -> tuple[float, float]:
    result = stats.pearsonr(x, y) if method == "pearson" else stats.spearmanr(x, y)
    return float(result.statistic), float(result.pvalue)


def _known_pairs(usage: list[float], outcome: list[float], lag: int) -> tuple[Any, Any]:
    x, y = np.array(usage[: len(outcome) - lag]), np.array(outcome[lag:])
    known = ~(np.isnan(x) | np.isnan(y))
    return x[known], y[known]


def test_correlations_equal_scipy_at_every_lag() -> None:
    rng = random.Random(7)
    # Series of different gaps (so the pairs of one call differ in length), one of them with
    # many ties (Spearman averages their ranks), and a usage that the outcome follows exactly.
    usage = {
        "u": _series(rng, 60),
        "tied": [float(rng.randrange(4)) for _ in range(60)],
        "exact": [float(i % 7) for i in range(60)],
    }
    outcomes = {
        "o": [math.nan if i % 9 == 0 else rng.gauss(0.3, 0.05) for i in range(60)],
        "sparse": [rng.gauss(5, 1) if i % 4 == 0 else math.nan for i in range(60)],
        "copy": [float(i % 7) if i % 5 else math.nan for i in range(60)],
    }
    tests = correlation.lagged_correlations(usage, outcomes, max_lag=5)
    assert len(tests) == 3 * 3 * 6 * 2
    assert any(t.r == pytest.approx(1.0) and t.p == 0.0 for t in tests)
    for test in tests:
        x, y = _known_pairs(usage[test.usage], outcomes[test.outcome], test.lag)
        expected = _scipy(x, y, test.method)
        assert test.n == len(x)
        assert test.r == pytest.approx(expected[0], abs=1e-9)
        assert test.p == pytest.approx(expected[1], abs=1e-9)


def test_benjamini_hochberg_by_hand() -> None:
    # m = 5, sorted p: 0.01, 0.02, 0.03, 0.04, 0.20 -> m p / rank = .05, .05, .05, .05, .20,
    # then the running minimum from the top.
    p = [0.04, 0.01, 0.20, 0.03, 0.02]
    assert correlation.benjamini_hochberg(p) == pytest.approx([0.05, 0.05, 0.20, 0.05, 0.05])
    # 0.005 * 3 / 1 = 0.015; 0.04 * 3 / 2 = 0.06; 0.9 * 3 / 3 = 0.9
    assert correlation.benjamini_hochberg([0.9, 0.005, 0.04]) == pytest.approx([0.9, 0.015, 0.06])


def test_constant_or_short_pairs_are_not_tested() -> None:
    tests = correlation.lagged_correlations({"u": [1.0] * 30}, {"o": list(range(30))}, 3)
    assert tests == []
    assert correlation.lagged_correlations({"u": [1.0, 2.0]}, {"o": [3.0, 1.0]}, 0) == []


def _planted(rng: random.Random, n: int, lead: int) -> tuple[list[float], list[float]]:
    usage = [rng.gauss(50, 10) for _ in range(n)]
    outcome = [
        0.02 * usage[t - lead] + rng.gauss(0, 0.08) if t >= lead else rng.gauss(1, 0.08)
        for t in range(n)
    ]
    return usage, outcome


def test_a_planted_lead_is_found_at_its_lag() -> None:
    rng = random.Random(11)
    usage, outcome = _planted(rng, 90, lead=4)
    tests = correlation.lagged_correlations({"usage": usage}, {"outcome": outcome}, 14)
    found = correlation.findings(tests)
    assert found, "the planted lead was not found"
    assert {test.lag for test in found} == {4}
    assert all(test.q < 0.05 and test.n >= 14 and test.r > 0 for test in found)


def test_shuffled_data_has_no_finding() -> None:
    rng = random.Random(11)
    usage, outcome = _planted(rng, 90, lead=4)
    rng.shuffle(outcome)
    tests = correlation.lagged_correlations({"usage": usage}, {"outcome": outcome}, 14)
    assert len(tests) == 30
    assert correlation.findings(tests) == []
    assert min(test.q for test in tests) >= 0.05


def test_findings_need_fourteen_pairs() -> None:
    usage = [float(i) for i in range(13)]
    outcome = [2.0 * i + 1 for i in range(13)]
    tests = correlation.lagged_correlations({"u": usage}, {"o": outcome}, 0)
    assert all(test.q < 0.05 for test in tests)
    assert correlation.findings(tests) == []


def test_robust_z_and_the_zero_mad_fallbacks() -> None:
    z, mad = anomalies.robust_z(20.0, 10.0, [0.0, 1.0, 1.0, 0.0, 2.0])
    assert mad == 1.0
    assert z == pytest.approx(0.6745 * 10)
    # MAD = 0 (most deviations nil): scale by the mean absolute deviation.
    z, mad = anomalies.robust_z(14.0, 10.0, [0.0, 0.0, 0.0, 2.0, 0.0])
    assert mad == 0
    assert z == pytest.approx(4 / (1.2533 * 0.4))
    # A constant baseline: any departure is infinitely far, equality is 0.
    assert anomalies.robust_z(10.5, 10.0, [0.0] * 4)[0] == math.inf
    assert anomalies.robust_z(9.0, 10.0, [0.0] * 4)[0] == -math.inf
    assert anomalies.robust_z(10.0, 10.0, [0.0] * 4)[0] == 0


def test_a_flat_series_flags_only_its_departures() -> None:
    series = [5.0] * 70
    series[60] = 6.0
    flagged = anomalies.detect(series)
    assert [(a.index, a.direction, a.robust_z) for a in flagged] == [(60, "spike", math.inf)]


def test_the_median_is_the_same_weekday_one() -> None:
    # Mondays run at 100, other days at 10: a Monday at 100 is normal, a Tuesday at 100 is not.
    series = [100.0 if t % 7 == 0 else 10.0 + (t % 3) for t in range(63)]
    series[57] = 100.0
    flagged = {a.index: a for a in anomalies.detect(series)}
    assert 56 not in flagged
    assert flagged[57].median == pytest.approx(10 + 57 % 3, abs=1)
    assert flagged[57].direction == "spike"


def _seasonal(rng: random.Random, days: int) -> tuple[list[float], set[int]]:
    """A weekly pattern (quiet weekends) with 10 % noise and four planted anomalies after the
    first five weeks (x1.8, x2.5 or x0.3): the series and the planted days."""
    weekly = [rng.uniform(80, 120) for _ in range(7)]
    weekly[5] *= 0.3
    weekly[6] *= 0.2
    series = [weekly[t % 7] + rng.gauss(0, weekly[t % 7] * 0.1)
              for t in range(days)]  # fmt: skip
    planted = set(rng.sample(range(35, days), 4))
    for index in planted:
        series[index] *= rng.choice((1.8, 2.5, 0.3))
    return series, planted


def test_detector_precision_and_recall_on_labelled_series() -> None:
    rng = random.Random(2026)
    true_positive = false_positive = false_negative = 0
    for _ in range(60):
        series, planted = _seasonal(rng, 120)
        flagged = {anomaly.index for anomaly in anomalies.detect(series)}
        true_positive += len(flagged & planted)
        false_positive += len(flagged - planted)
        false_negative += len(planted - flagged)
    precision = true_positive / (true_positive + false_positive)
    recall = true_positive / (true_positive + false_negative)
    assert precision >= 0.9, (precision, recall)
    assert recall >= 0.9, (precision, recall)


def test_recommendations_write_values_in_the_kpis_units() -> None:
    kpis = [
        KpiFigure("model_accuracy", "Model accuracy", 0.4043, "bad", "ratio", 0.5),
        KpiFigure("acceptance_rate", "Acceptance rate", 0.25, "warn", "ratio", 0.2),
        KpiFigure("ai_velocity", "AI velocity", 4.26, "warn", "interactions/developer/day", 3),
    ]
    spike = SeriesAnomaly("error_rate", date(2026, 3, 2), 0.125, 0.02, 9.1)
    busy = SeriesAnomaly("requests", date(2026, 3, 3), 90, 18, 12.0)
    finding = correlation.LagTest("cost_usd", "error_rate", 2, "spearman", 40, 0.61, 0.001)
    found = recommend(kpis, [spike, busy], [finding], requests=100, unpriced=0)
    messages = {r.rule: r.message for r in found}
    assert messages["kpi.model_accuracy"].startswith("Model accuracy is 40.4% (bad).")
    assert messages["kpi.acceptance_rate"].startswith("Acceptance rate is 25% (warn).")
    assert messages["kpi.ai_velocity"].startswith(
        "AI velocity is 4.3 interactions/developer/day (warn)."
    )
    assert messages["anomaly.error_rate"] == (
        "Error rate had a spike on 2026-03-02: 12.5% against a same-weekday median of 2%."
    )
    assert messages["anomaly.requests"].startswith("Requests had a spike on 2026-03-03: 90 ")
    assert messages["finding.lagged_correlation"] == (
        "Error rate rises 2 day(s) after a rise in cost (USD) (spearman r = 0.61)."
    )
    # The evidence keeps the numbers themselves, as the KPIs' values are.
    model = next(r for r in found if r.rule == "kpi.model_accuracy")
    assert model.evidence["value"] == 0.4043


@pytest.mark.parametrize(
    ("value", "text"),
    [(654_361.0, "654,361"), (249_914.5, "249,914"), (92.5, "92.5"), (1.258, "1.258"),
     (0.52184, "0.5218"), (0.0000123456, "0.00001235"), (-3.5, "-3.5"), (0.0, "0"),
     (1000.0, "1,000"), (999.96, "1,000"), (120.0, "120")],
)  # fmt: skip
def test_anomaly_sentences_write_plain_numbers(value: float, text: str) -> None:
    assert plain_number(value) == text


def test_a_large_spike_reads_without_an_exponent() -> None:
    kpis = [KpiFigure("model_accuracy", "Model accuracy", 0.9, "good", "ratio")]
    tokens = SeriesAnomaly("tokens", date(2026, 12, 4), 654_361, 249_914, 4.4)
    (found,) = recommend(kpis, [tokens], [], requests=100, unpriced=0)
    assert found.message == (
        "Tokens had a spike on 2026-12-04: 654,361 against a same-weekday median of 249,914."
    )
