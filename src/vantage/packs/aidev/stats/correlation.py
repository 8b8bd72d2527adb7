"""Lagged Pearson and Spearman correlations between usage and outcome series, with
Benjamini-Hochberg q-values over every test run.

At lag k, usage on day t is paired with the outcome on day t + k (usage leading the outcome).
Days where either value is missing (NaN, or not finite) are left out of that pair, so n may
differ per test. A test whose pairs are fewer than 3 or constant has no defined r and is not
run (nor counted in the Benjamini-Hochberg family). The r and p of every test match
``scipy.stats.pearsonr`` and ``spearmanr``; they are computed for all tests at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy import special, stats

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
    usage: Sequence[float] | np.ndarray, outcome: Sequence[float] | np.ndarray, lag: int
) -> tuple[np.ndarray, np.ndarray]:
    """(usage[t], outcome[t + lag]) for every t where both are known."""
    x = np.asarray(usage, dtype=float)
    y = np.asarray(outcome, dtype=float)
    length = min(len(x), len(y) - lag)
    if length <= 0:
        return np.empty(0), np.empty(0)
    x, y = x[:length], y[lag : lag + length]
    known = np.isfinite(x) & np.isfinite(y)
    return x[known], y[known]


def _varies(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Rows whose known values are not all equal (the padding is +inf)."""
    return np.asarray(np.where(known, values, -np.inf).max(axis=1) > values.min(axis=1))


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


def _padded(pairs: Sequence[np.ndarray]) -> np.ndarray:
    """Equal-length rows: each array followed by +inf. Ranked along a row, the padding comes
    last and leaves the ranks of the real values (ties averaged) as they are alone."""
    rows = np.full((len(pairs), max(len(values) for values in pairs)), np.inf)
    for row, values in zip(rows, pairs, strict=True):
        row[: len(values)] = values
    return rows


def _centred(values: np.ndarray, known: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Each row's known values less their mean; 0 for the padding."""
    means = np.where(known, values, 0).sum(axis=1) / n
    return np.where(known, values - means[:, None], 0)


def _row_pearson(x: np.ndarray, y: np.ndarray, known: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Pearson's r of every row's known values."""
    dx, dy = _centred(x, known, n), _centred(y, known, n)
    r = (dx * dy).sum(axis=1) / np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
    return np.asarray(np.clip(r, -1.0, 1.0))


def _p_pearson(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p of r under the null: r's exact distribution, beta(n/2 - 1, n/2 - 1) on
    (-1, 1), as ``scipy.stats.pearsonr`` computes it."""
    half = n / 2 - 1
    return np.asarray(2 * special.betainc(half, half, (1 - np.abs(r)) / 2))


def _p_spearman(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p of Spearman's r from Student's t with n - 2 degrees of freedom, as
    ``scipy.stats.spearmanr`` computes it (r = +-1 gives p = 0)."""
    dof = n - 2
    with np.errstate(divide="ignore"):
        t = np.abs(r) * np.sqrt((dof / ((r + 1.0) * (1.0 - r))).clip(0))
    return np.asarray(2 * special.stdtr(dof, -t))


def _tests_of_pairs(
    keys: Sequence[tuple[str, str, int]], pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    methods: Sequence[Method],
) -> list[LagTest]:  # fmt: skip
    """Every method on every pair at once: a few whole-array operations instead of a scipy
    call per test, whose fixed cost is most of a test's time on series this short. Pairs with
    a constant side have no r and are left out."""
    x, y = _padded([pair[0] for pair in pairs]), _padded([pair[1] for pair in pairs])
    known = np.isfinite(x)
    varying = _varies(x, known) & _varies(y, known)
    x, y, known = x[varying], y[varying], known[varying]
    keys = [key for key, kept in zip(keys, varying.tolist(), strict=True) if kept]
    n = known.sum(axis=1)
    results: dict[Method, tuple[np.ndarray, np.ndarray]] = {}
    if "pearson" in methods:
        r = _row_pearson(x, y, known, n)
        results["pearson"] = r, _p_pearson(r, n)
    if "spearman" in methods:
        ranked_x, ranked_y = stats.rankdata(x, axis=1), stats.rankdata(y, axis=1)
        r = _row_pearson(ranked_x, ranked_y, known, n)
        results["spearman"] = r, _p_spearman(r, n)
    return [
        LagTest(usage, outcome, lag, method, int(n[row]), float(results[method][0][row]),
                float(results[method][1][row]))
        for row, (usage, outcome, lag) in enumerate(keys)
        for method in methods
    ]  # fmt: skip


def lagged_correlations(
    usage: Mapping[str, Sequence[float]],
    outcomes: Mapping[str, Sequence[float]],
    max_lag: int,
    methods: Sequence[Method] = ("pearson", "spearman"),
) -> list[LagTest]:
    """Every (usage, outcome, lag 0..max_lag, method) test that can be run, with BH q-values."""
    outcome_arrays = {name: np.asarray(series, dtype=float) for name, series in outcomes.items()}
    keys: list[tuple[str, str, int]] = []
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    for usage_name, usage_series in usage.items():
        usage_array = np.asarray(usage_series, dtype=float)
        for outcome_name, outcome_array in outcome_arrays.items():
            for lag in range(max_lag + 1):
                x, y = lagged_pairs(usage_array, outcome_array, lag)
                if len(x) >= MIN_PAIRS:
                    keys.append((usage_name, outcome_name, lag))
                    pairs.append((x, y))
    tests = _tests_of_pairs(keys, pairs, methods) if pairs else []
    q_values = benjamini_hochberg([test.p for test in tests])
    return [replace(test, q=q) for test, q in zip(tests, q_values, strict=True)]


def findings(tests: Sequence[LagTest]) -> list[LagTest]:
    """The tests that count as findings (q < 0.05 and n >= 14), strongest first."""
    return sorted((t for t in tests if t.is_finding), key=lambda t: (t.q, -abs(t.r)))
