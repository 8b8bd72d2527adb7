"""Request and response models of the delivery pack."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from vantage.core.instants import Instant
from vantage.core.openapi_schema import Documented, at_least_one_of
from vantage.core.pagination import PaginationMeta
from vantage.core.text import Line, Text
from vantage.core.windows import WindowOut

MAX_BATCH = 1000
ExternalId = Field(min_length=1, max_length=200)
Sha = Field(default=None, pattern=r"^[0-9a-f]{7,40}$")
DeploymentKind = Literal["normal", "hotfix", "rollback", "revert"]
DeploymentState = Literal["queued", "in_progress", "success", "failure", "error"]


REPOSITORY_PATTERN = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.*-]+$"


def _repository_pattern(value: str) -> str:
    if not re.fullmatch(REPOSITORY_PATTERN, value):
        raise PydanticCustomError(
            "repository_pattern", "expected owner/name or owner/* (letters, digits, -_.)"
        )
    return value


RepositoryPattern = Annotated[
    str,
    Field(max_length=200),
    AfterValidator(_repository_pattern),
    Documented(pattern=REPOSITORY_PATTERN),
]
"""A tracked repository, ``owner/name``, or ``owner/*`` (``*`` matches any part of a name)."""


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeploymentIn(_Input):
    """One deployment, or a later status of one already sent (same ``id``)."""

    id: Line = ExternalId
    service: Line = Field(min_length=1, max_length=200)
    environment: Line = Field(default="production", min_length=1, max_length=100)
    # GitHub's owner/name (ASCII), so names compare case-insensitively alike everywhere.
    repository: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", max_length=200
    )
    commit_sha: str | None = Sha
    status: DeploymentState = "success"
    at: Instant = Field(description="When the deployment reached this status")
    kind: DeploymentKind = "normal"


class DeploymentBatchIn(_Input):
    deployments: list[DeploymentIn] = Field(min_length=1, max_length=MAX_BATCH)


class IncidentIn(_Input):
    """An incident; ``deployment`` (an id sent to this API) or ``root_cause_sha`` link it."""

    id: Line = ExternalId
    service: Line = Field(min_length=1, max_length=200)
    title: Line = Field(default="", max_length=500)
    severity: Line | None = Field(default=None, max_length=32)
    created_at: Instant
    restored_at: Instant | None = None
    resolved_at: Instant | None = None
    deployment: Line | None = Field(default=None, min_length=1, max_length=200)
    root_cause_sha: str | None = Sha
    description: Text | None = Field(default=None, max_length=20_000)


class IncidentBatchIn(_Input):
    incidents: list[IncidentIn] = Field(min_length=1, max_length=MAX_BATCH)


class IngestResult(BaseModel):
    accepted: int
    created: int
    updated: int
    data_as_of: datetime


class SourceIn(_Input):
    """A GitHub source: its webhook secret (stored encrypted) or the variable that holds it."""

    model_config = ConfigDict(json_schema_extra=at_least_one_of("secret", "secret_env"))

    name: Line = Field(min_length=1, max_length=100)
    kind: Literal["github"] = "github"
    repositories: list[RepositoryPattern] = Field(
        default_factory=list,
        max_length=1000,
        description="owner/name of each tracked repository; owner/* tracks all of an owner's",
    )
    secret: Line | None = Field(default=None, min_length=8, max_length=512)
    secret_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,99}$")
    api_url: str = Field(
        default="https://api.github.com", pattern=r"^https?://[^\s]+$", max_length=200
    )
    token: Line | None = Field(default=None, min_length=1, max_length=512)
    token_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,99}$")


class SourcePatch(_Input):
    name: Line | None = Field(default=None, min_length=1, max_length=100)
    repositories: list[RepositoryPattern] | None = Field(default=None, max_length=1000)
    secret: Line | None = Field(default=None, min_length=8, max_length=512)
    secret_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,99}$")
    api_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$", max_length=200)
    token: Line | None = Field(default=None, min_length=1, max_length=512)
    token_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,99}$")


class SourceOut(BaseModel):
    """A source as the API shows it: never the secret, only whether one is configured."""

    id: int
    name: str
    kind: str
    repositories: list[str]
    secret_configured: bool
    secret_env: str | None
    api_url: str
    token_configured: bool
    token_env: str | None
    webhook_path: str
    created_at: datetime
    updated_at: datetime


class SourceList(BaseModel):
    data: list[SourceOut]


class JobRef(BaseModel):
    job_id: str
    status_url: str


class WebhookAck(BaseModel):
    delivery_id: str
    event: str
    status: Literal["queued", "duplicate", "requeued", "ignored"]


class Percentiles(BaseModel):
    count: int
    p50_seconds: float | None
    p75_seconds: float | None
    p90_seconds: float | None


class Stage(BaseModel):
    count: int
    p50_seconds: float | None


class LeadTimeBreakdown(BaseModel):
    coding: Stage
    pickup: Stage
    review: Stage
    deploy: Stage


class LeadTimeOut(Percentiles):
    breakdown: LeadTimeBreakdown


class FrequencyOut(BaseModel):
    deployments: int
    days: float
    per_day: float
    deployment_days_per_week: float | None = Field(
        description="Median over the window's ISO weeks of distinct UTC deployment dates"
    )


class RateOut(BaseModel):
    numerator: int
    denominator: int
    rate: float | None


class MedianOut(BaseModel):
    count: int
    p50_seconds: float | None


Band = Literal["elite", "high", "medium", "low"]


class BandSet(BaseModel):
    overall: Band | None
    deployment_frequency: Band | None
    lead_time: Band | None
    change_failure_rate: Band | None
    recovery: Band | None


class BandsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    dora_2021: BandSet = Field(alias="2021")
    dora_2023: BandSet = Field(alias="2023")
    dora_2024: BandSet = Field(alias="2024")


class CoverageOut(BaseModel):
    pull_requests_merged: int
    pull_requests_linked: int
    pull_requests_linked_pct: float | None
    incidents: int
    incidents_attributed: int
    incidents_attributed_pct: float | None


class ScopeOut(BaseModel):
    project: str | None
    team: str | None
    repository: str | None
    service: str | None


class DoraOut(BaseModel):
    window: WindowOut
    scope: ScopeOut
    data_as_of: datetime | None
    deployment_frequency: FrequencyOut
    lead_time: LeadTimeOut
    change_failure_rate: RateOut
    failed_deployment_recovery_time: MedianOut
    mttr: MedianOut
    rework_rate: RateOut
    bands: BandsOut
    coverage: CoverageOut


class TrendPoint(BaseModel):
    start: datetime
    end: datetime
    deployments: int
    per_day: float
    lead_time_p50_seconds: float | None
    change_failure_rate: float | None
    rework_rate: float | None
    failed_deployment_recovery_p50_seconds: float | None
    coverage: CoverageOut


class TrendOut(BaseModel):
    window: WindowOut
    scope: ScopeOut
    granularity: Literal["week"]
    data_as_of: datetime | None
    points: list[TrendPoint]


class SizeBuckets(BaseModel):
    """Pull requests by lines changed: xs <= 10, s <= 50, m <= 250, l <= 1000, xl above."""

    xs: int
    s: int
    m: int
    l: int  # noqa: E741 - the size class is called L
    xl: int


class PullSummary(BaseModel):
    merged: int
    throughput_per_week: float
    cycle_time_p50_seconds: float | None = Field(description="First commit to merge")
    coding_p50_seconds: float | None = Field(description="First commit to opened")
    first_review_latency_p50_seconds: float | None = Field(description="Opened to first review")
    review_time_p50_seconds: float | None = Field(description="First review to merge")
    reviews_per_pull_request: float | None
    reviewers_per_pull_request: float | None
    size: SizeBuckets
    reworked: int = Field(description="Merged with a commit authored after the first review")
    rework_rate: float | None
    merge_methods: dict[str, int]


class PullOut(BaseModel):
    repository: str
    number: int
    title: str
    author: str | None
    opened_at: datetime
    merged_at: datetime
    lines_changed: int
    size: Literal["xs", "s", "m", "l", "xl"]
    merge_method: str | None
    reviews: int
    reviewers: int
    cycle_seconds: float | None
    first_review_latency_seconds: float | None
    review_seconds: float | None
    reworked: bool
    deployed: bool


class PullsOut(BaseModel):
    window: WindowOut
    data_as_of: datetime | None
    summary: PullSummary
    data: list[PullOut]
    pagination: PaginationMeta


class ReviewedAuthor(BaseModel):
    author: str
    reviews: int


class ContributorOut(BaseModel):
    name: str
    commits: int
    pull_requests_opened: int
    pull_requests_merged: int
    reviews_given: int
    reviewed: list[ReviewedAuthor] = Field(description="Whose pull requests they reviewed")


class ContributorsOut(BaseModel):
    window: WindowOut
    data_as_of: datetime | None
    data: list[ContributorOut]
    pagination: PaginationMeta


class RepositoryStatsOut(BaseModel):
    repository: str
    commits: int
    commits_by_weekday: list[int] = Field(description="Monday first, UTC")
    commits_by_hour: list[int] = Field(description="Hours 0-23, UTC")
    pull_requests_merged: int
    merge_methods: dict[str, int]
    deployments: int
    median_days_between_deployments: float | None


class RepositoriesOut(BaseModel):
    window: WindowOut
    data_as_of: datetime | None
    data: list[RepositoryStatsOut]
    pagination: PaginationMeta


class OwnershipIn(_Input):
    kind: Literal["repository", "service"]
    name: Line = Field(min_length=1, max_length=200)
    team: Line | None = Field(default=None, min_length=1, max_length=100)
    project: Line | None = Field(default=None, min_length=1, max_length=100)


class OwnershipBatchIn(_Input):
    entries: list[OwnershipIn] = Field(min_length=1, max_length=MAX_BATCH)


class OwnershipList(BaseModel):
    data: list[OwnershipIn]


class RollupOut(BaseModel):
    """One team's or project's DORA figures."""

    name: str
    deployments: int
    deployments_per_day: float
    lead_time_p50_seconds: float | None
    change_failure_rate: float | None
    failed_deployment_recovery_p50_seconds: float | None
    rework_rate: float | None
    pull_requests_linked_pct: float | None
    band_2024: Band | None


class PortfolioOut(BaseModel):
    window: WindowOut
    data_as_of: datetime | None
    teams: list[RollupOut]
    projects: list[RollupOut]


class Citation(BaseModel):
    """A figure a number comes from: the DORA response field, its window and its value."""

    figure: str
    window: WindowOut
    value: float | int | None


class KpiOut(BaseModel):
    name: str
    value: float | None
    unit: str
    status: Literal["good", "warn", "bad", "unknown"]
    trend: Literal["better", "worse", "flat", "unknown"]
    previous: float | None
    cites: list[Citation]


class RiskOut(BaseModel):
    title: str
    detail: str
    cites: list[Citation]


class ExecutiveOut(BaseModel):
    window: WindowOut
    previous_window: WindowOut
    data_as_of: datetime | None
    kpis: list[KpiOut]
    risks: list[RiskOut]


class ForecastIn(_Input):
    """How long ``items`` more pull requests take at the scope's weekly throughput."""

    items: int = Field(ge=1, le=100_000)
    team: Line | None = Field(default=None, min_length=1, max_length=100)
    project: Line | None = Field(default=None, min_length=1, max_length=100)
    repository: Line | None = Field(default=None, min_length=1, max_length=200)
    history_weeks: int = Field(default=12, ge=1, le=260)
    history_end: Instant | None = Field(
        default=None, description="End of the history (a Monday 00:00Z); default: this week's"
    )
    simulations: int = Field(default=10_000, ge=100, le=100_000)
    seed: int | None = Field(default=None, ge=0)


class ForecastPoint(BaseModel):
    weeks: int
    date: datetime


class ForecastOut(BaseModel):
    items: int
    weekly_throughput: list[int] = Field(
        description="Merged pull requests per ISO week, oldest first"
    )
    simulations: int
    seed: int
    start: datetime
    completion: dict[str, ForecastPoint] = Field(description="p50, p85 and p95")
