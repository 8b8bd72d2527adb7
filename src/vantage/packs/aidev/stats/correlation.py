"""Lagged Pearson and Spearman correlations between usage and outcome series, with
Benjamini-Hochberg q-values over every test run.

At lag k, usage on day t is paired with the outcome on day t + k (usage leading the outcome).
Days where either value is missing (NaN) are left out of that pair, so n may differ per test.
A test whose pairs are fewer than 3 or constant has no defined r and is not run (nor counted
in the Benjamini-Hochberg family).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy import stats

Method = Literal["pearson", "spearman"]
MIN_PAIRS = 3
FINDING_Q = 0.05
FINDING_MIN_N = 14


@dataclass(frozen=True)
class LagTest:
    """One correlation test; ``q`` is set once the whole family has been run."""

    usage: str
    outcome: str
    lag: int
    method: Method
    n: int
    r: float
    p: float
    q: float = math.nan

    @property
    def is_finding(self) -> bool:
        return self.q < FINDING_Q and self.n >= FINDING_MIN_N


def lagged_pairs(
    usage: Sequence[float], outcome: Sequence[float], lag: int
) -> tuple[np.ndarray, np.ndarray]:
    """(usage[t], outcome[t + lag]) for every t where both are known."""
    x = np.asarray(usage, dtype=float)
    y = np.asarray(outcome, dtype=float)
    length = min(len(x), len(y) - lag)
    if length <= 0:
        return np.empty(0), np.empty(0)
    x, y = x[:length], y[lag : lag + length]
    known = ~(np.isnan(x) | np.isnan(y))
    return x[known], y[known]


def _correlate(x: np.ndarray, y: np.ndarray, method: Method) -> tuple[float, float]:
    result = stats.pearsonr(x, y) if method == "pearson" else stats.spearmanr(x, y)
    return float(result.statistic), float(result.pvalue)


def _testable(x: np.ndarray, y: np.ndarray) -> bool:
    return len(x) >= MIN_PAIRS and float(np.ptp(x)) > 0 and float(np.ptp(y)) > 0


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """BH-adjusted q-values, in the input order: q_(i) = min over j >= i of m p_(j) / j, <= 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda index: p_values[index])
    q = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * m / rank)
        q[index] = min(running, 1.0)
    return q


def lagged_correlations(
    usage: Mapping[str, Sequence[float]],
    outcomes: Mapping[str, Sequence[float]],
    max_lag: int,
    methods: Sequence[Method] = ("pearson", "spearman"),
) -> list[LagTest]:
    """Every (usage, outcome, lag 0..max_lag, method) test that can be run, with BH q-values."""
    tests: list[LagTest] = []
    for usage_name, usage_series in usage.items():
        for outcome_name, outcome_series in outcomes.items():
            for lag in range(max_lag + 1):
                x, y = lagged_pairs(usage_series, outcome_series, lag)
                if not _testable(x, y):
                    continue
                for method in methods:
                    r, p = _correlate(x, y, method)
                    tests.append(LagTest(usage_name, outcome_name, lag, method, len(x), r, p))
    q_values = benjamini_hochberg([test.p for test in tests])
    return [replace(test, q=q) for test, q in zip(tests, q_values, strict=True)]


def findings(tests: Sequence[LagTest]) -> list[LagTest]:
    """The tests that count as findings (q < 0.05 and n >= 14), strongest first."""
    return sorted((t for t in tests if t.is_finding), key=lambda t: (t.q, -abs(t.r)))
