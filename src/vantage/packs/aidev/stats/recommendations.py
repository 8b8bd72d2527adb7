"""Recommendations: rules over KPIs, anomalies and findings, each citing its numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from vantage.packs.aidev.stats.correlation import LagTest

Severity = Literal["info", "warn", "bad"]
UNPRICED_SHARE_BAR = 0.05
RATIO = "ratio"
# Daily series that are ratios, written as percentages like the KPIs of the same names.
RATIO_SERIES = frozenset({"acceptance_rate", "error_rate", "model_accuracy"})
# How messages name the daily series (the evidence keeps the series' keys).
SERIES_NAMES = {
    "requests": "Requests",
    "tokens": "Tokens",
    "cost_usd": "Cost (USD)",
    "acceptance_rate": "Acceptance rate",
    "error_rate": "Error rate",
    "model_accuracy": "Model accuracy",
    "pr_throughput": "Merged pull requests",
    "commits": "Commits",
}


def _lowered(name: str) -> str:
    """A name inside a sentence: ``Cost (USD)`` -> ``cost (USD)``."""
    return name[:1].lower() + name[1:]


def series_name(series: str) -> str:
    """A series as messages name it: ``error_rate`` -> ``Error rate``."""
    return SERIES_NAMES.get(series, series.replace("_", " ").capitalize())


def _one_decimal(value: float) -> str:
    """At most one decimal, as the page's number format writes it (40.0 -> 40)."""
    return f"{value:.1f}".removesuffix(".0")


def as_percent(ratio: float) -> str:
    """A ratio as the KPIs show it: a percentage with at most one decimal (0.4043 -> 40.4%)."""
    return _one_decimal(ratio * 100) + "%"


def kpi_text(value: float, unit: str) -> str:
    """A KPI's value in the KPI's own unit: a ratio as a percentage, else with its unit."""
    return as_percent(value) if unit == RATIO else f"{_one_decimal(value)} {unit}"


def plain_number(value: float) -> str:
    """Four significant digits in plain notation, whole numbers from 1,000 on with thousands
    separators (654361.0 -> 654,361; 0.52184 -> 0.5218): a sentence reads no exponents."""
    if value == 0:
        return "0"
    decimals = max(0, 3 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    if abs(float(text)) >= 1000:  # also what rounding carried up (999.96 -> 1,000)
        return f"{value:,.0f}"
    return text.rstrip("0").rstrip(".") if decimals else text


def _series_text(series: str, value: float) -> str:
    return as_percent(value) if series in RATIO_SERIES else plain_number(value)


@dataclass(frozen=True)
class KpiFigure:
    """A KPI's value and status, with the bar it was judged against."""

    key: str
    name: str
    value: float | None
    status: str
    unit: str
    bar: float | None = None


@dataclass(frozen=True)
class SeriesAnomaly:
    series: str
    day: date
    value: float
    median: float
    robust_z: float


@dataclass(frozen=True)
class Recommendation:
    rule: str
    severity: Severity
    message: str
    evidence: dict[str, float | str] = field(default_factory=dict)


KPI_ADVICE = {
    "error_rate": "Look at the failing models and providers; add a fallback model for them.",
    "acceptance_rate": "Review prompts and context for the tools whose suggestions are rejected.",
    "model_accuracy": "Route work away from the models rated worst, or tune their prompts.",
    "ai_velocity": "Few interactions per developer: check access, onboarding and tool setup.",
}


def _from_kpis(kpis: Sequence[KpiFigure]) -> list[Recommendation]:
    found = []
    for kpi in kpis:
        if kpi.status not in ("warn", "bad") or kpi.value is None:
            continue
        evidence: dict[str, float | str] = {"value": kpi.value, "status": kpi.status}
        if kpi.bar is not None:
            evidence["bar"] = kpi.bar
        found.append(
            Recommendation(
                rule=f"kpi.{kpi.key}",
                severity="bad" if kpi.status == "bad" else "warn",
                message=f"{kpi.name} is {kpi_text(kpi.value, kpi.unit)} ({kpi.status}). "
                + KPI_ADVICE.get(kpi.key, ""),
                evidence=evidence,
            )
        )
    return found


def _from_anomalies(anomalies: Sequence[SeriesAnomaly]) -> list[Recommendation]:
    found = []
    for anomaly in anomalies:
        kind = "spike" if anomaly.robust_z > 0 else "drop"
        found.append(
            Recommendation(
                rule=f"anomaly.{anomaly.series}",
                severity="warn",
                message=(
                    f"{series_name(anomaly.series)} had a {kind} on {anomaly.day.isoformat()}: "
                    f"{_series_text(anomaly.series, anomaly.value)} against a same-weekday "
                    f"median of {_series_text(anomaly.series, anomaly.median)}."
                ),
                evidence={
                    "date": anomaly.day.isoformat(),
                    "value": anomaly.value,
                    "median": anomaly.median,
                    "robust_z": anomaly.robust_z,
                },
            )
        )
    return found


def _from_findings(findings: Sequence[LagTest]) -> list[Recommendation]:
    found = []
    for test in findings[:5]:
        direction = "rises" if test.r > 0 else "falls"
        found.append(
            Recommendation(
                rule="finding.lagged_correlation",
                severity="info",
                message=(
                    f"{series_name(test.outcome)} {direction} {test.lag} day(s) after a rise "
                    f"in {_lowered(series_name(test.usage))} ({test.method} r = {test.r:.2f})."
                ),
                evidence={
                    "usage": test.usage,
                    "outcome": test.outcome,
                    "lag_days": test.lag,
                    "method": test.method,
                    "n": test.n,
                    "r": test.r,
                    "p": test.p,
                    "q": test.q,
                },
            )
        )
    return found


def recommend(
    kpis: Sequence[KpiFigure],
    anomalies: Sequence[SeriesAnomaly],
    findings: Sequence[LagTest],
    *,
    requests: int,
    unpriced: int,
) -> list[Recommendation]:
    """Every rule that fires, worst first."""
    found = _from_kpis(kpis) + _from_anomalies(anomalies) + _from_findings(findings)
    if requests and unpriced / requests > UNPRICED_SHARE_BAR:
        found.append(
            Recommendation(
                rule="pricing.unpriced_models",
                severity="warn",
                message="Many requests use models without a price: add them to the pricing file.",
                evidence={"unpriced": unpriced, "requests": requests, "share": unpriced / requests},
            )
        )
    order = {"bad": 0, "warn": 1, "info": 2}
    return sorted(found, key=lambda rec: order[rec.severity])
