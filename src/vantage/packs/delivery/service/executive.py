"""The executive summary: a few KPIs with status and trend, and the risks they show, each
number citing the DORA figure it comes from."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.windows import TimeWindow
from vantage.packs.delivery.schemas import Band, Citation, DoraOut, ExecutiveOut, KpiOut, RiskOut
from vantage.packs.delivery.service.dora import DoraFilter, dora

STATUS_OF_BAND: dict[str, Literal["good", "warn", "bad"]] = {
    "elite": "good",
    "high": "good",
    "medium": "warn",
    "low": "bad",
}
HIGH_FAILURE_RATE = 0.15
LOW_COVERAGE_PCT = 80.0
HIGH_REWORK_RATE = 0.10


def _cite(figure: str, window: TimeWindow, value: float | int | None) -> Citation:
    return Citation(figure=figure, window=window.out(), value=value)


def _trend(
    now: float | None, before: float | None, higher_is_better: bool
) -> Literal["better", "worse", "flat", "unknown"]:
    if now is None or before is None:
        return "unknown"
    if now == before:
        return "flat"
    return "better" if (now > before) == higher_is_better else "worse"


def _kpi(
    name: str,
    unit: str,
    figure: str,
    values: tuple[float | None, float | None],
    band: Band | None,
    windows: tuple[TimeWindow, TimeWindow],
    higher_is_better: bool,
) -> KpiOut:
    now, before = values
    return KpiOut(
        name=name,
        value=now,
        unit=unit,
        status=STATUS_OF_BAND.get(band or "", "unknown"),
        trend=_trend(now, before, higher_is_better),
        previous=before,
        cites=[_cite(figure, windows[0], now), _cite(figure, windows[1], before)],
    )


def _kpis(now: DoraOut, before: DoraOut, windows: tuple[TimeWindow, TimeWindow]) -> list[KpiOut]:
    bands = now.bands.dora_2024
    return [
        _kpi("Deployment frequency", "deployments/day", "deployment_frequency.per_day",
             (now.deployment_frequency.per_day, before.deployment_frequency.per_day),
             bands.deployment_frequency, windows, True),
        _kpi("Lead time for changes (p50)", "seconds", "lead_time.p50_seconds",
             (now.lead_time.p50_seconds, before.lead_time.p50_seconds),
             bands.lead_time, windows, False),
        _kpi("Change failure rate", "ratio", "change_failure_rate.rate",
             (now.change_failure_rate.rate, before.change_failure_rate.rate),
             bands.change_failure_rate, windows, False),
        _kpi("Failed deployment recovery time (p50)", "seconds",
             "failed_deployment_recovery_time.p50_seconds",
             (now.failed_deployment_recovery_time.p50_seconds,
              before.failed_deployment_recovery_time.p50_seconds),
             bands.recovery, windows, False),
    ]  # fmt: skip


def _risks(now: DoraOut, window: TimeWindow) -> list[RiskOut]:
    risks = []
    failure = now.change_failure_rate
    if failure.rate is not None and failure.rate > HIGH_FAILURE_RATE:
        risks.append(RiskOut(
            title="Many deployments cause incidents",
            detail=f"{failure.numerator} of {failure.denominator} deployments had an incident.",
            cites=[_cite("change_failure_rate.numerator", window, failure.numerator),
                   _cite("change_failure_rate.denominator", window, failure.denominator)],
        ))  # fmt: skip
    coverage = now.coverage
    linked = coverage.pull_requests_linked_pct
    if linked is not None and linked < LOW_COVERAGE_PCT:
        risks.append(RiskOut(
            title="Many merged pull requests were never deployed",
            detail=f"Only {linked:.0f} % of merged pull requests are linked to a deployment.",
            cites=[_cite("coverage.pull_requests_linked_pct", window, linked)],
        ))  # fmt: skip
    if coverage.incidents > coverage.incidents_attributed:
        missing = coverage.incidents - coverage.incidents_attributed
        risks.append(RiskOut(
            title="Incidents without a known cause",
            detail=f"{missing} of {coverage.incidents} incidents match no deployment.",
            cites=[_cite("coverage.incidents", window, coverage.incidents),
                   _cite("coverage.incidents_attributed", window, coverage.incidents_attributed)],
        ))  # fmt: skip
    rework = now.rework_rate
    if rework.rate is not None and rework.rate > HIGH_REWORK_RATE:
        risks.append(RiskOut(
            title="Much of the delivery is rework",
            detail=f"{rework.numerator} of {rework.denominator} deployments were hotfixes, "
            "rollbacks or reverts.",
            cites=[_cite("rework_rate.rate", window, rework.rate)],
        ))  # fmt: skip
    return risks


async def executive(
    session: AsyncSession, tenant_id: int, query: DoraFilter, window: TimeWindow
) -> ExecutiveOut:
    """KPIs of the window against the window just before it, and the risks they show."""
    previous = TimeWindow(window.start - (window.end - window.start), window.start)
    now = await dora(session, tenant_id, query, window)
    before = await dora(session, tenant_id, query, previous)
    return ExecutiveOut(
        window=window.out(),
        previous_window=previous.out(),
        data_as_of=now.data_as_of,
        kpis=_kpis(now, before, (window, previous)),
        risks=_risks(now, window),
    )
