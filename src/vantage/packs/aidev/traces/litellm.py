"""LiteLLM: the StandardLoggingPayload its loggers receive, and rows of its SpendLogs table.

Feedback travels in the request metadata LiteLLM passes through (``requester_metadata`` of the
payload, ``metadata`` of a SpendLogs row): ``suggestions_shown``, ``suggestions_accepted``,
``accepted`` (one suggestion) and ``rating``. A repository is named by ``repository``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from vantage.packs.aidev.traces.record import (
    MAX_KEY_LENGTH,
    Feedback,
    Identity,
    TraceRecord,
    TraceRejected,
    cost_of,
    epoch_seconds_to_utc,
    feedback_of,
    iso_to_utc,
    text_of,
    tokens_of,
)

# Mapped into columns, or bulky request/response content that is not ours to keep.
PAYLOAD_KEYS_READ = frozenset(
    {
        "id",
        "litellm_call_id",
        "trace_id",
        "session_id",
        "startTime",
        "endTime",
        "status",
        "custom_llm_provider",
        "model",
        "metadata",
        "response_cost",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "end_user",
        "call_type",
        "model_parameters",
        "messages",
        "response",
        "hidden_params",
        "model_map_information",
        "error_information",
        "cost_breakdown",
        "status_fields",
        "error_str",
    }
)
SPENDLOG_KEYS_READ = frozenset(
    {
        "request_id",
        "session_id",
        "startTime",
        "endTime",
        "status",
        "custom_llm_provider",
        "model",
        "metadata",
        "spend",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "end_user",
        "user",
        "call_type",
        "messages",
        "response",
        "proxy_server_request",
        "api_key",
    }
)
EMPTY: Mapping[str, Any] = {}


def is_standard_logging_payload(record: Mapping[str, Any]) -> bool:
    """True for a LiteLLM StandardLoggingPayload."""
    if "litellm_call_id" in record:
        return True
    return "call_type" in record and "startTime" in record and "response_cost" in record


def is_spend_log(record: Mapping[str, Any]) -> bool:
    """True for a row of LiteLLM's SpendLogs table."""
    return "request_id" in record and "spend" in record


def _mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object, also when exported as text (SpendLogs CSV exports do that)."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return EMPTY
    return value if isinstance(value, Mapping) else EMPTY


def _model_name(model: Any, provider: str | None) -> str:
    """The model without LiteLLM's ``provider/`` routing prefix."""
    name = text_of(model)
    if name is None:
        raise TraceRejected("the record names no model")
    if provider and name.lower().startswith(provider.lower() + "/"):
        return name[len(provider) + 1 :]
    return name


def _feedback(metadata: Mapping[str, Any]) -> Feedback:
    return feedback_of(
        metadata.get("suggestions_shown"),
        metadata.get("suggestions_accepted"),
        metadata.get("accepted"),
        metadata.get("rating"),
    )


def _email(*values: Any) -> str | None:
    for value in values:
        text = text_of(value)
        if text and "@" in text:
            return text.lower()
    return None


def _extra(record: Mapping[str, Any], read: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in read}


def parse_standard_logging_payload(record: Mapping[str, Any]) -> TraceRecord:
    """One StandardLoggingPayload; ``litellm_call_id`` is the request's natural key."""
    request_id = text_of(record.get("litellm_call_id") or record.get("id"), MAX_KEY_LENGTH)
    if request_id is None:
        raise TraceRejected("the payload has no litellm_call_id")
    metadata = _mapping(record.get("metadata"))
    requester = _mapping(metadata.get("requester_metadata"))
    provider = text_of(record.get("custom_llm_provider"), 100)
    usage = _mapping(metadata.get("usage_object"))
    cached = _mapping(usage.get("prompt_tokens_details")).get("cached_tokens")
    end_user = record.get("end_user") or metadata.get("user_api_key_end_user_id")
    ended = record.get("endTime")
    return TraceRecord(
        request_id=request_id,
        source="litellm",
        started_at=epoch_seconds_to_utc(record.get("startTime"), "startTime"),
        ended_at=None if ended is None else epoch_seconds_to_utc(ended, "endTime"),
        trace_id=text_of(record.get("trace_id"), MAX_KEY_LENGTH),
        model=_model_name(record.get("model"), provider),
        provider=provider,
        operation=text_of(record.get("call_type"), 100),
        identity=Identity(
            email=_email(metadata.get("user_api_key_user_email"), end_user),
            user=text_of(end_user, 320)
            or text_of(_mapping(record.get("model_parameters")).get("user"), 320),
            api_key_owner=text_of(metadata.get("user_api_key_user_id"), 320)
            or text_of(metadata.get("user_api_key_alias"), 320),
        ),
        session_key=text_of(record.get("session_id"), MAX_KEY_LENGTH)
        or text_of(requester.get("session_id"), MAX_KEY_LENGTH),
        repository=text_of(requester.get("repository") or metadata.get("repository")),
        input_tokens=tokens_of(record.get("prompt_tokens"), "prompt_tokens"),
        output_tokens=tokens_of(record.get("completion_tokens"), "completion_tokens"),
        cached_tokens=tokens_of(cached, "cached_tokens"),
        cost_usd=cost_of(record.get("response_cost"), "response_cost"),
        failed=record.get("status") == "failure",
        feedback=_feedback(requester),
        extra=_extra(record, PAYLOAD_KEYS_READ),
    )


def parse_spend_log(record: Mapping[str, Any]) -> TraceRecord:
    """One SpendLogs row; ``request_id`` is its natural key and ``user`` the key's owner."""
    request_id = text_of(record.get("request_id"), MAX_KEY_LENGTH)
    if request_id is None:
        raise TraceRejected("the row has no request_id")
    metadata = _mapping(record.get("metadata"))
    provider = text_of(record.get("custom_llm_provider"), 100)
    end_user = record.get("end_user")
    ended = record.get("endTime")
    return TraceRecord(
        request_id=request_id,
        source="spendlogs",
        started_at=iso_to_utc(record.get("startTime"), "startTime"),
        ended_at=None if ended is None else iso_to_utc(ended, "endTime"),
        model=_model_name(record.get("model"), provider),
        provider=provider,
        operation=text_of(record.get("call_type"), 100),
        identity=Identity(
            email=_email(metadata.get("user_api_key_user_email"), end_user),
            user=text_of(end_user, 320),
            api_key_owner=text_of(record.get("user"), 320)
            or text_of(metadata.get("user_api_key_user_id"), 320),
        ),
        session_key=text_of(record.get("session_id"), MAX_KEY_LENGTH)
        or text_of(metadata.get("session_id"), MAX_KEY_LENGTH),
        repository=text_of(metadata.get("repository")),
        input_tokens=tokens_of(record.get("prompt_tokens"), "prompt_tokens"),
        output_tokens=tokens_of(record.get("completion_tokens"), "completion_tokens"),
        cost_usd=cost_of(record.get("spend"), "spend"),
        failed=record.get("status") == "failure",
        feedback=_feedback(metadata),
        extra=_extra(record, SPENDLOG_KEYS_READ),
    )
