"""Request and response models of the gateway's REST API (``/api/v1/...``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vantage.core.decimals import PlainDecimal
from vantage.core.openapi_schema import Documented, exactly_one_of
from vantage.core.text import Line, Text
from vantage.core.windows import WindowOut
from vantage.packs.gateway.domain.config_file import (
    PROVIDER_NAME_PATTERN,
    ROUTE_PATTERN,
    SLUG_PATTERN,
)

RoleName = Literal["viewer", "analyst", "admin"]
Route = Annotated[Line, Documented(pattern=ROUTE_PATTERN.pattern)]
"""A ``provider/model`` route, as fallbacks name them."""
ChatTarget = Annotated[
    Line, Documented(pattern=f"^(?:specialist:{SLUG_PATTERN[1:-1]}|{ROUTE_PATTERN.pattern[1:-1]})$")
]
"""What a chat names: ``specialist:<slug>`` or a ``provider/model`` route."""
Prompt = Annotated[Text, Field(min_length=1)]


def _check_routes(value: list[str] | None) -> list[str] | None:
    for route in value or []:
        if not ROUTE_PATTERN.match(route):
            raise ValueError(f"fallback {route!r} must look like provider/model")
    return value


class SpecialistFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Line, Field(min_length=1, max_length=200)]
    description: Annotated[Text, Field(max_length=2000)] = ""
    system_prompt: Annotated[Text, Field(max_length=100_000)] = ""
    provider: Annotated[str, Field(pattern=PROVIDER_NAME_PATTERN)]
    model: Annotated[Line, Field(min_length=1, max_length=200)]
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    max_tokens: Annotated[int | None, Field(ge=1, le=200_000)] = None
    top_p: Annotated[float | None, Field(gt=0, le=1)] = None
    fallbacks: Annotated[list[Route], Field(max_length=5)] = []
    allowed_roles: list[RoleName] = []
    active: bool = True

    _routes = field_validator("fallbacks")(_check_routes)


class SpecialistCreate(SpecialistFields):
    slug: Annotated[str, Field(pattern=SLUG_PATTERN)]


class SpecialistUpdate(BaseModel):
    """Fields to change; absent ones stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Line | None, Field(min_length=1, max_length=200)] = None
    description: Annotated[Text | None, Field(max_length=2000)] = None
    system_prompt: Annotated[Text | None, Field(max_length=100_000)] = None
    provider: Annotated[str | None, Field(pattern=PROVIDER_NAME_PATTERN)] = None
    model: Annotated[Line | None, Field(min_length=1, max_length=200)] = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    max_tokens: Annotated[int | None, Field(ge=1, le=200_000)] = None
    top_p: Annotated[float | None, Field(gt=0, le=1)] = None
    fallbacks: Annotated[list[Route] | None, Field(max_length=5)] = None
    allowed_roles: list[RoleName] | None = None
    active: bool | None = None

    _routes = field_validator("fallbacks")(_check_routes)


class SpecialistRead(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    system_prompt: str
    provider: str
    model: str
    temperature: float | None
    max_tokens: int | None
    top_p: float | None
    fallbacks: list[str]
    allowed_roles: list[str]
    source: Literal["api", "config"]
    active: bool
    created_at: datetime
    updated_at: datetime


class HistoryMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: Prompt


class ChatRequest(BaseModel):
    """Send a message to a specialist (or a routed model) with the conversation so far."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=exactly_one_of("specialist", "model")
    )

    specialist: Annotated[str | None, Field(pattern=SLUG_PATTERN)] = None
    model: Annotated[ChatTarget | None, Field(min_length=3, max_length=300)] = None
    message: Prompt
    history: list[HistoryMessage] = []
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    max_tokens: Annotated[int | None, Field(ge=1, le=200_000)] = None
    session_id: Annotated[Line | None, Field(max_length=128)] = None

    @model_validator(mode="after")
    def _one_target(self) -> ChatRequest:
        if (self.specialist is None) == (self.model is None):
            raise ValueError("name either a specialist or a model (provider/model)")
        return self

    @property
    def route(self) -> str:
        return f"specialist:{self.specialist}" if self.specialist else str(self.model)


class ChatResponse(BaseModel):
    content: str
    specialist_id: int | None
    specialist_slug: str | None
    specialist_name: str | None
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    estimated_cost_usd: PlainDecimal | None
    unpriced: bool
    estimated: bool
    latency_ms: int
    request_id: str
    finish_reason: str | None


class ProviderStatus(BaseModel):
    name: str
    kind: str
    base_url: str | None
    credentials: Literal["present", "missing", "not_required"]
    models: list[str]
    healthy: bool
    requests: int
    failures: int
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None


class ProviderList(BaseModel):
    data: list[ProviderStatus]


class PriceRead(BaseModel):
    match: str
    effective_from: date
    effective_to: date | None
    input_per_1m: PlainDecimal
    output_per_1m: PlainDecimal
    cached_input_per_1m: PlainDecimal | None
    source: str


class PricingRead(BaseModel):
    version: str
    currency: Literal["USD"] = "USD"
    unit: Literal["1M tokens"] = "1M tokens"
    data: list[PriceRead]


class UsageRead(BaseModel):
    request_id: str
    created_at: datetime
    user_hash: str | None
    api_key_id: int | None
    specialist_id: int | None
    specialist_slug: str | None
    provider: str
    model: str
    endpoint: str
    streamed: bool
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cost_usd: PlainDecimal | None
    unpriced: bool
    estimated: bool
    latency_ms: int
    ttft_ms: int | None
    status: str
    error_code: str | None
    attempts: int
    session_id: str | None


class UsageTotals(BaseModel):
    key: str
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cost_usd: PlainDecimal
    avg_latency_ms: float
    estimated_requests: int
    unpriced_requests: int


class UsageSummary(BaseModel):
    group_by: Literal["day", "model", "provider", "specialist", "user"]
    window: WindowOut
    totals: UsageTotals
    data: list[UsageTotals]
    data_as_of: datetime | None
