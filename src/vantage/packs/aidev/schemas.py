"""Request and response models of the aidev pack (money as decimal strings, UTC with Z)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from vantage.core.decimals import PlainDecimal
from vantage.core.pagination import Page
from vantage.core.text import Line
from vantage.core.windows import WindowOut

Status = Literal["good", "warn", "bad", "no_data", "unavailable", "withheld"]


class RejectedRecord(BaseModel):
    """A record that was not stored, where it was (index or line) and why."""

    position: int = Field(description="0-based index in the batch, or 1-based line of a file")
    reason: str


class IngestResult(BaseModel):
    accepted: int = Field(description="Requests stored by this call")
    duplicates: int = Field(description="Requests already stored (or repeated in the batch)")
    rejected: int
    ignored: int = Field(description="Spans that are not LLM requests (tool calls, chains)")
    unpriced: int = Field(description="Stored requests whose model has no price")
    errors: list[RejectedRecord]
    data_as_of: datetime


class AliasIn(BaseModel):
    alias: Line = Field(min_length=1, max_length=320, description="E-mail, user or key owner")
    developer: Line = Field(min_length=1, max_length=320)


class AliasBatchIn(BaseModel):
    aliases: list[AliasIn] = Field(min_length=1, max_length=1000)


class AliasList(BaseModel):
    data: list[AliasIn]


class SessionRead(BaseModel):
    id: int
    session_key: str | None = Field(description="The sender's session id; null when cut by gaps")
    developer: str
    repository: str | None
    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    requests: int
    failed: int
    tokens: int
    input_tokens: int
    output_tokens: int
    cost_usd: PlainDecimal
    unpriced: int
    models: list[str]


SessionPage = Page[SessionRead]


class TraceRead(BaseModel):
    request_id: str
    source: str
    started_at: datetime
    ended_at: datetime | None
    model: str
    provider: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: PlainDecimal | None
    cost_source: str
    failed: bool
    latency_ms: int | None
    suggestions_shown: int
    suggestions_accepted: int
    rating: int | None


class LinkedPullRequestOut(BaseModel):
    repository: str
    number: int
    title: str
    author: str | None
    state: str
    opened_at: datetime
    merged_at: datetime | None


class LinkedCommitOut(BaseModel):
    repository: str
    sha: str
    subject: str
    authored_at: datetime


class DeliveryLinks(BaseModel):
    """Pull requests and commits of the same developer and repository in the session window."""

    status: Literal["linked", "unavailable"]
    reason: str | None = None
    pull_requests: list[LinkedPullRequestOut] | None = None
    commits: list[LinkedCommitOut] | None = None


class SessionDetail(SessionRead):
    requests_detail: list[TraceRead]
    requests_truncated: bool
    delivery: DeliveryLinks


class ProfileTotals(BaseModel):
    requests: int
    failed: int
    tokens: int
    cost_usd: PlainDecimal
    unpriced: int
    sessions: int
    active_days: int


class ModelUsage(BaseModel):
    model: str
    requests: int
    tokens: int
    cost_usd: PlainDecimal


class RepositoryActivity(BaseModel):
    repository: str
    sessions: int
    requests: int
    last_active_at: datetime


class SessionsOnDate(BaseModel):
    date: date
    sessions: int
    requests: int


class ProfileOut(BaseModel):
    developer: str
    window: WindowOut
    totals: ProfileTotals
    top_models: list[ModelUsage]
    repositories: list[RepositoryActivity]
    sessions_by_date: list[SessionsOnDate]


class Trend(BaseModel):
    previous: float | None
    change: float | None = Field(description="value - previous")
    direction: Literal["up", "down", "flat"] | None


class ModelAccuracy(BaseModel):
    model: str
    value: float | None
    responses_with_feedback: int
    positive: int


class Kpi(BaseModel):
    key: str
    name: str
    value: float | None
    unit: str
    status: Status
    trend: Trend | None = None
    reason: str | None = None
    by_model: list[ModelAccuracy] | None = None


class MetricsOut(BaseModel):
    window: WindowOut
    previous_window: WindowOut
    active_developers: int
    kpis: list[Kpi]
    data_as_of: datetime


class DaySeries(BaseModel):
    date: date
    requests: int
    active_developers: int
    velocity: float | None
    suggestions_shown: int
    suggestions_accepted: int
    acceptance_rate: float | None
    failed: int
    error_rate: float | None
    with_feedback: int
    positive: int
    tokens: int
    cost_usd: PlainDecimal
    merged_pull_requests: int | None = Field(
        default=None, description="Pull requests merged that day; null without the delivery pack"
    )
    commits: int | None = Field(default=None, description="Commits authored that day")
    committers: int | None = Field(default=None, description="Named developers who committed")
    commit_frequency: float | None = Field(
        default=None, description="Commits of named developers / committers"
    )


class RawMetricsOut(BaseModel):
    window: WindowOut
    withheld: bool
    reason: str | None = None
    days: list[DaySeries]
    data_as_of: datetime


class CorrelationOut(BaseModel):
    usage: str
    outcome: str
    lag_days: int
    method: Literal["pearson", "spearman"]
    n: int
    r: float
    p: float
    q: float


class AnomalyOut(BaseModel):
    series: str
    date: date
    value: float
    median: float
    mad: float
    robust_z: float
    direction: Literal["spike", "drop"]


class RecommendationOut(BaseModel):
    rule: str
    severity: Literal["info", "warn", "bad"]
    message: str
    evidence: dict[str, float | str]


class InsightsOut(BaseModel):
    window: WindowOut
    max_lag_days: int
    withheld: bool
    reason: str | None = None
    tests: int
    findings: list[CorrelationOut]
    correlations: list[CorrelationOut]
    anomalies: list[AnomalyOut]
    recommendations: list[RecommendationOut]
    data_as_of: datetime


@dataclass(frozen=True)
class SessionFilters:
    """What a session listing is narrowed to."""

    developer: str | None = None
    model: str | None = None
    repository: str | None = None
    start: datetime | None = None
    end: datetime | None = None
