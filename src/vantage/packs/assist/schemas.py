"""Request and response models of the assist pack."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from vantage.core.openapi_schema import exactly_one_of, keys_by_pattern
from vantage.core.pagination import PaginationMeta
from vantage.core.text import Line, Text
from vantage.core.windows import WindowOut
from vantage.packs.assist.search.memory import Kind as SearchKind
from vantage.packs.assist.sql.catalog import ColumnType
from vantage.packs.assist.sql.parsing import Dialect


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SqlRequest(_Strict):
    """A query to validate; the dialect defaults to the database's own."""

    sql: str = Field(description="One SQL statement (at most VANTAGE_ASSIST_MAX_SQL_BYTES)")
    dialect: Dialect | None = Field(default=None, description="postgres or sqlite")


class FindingOut(BaseModel):
    code: str
    severity: Literal["error", "warning"]
    message: str
    line: int
    column: int
    subject: str | None = None
    suggestions: list[str] = Field(default_factory=list)


class SqlValidationOut(BaseModel):
    valid: bool
    level: Literal["syntax", "semantics"]
    dialect: Dialect
    findings: list[FindingOut]
    tables: list[str]
    normalized_sql: str | None = Field(
        description="The query as it would run (re-generated from its tree), when valid"
    )


class QueryRequest(_Strict):
    sql: str = Field(description="One read-only query over the analytics views")
    max_rows: int | None = Field(default=None, ge=1, description="At most the pack's row cap")
    timeout_ms: int | None = Field(default=None, ge=10, description="At most the pack's limit")


class QueryOut(BaseModel):
    columns: list[str]
    rows: list[list[JsonValue]]
    row_count: int
    truncated: bool = Field(description="More rows matched than were returned")
    elapsed_ms: float
    dialect: Dialect
    executed_sql: str
    warnings: list[FindingOut]


class FieldSpec(_Strict):
    name: Line = Field(min_length=1, max_length=128)
    type: ColumnType
    required: bool = True
    nullable: bool = True


class DataStructureRequest(_Strict):
    """Records to check against a view's columns or an explicit list of fields."""

    model_config = ConfigDict(json_schema_extra=exactly_one_of("view", "fields"))

    data: JsonValue = Field(description="One object or a list of objects")
    view: Line | None = Field(default=None, max_length=128)
    fields: list[FieldSpec] | None = Field(default=None, max_length=500)
    allow_extra_fields: bool = False


class DataFindingOut(BaseModel):
    code: str
    path: str
    message: str


class DataStructureOut(BaseModel):
    valid: bool
    records: int
    findings: list[DataFindingOut]


Outcome = Literal["success", "error", "corrected", "rejected"]


class FeedbackIn(_Strict):
    """How one question's SQL went: its outcome and, when it was fixed, the fix."""

    question: Text = Field(min_length=1, max_length=4000)
    sql: Text = Field(min_length=1)
    dialect: Dialect | None = None
    outcome: Outcome
    error_message: Text | None = Field(default=None, max_length=4000)
    corrected_sql: Text | None = Field(default=None, min_length=1)
    corrections: list[Text] = Field(default_factory=list, max_length=20)
    rating: int | None = Field(default=None, ge=1, le=5)


class LearningEntryOut(BaseModel):
    id: int
    created_at: datetime
    question: str
    sql: str
    dialect: Dialect
    outcome: Outcome
    error_message: str | None
    corrected_sql: str | None
    corrections: list[str]
    rating: int | None


class SimilarEntryOut(BaseModel):
    id: int
    score: float = Field(description="Cosine similarity of question and SQL, -1..1")
    question: str
    sql: str
    outcome: Outcome
    corrected_sql: str | None


class FeedbackOut(BaseModel):
    entry: LearningEntryOut
    similar: list[SimilarEntryOut] = Field(description="Earlier entries most like this one")


class LearningMemoryPage(BaseModel):
    data: list[LearningEntryOut]
    pagination: PaginationMeta


class RepairOut(BaseModel):
    kind: str
    description: str


class HealingSuggestionOut(BaseModel):
    sql: str
    source: Literal["repair", "memory"]
    repairs: list[RepairOut]
    entry_id: int | None = Field(default=None, description="The learning entry it came from")


class HealingOut(BaseModel):
    dialect: Dialect
    valid: bool = Field(description="Whether the query as sent already validates")
    findings: list[FindingOut]
    suggestions: list[HealingSuggestionOut] = Field(
        description="Repaired queries, each of which validates"
    )


Finite = Annotated[float, Field(allow_inf_nan=False)]
Name = Annotated[Line, Field(min_length=1, max_length=128)]


class PredictionIn(_Strict):
    """One prediction; ``prediction_id`` is its natural key within the model."""

    model: Name
    prediction_id: Name
    predicted_at: AwareDatetime
    predicted_label: Line | None = Field(default=None, max_length=128)
    predicted_value: Finite | None = None
    score: Finite | None = None
    features: dict[Annotated[Line, Field(max_length=128)], Finite] = Field(
        default_factory=dict, max_length=200, json_schema_extra=keys_by_pattern
    )
    latency_ms: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    failed: bool = False


class PredictionBatchIn(_Strict):
    predictions: list[PredictionIn] = Field(min_length=1, max_length=5000)


class PredictionBatchOut(BaseModel):
    received: int
    inserted: int
    duplicates: int = Field(description="Already recorded (same model and prediction_id)")


class OutcomeIn(_Strict):
    model: Name
    prediction_id: Name
    actual_label: Line | None = Field(default=None, max_length=128)
    actual_value: Finite | None = None
    observed_at: AwareDatetime | None = None


class OutcomeBatchIn(_Strict):
    outcomes: list[OutcomeIn] = Field(min_length=1, max_length=5000)


