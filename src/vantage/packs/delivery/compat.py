"""The Pulse platform's URLs answered by the delivery routes, the ETL sources and the jobs.

Pulse's answer bodies are not documented, so an alias answers its ``/api/v1`` route's JSON:
as it is, or (one DORA metric, one portfolio roll-up) that answer cut down to the part asked
for, with its window and ``data_as_of``. Queries and request bodies are Vantage's.
docs/COMPAT.md lists each alias.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import QueryParams

from vantage.core.compat import AnswerAdapter, CompatRoute, CompatSurface, same_answer
from vantage.packs.delivery.schemas import SourceIn

SYSTEM = "Pulse platform"
_V1 = "/api/v1/delivery"
_DORA = f"{_V1}/dora"
_SOURCES = "/api/v1/etl/sources"

# Pulse's metric path segment -> the field of Vantage's DORA answer.
DORA_METRICS = {
    "deployment-frequency": "deployment_frequency",
    "lead-time": "lead_time",
    "change-failure-rate": "change_failure_rate",
    "mttr": "mttr",
    "failed-deployment-recovery-time": "failed_deployment_recovery_time",
    "rework-rate": "rework_rate",
}
_DORA_CONTEXT = ("window", "scope", "data_as_of", "coverage")
_PORTFOLIO_CONTEXT = ("window", "data_as_of")


def only(context: Sequence[str], part: str) -> AnswerAdapter:
    """The route's answer cut down to ``part`` and the fields that say what it covers."""

    def adapt(value: Any, query: QueryParams) -> Any:
        return {key: value[key] for key in (*context, part)}

    return adapt


def _get(
    path: str,
    target: str,
    answer: AnswerAdapter = same_answer,
) -> CompatRoute:
    return CompatRoute(path, target, answer=answer)


def _post(
    path: str, target: str, status_code: int, body_model: type[BaseModel] | None = None
) -> CompatRoute:
    return CompatRoute(path, target, method="POST", body_model=body_model, status_code=status_code)


_METRICS = "/api/v1/metrics/dora"
_GITHUB = "/api/v1/analytics/github"
_PORTFOLIO = "/api/v1/portfolio"

COMPAT = CompatSurface(
    system=SYSTEM,
    routes=(
        _get(_METRICS, _DORA),
        _get(f"{_METRICS}/trend", f"{_DORA}/trend"),
        *(
            _get(f"{_METRICS}/{segment}", _DORA, only(_DORA_CONTEXT, field))
            for segment, field in DORA_METRICS.items()
        ),
        _get(f"{_GITHUB}/pull-requests", f"{_V1}/pulls"),
        _get(f"{_GITHUB}/contributors", f"{_V1}/contributors"),
        _get(f"{_GITHUB}/repositories", f"{_V1}/repositories"),
        _get(f"{_GITHUB}/repository-insights", f"{_V1}/repositories"),
        _get(_PORTFOLIO, f"{_V1}/portfolio"),
        _get(f"{_PORTFOLIO}/projects", f"{_V1}/portfolio", only(_PORTFOLIO_CONTEXT, "projects")),
        _get(f"{_PORTFOLIO}/teams", f"{_V1}/portfolio", only(_PORTFOLIO_CONTEXT, "teams")),
        _get(f"{_PORTFOLIO}/executive-summary", f"{_V1}/executive"),
        _get("/app/etl/sources", _SOURCES),
        _post("/app/etl/sources", _SOURCES, 201, SourceIn),
        _get("/app/etl/sources/{source_id}", f"{_SOURCES}/{{source_id}}"),
        _post("/app/etl/sources/{source_id}/sync", f"{_SOURCES}/{{source_id}}/sync", 202),
        _get("/app/etl/jobs", "/api/v1/jobs"),
        _get("/app/etl/jobs/{job_id}", "/api/v1/jobs/{job_id}"),
    ),
)
