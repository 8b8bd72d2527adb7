"""OpenTelemetry spans (OTLP JSON or protobuf) read as LLM requests.

Two conventions are understood: the OpenTelemetry GenAI semantic conventions, with current
attribute names (``gen_ai.usage.input_tokens``, ``gen_ai.provider.name``) and their deprecated
predecessors (``gen_ai.usage.prompt_tokens``, ``gen_ai.system``), and OpenInference
(``llm.token_count.prompt``, ``llm.model_name``, ``session.id``). A span with neither a model
nor token counts (a tool call, a chain step) is not an LLM request and is ignored.
Feedback is read from ``aidev.suggestions.shown``, ``aidev.suggestions.accepted``,
``aidev.suggestion.accepted`` and ``aidev.feedback.rating``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vantage.packs.aidev.traces.record import (
    MAX_KEY_LENGTH,
    Identity,
    Source,
    TraceRecord,
    TraceRejected,
    cost_of,
    feedback_of,
    text_of,
    tokens_of,
)

STATUS_ERROR = 2
NANOS = 1_000_000_000

# Each field: the attribute names that carry it, the preferred one first.
MODEL = ("gen_ai.response.model", "gen_ai.request.model", "llm.model_name")
PROVIDER = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
INPUT_TOKENS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")
OUTPUT_TOKENS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
)
CACHED_TOKENS = (
    "gen_ai.usage.cache_read.input_tokens",
    "llm.token_count.prompt_details.cache_read",
)
OPERATION = ("gen_ai.operation.name", "openinference.span.kind")
SESSION = ("session.id", "gen_ai.conversation.id")
USER = ("user.id", "enduser.id", "gen_ai.user.id")
EMAIL = ("user.email",)
API_KEY_OWNER = ("aidev.api_key.owner",)
REPOSITORY = ("vcs.repository.name", "vcs.repository.url.full", "aidev.repository")
COST = ("llm.cost.total", "gen_ai.usage.cost")
SHOWN = ("aidev.suggestions.shown",)
ACCEPTED = ("aidev.suggestions.accepted",)
ACCEPTED_FLAG = ("aidev.suggestion.accepted",)
RATING = ("aidev.feedback.rating",)
ALL_READ = frozenset(
    name
    for group in (
        MODEL,
        PROVIDER,
        INPUT_TOKENS,
        OUTPUT_TOKENS,
        CACHED_TOKENS,
        OPERATION,
        SESSION,
        USER,
        EMAIL,
        API_KEY_OWNER,
        REPOSITORY,
        COST,
        SHOWN,
        ACCEPTED,
        ACCEPTED_FLAG,
        RATING,
    )
    for name in group
)
LLM_MARKERS = (*MODEL, *INPUT_TOKENS, *OUTPUT_TOKENS)


@dataclass(frozen=True, slots=True)
class Span:
    """A span as OTLP carries it, with attributes flattened to Python values."""

    trace_id: str
    span_id: str
    name: str
    start_unix_nano: int
    end_unix_nano: int
    status_code: int
    attributes: dict[str, Any]
    resource: dict[str, Any] = field(default_factory=dict)


def _first(attributes: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = attributes.get(name)
        if value is not None and value != "":
            return value
    return None


def is_llm_span(span: Span) -> bool:
    """True when the span records an LLM request (a model or token counts)."""
    if span.attributes.get("openinference.span.kind") == "LLM":
        return True
    return any(span.attributes.get(name) is not None for name in LLM_MARKERS)


def _source(attributes: Mapping[str, Any]) -> Source:
    openinference = any(key.startswith(("llm.", "openinference.")) for key in attributes)
    return "openinference" if openinference else "otel_genai"


def _time(nanos: int, name: str) -> datetime:
    if nanos <= 0:
        raise TraceRejected(f"span {name} is missing")
    return datetime.fromtimestamp(nanos / NANOS, tz=UTC)


def span_to_record(span: Span) -> TraceRecord:
    """One LLM span; trace id and span id together are its natural key."""
    attributes = span.attributes
    if not span.span_id or not span.trace_id:
        raise TraceRejected("the span has no traceId/spanId")
    model = text_of(_first(attributes, MODEL), 200)
    if model is None:
        raise TraceRejected(f"span {span.span_id} names no model ({MODEL[0]} / {MODEL[-1]})")
    email = text_of(_first(attributes, EMAIL), 320)
    started = _time(span.start_unix_nano, "startTimeUnixNano")
    return TraceRecord(
        request_id=text_of(span.trace_id + span.span_id, MAX_KEY_LENGTH) or span.span_id,
        source=_source(attributes),
        started_at=started,
        ended_at=_time(span.end_unix_nano, "endTimeUnixNano") if span.end_unix_nano else None,
        trace_id=span.trace_id,
        model=model,
        provider=text_of(_first(attributes, PROVIDER), 100),
        operation=text_of(_first(attributes, OPERATION), 100),
        identity=Identity(
            email=email.lower() if email else None,
            user=text_of(_first(attributes, USER), 320),
            api_key_owner=text_of(_first(attributes, API_KEY_OWNER), 320),
        ),
        session_key=text_of(_first(attributes, SESSION), MAX_KEY_LENGTH),
        repository=text_of(_first(attributes, REPOSITORY))
        or text_of(_first(span.resource, REPOSITORY)),
        input_tokens=tokens_of(_first(attributes, INPUT_TOKENS), "input tokens"),
        output_tokens=tokens_of(_first(attributes, OUTPUT_TOKENS), "output tokens"),
        cached_tokens=tokens_of(_first(attributes, CACHED_TOKENS), "cached tokens"),
        cost_usd=cost_of(_first(attributes, COST), "cost"),
        failed=span.status_code == STATUS_ERROR or "error.type" in attributes,
        feedback=feedback_of(
            _first(attributes, SHOWN),
            _first(attributes, ACCEPTED),
            _first(attributes, ACCEPTED_FLAG),
            _first(attributes, RATING),
        ),
        extra=_extra(span),
    )


def _extra(span: Span) -> dict[str, Any]:
    extra: dict[str, Any] = {k: v for k, v in span.attributes.items() if k not in ALL_READ}
    extra["span.name"] = span.name
    if span.resource:
        extra["resource"] = span.resource
    return extra


# --- OTLP JSON -------------------------------------------------------------------------------


def _any_value(value: Any) -> Any:
    """An OTLP JSON AnyValue as a Python value (64-bit integers arrive as strings)."""
    if not isinstance(value, Mapping):
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError) as error:
            raise TraceRejected(f"intValue {value['intValue']!r} is not an integer") from error
    if "doubleValue" in value:
        return value["doubleValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "arrayValue" in value:
        return [_any_value(item) for item in _list(value["arrayValue"], "values")]
    if "kvlistValue" in value:
        return _json_attributes(_list(value["kvlistValue"], "values"))
    return None


def _list(node: Any, key: str) -> list[Any]:
    items = node.get(key, []) if isinstance(node, Mapping) else None
    if not isinstance(items, list):
        raise TraceRejected(f"{key} must be a list")
    return items


def _json_attributes(items: list[Any]) -> dict[str, Any]:
    found = {}
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("key"), str):
            found[item["key"]] = _any_value(item.get("value"))
    return found


def _nanos(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError) as error:
        raise TraceRejected(f"timestamp {value!r} is not a number of nanoseconds") from error


def _json_span(node: Any, resource: dict[str, Any]) -> Span:
    if not isinstance(node, Mapping):
        raise TraceRejected("a span must be an object")
    status = node.get("status")
    code = status.get("code", 0) if isinstance(status, Mapping) else 0
    return Span(
        trace_id=str(node.get("traceId") or "").lower(),
        span_id=str(node.get("spanId") or "").lower(),
        name=str(node.get("name") or ""),
        start_unix_nano=_nanos(node.get("startTimeUnixNano")),
        end_unix_nano=_nanos(node.get("endTimeUnixNano")),
        status_code=2 if code in (2, "STATUS_CODE_ERROR") else int(code in (1, "STATUS_CODE_OK")),
        attributes=_json_attributes(_list(node, "attributes")),
        resource=resource,
    )


def json_spans(document: Mapping[str, Any]) -> Iterator[Span | TraceRejected]:
    """Every span of an OTLP JSON ExportTraceServiceRequest (a bad span yields its reason)."""
    for resource_spans in _list(document, "resourceSpans"):
        resource = _json_attributes(_list(resource_spans.get("resource", {}), "attributes"))
        for scope_spans in _list(resource_spans, "scopeSpans"):
            for node in _list(scope_spans, "spans"):
                try:
                    yield _json_span(node, resource)
                except TraceRejected as error:
                    yield error


def is_otlp_json(record: Mapping[str, Any]) -> bool:
    """True for an OTLP JSON ExportTraceServiceRequest."""
    return "resourceSpans" in record