class OutcomeBatchOut(BaseModel):
    updated: int
    unknown: list[str] = Field(description="prediction_ids with no recorded prediction")


class PredictionOut(BaseModel):
    model: str
    prediction_id: str
    predicted_at: datetime
    predicted_label: str | None
    predicted_value: float | None
    score: float | None
    features: dict[str, float]
    latency_ms: float | None
    failed: bool
    actual_label: str | None
    actual_value: float | None
    outcome_at: datetime | None


class PredictionPage(BaseModel):
    data: list[PredictionOut]
    pagination: PaginationMeta


class LatencyOut(BaseModel):
    p50: float | None
    p95: float | None
    mean: float | None


class FeatureDriftOut(BaseModel):
    feature: str
    psi: float | None = Field(description="Population stability index, current vs baseline")
    ks_statistic: float | None
    ks_p_value: float | None
    baseline_count: int
    current_count: int


class ModelPerformanceOut(BaseModel):
    model: str
    predictions: int
    failed: int
    error_rate: float | None
    latency_ms: LatencyOut
    with_outcome: int
    accuracy: float | None
    positive_label: str
    precision: float | None
    recall: float | None
    mae: float | None
    rmse: float | None
    drift: list[FeatureDriftOut]


class PerformanceOut(BaseModel):
    window: WindowOut
    baseline: WindowOut = Field(description="The window drift is measured against")
    models: list[ModelPerformanceOut]


class MetricPointIn(_Strict):
    model: Name
    metric: Annotated[Line, Field(min_length=1, max_length=64)]
    day: date
    value: Finite


class MetricPointsIn(_Strict):
    points: list[MetricPointIn] = Field(min_length=1, max_length=5000)


class MetricPointsOut(BaseModel):
    stored: int


class AnomalyOut(BaseModel):
    model: str
    metric: str
    day: date
    value: float
    baseline_median: float
    mad: float
    robust_z: float | None = Field(description="null when the baseline has no spread at all")
    direction: Literal["high", "low"]


class AnomaliesOut(BaseModel):
    window: WindowOut
    series_checked: int
    anomalies: list[AnomalyOut]


class SimilarRequest(_Strict):
    """Text to embed, or a vector of the embedder's dimension (exactly one of them)."""

    model_config = ConfigDict(json_schema_extra=exactly_one_of("text", "vector"))

    text: Text | None = Field(default=None, min_length=1, max_length=10_000)
    vector: list[Finite] | None = Field(default=None, min_length=1, max_length=4096)
    k: int = Field(default=10, ge=1, le=100)
    kinds: list[SearchKind] | None = Field(
        default=None,
        min_length=1,
        max_length=3,
        description="The kinds of item to search (every kind when absent): learning_memory, "
        "work_item (GitHub issues) and pull_request (the last two need the delivery pack)",
    )


class SimilarHitOut(BaseModel):
    """One hit: its kind and id, and the fields of its kind (the others are null)."""

    kind: SearchKind
    id: int
    score: float = Field(description="Cosine similarity, -1..1")
    question: str | None = Field(default=None, description="learning_memory")
    sql: str | None = Field(default=None, description="learning_memory")
    outcome: Outcome | None = Field(default=None, description="learning_memory")
    repository: str | None = Field(default=None, description="work_item, pull_request")
    number: int | None = Field(default=None, description="work_item, pull_request")
    title: str | None = Field(default=None, description="work_item, pull_request")
    state: str | None = Field(default=None, description="work_item, pull_request")
    story_points: float | None = Field(default=None, description="work_item")


class SimilarOut(BaseModel):
    model: str
    backend: str
    dimension: int
    results: list[SimilarHitOut]


class StoryPointsRequest(_Strict):
    """A new work item to estimate."""

    title: Line = Field(min_length=1, max_length=500)
    body: Text = Field(default="", max_length=20_000)
    k: int = Field(default=5, ge=1, le=50, description="How many finished neighbours to weigh")


class StoryPointNeighbourOut(BaseModel):
    id: int
    repository: str
    number: int
    title: str
    similarity: float = Field(description="Cosine similarity to the new item, -1..1")
    story_points: float


class StoryPointsOut(BaseModel):
    story_points: float | None = Field(
        description="Similarity-weighted mean of the neighbours' points (null without history "
        "or without a neighbour similar enough)"
    )
    reason: str | None = Field(description="Why there is no estimate, when there is none")
    neighbours: list[StoryPointNeighbourOut] = Field(
        description="The finished items the estimate weighs: the k most similar that are "
        "similar enough"
    )
    loo_mae: float | None = Field(
        description="Mean absolute error of the same estimate for each finished item from the "
        "others (leave-one-out) over the tenant's history, counting the items that get an "
        "estimate; null below two items or when none gets one"
    )
    n: int = Field(description="Finished work items with story points in the tenant's history")
    k: int
    model: str


INDEX_STATE = (
    "empty (nothing to search), unloaded (no search has filled this process's indexes yet), "
    "exact (every item scanned), clustered, server (Qdrant) or database (pgvector)"
)


class MlHealthOut(BaseModel):
    status: Literal["ok"]
    model: str
    dimension: int
    backend: str
    items_loaded: int = Field(
        description="Items this process's indexes hold now, over every tenant (filled by each "
        "tenant's first search)"
    )
    index_state: str = Field(description=INDEX_STATE)


class SearchIndexOut(BaseModel):
    model: str
    dimension: int
    backend: str
    items_indexed: int = Field(description="The tenant's items a search covers")
    items_by_kind: dict[SearchKind, int] = Field(description="The tenant's items per kind")
    items_loaded: int = Field(description="The tenant's items this process's indexes hold now")
    index_state: str = Field(description=f"Of the tenant's indexes: {INDEX_STATE}")
