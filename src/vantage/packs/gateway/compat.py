"""The chat portal's URLs (``POST /chat/send``, ``POST /chat/stream``) answered by the gateway.

The portal names the specialist ``specialist_id`` (its slug) and the turns so far
``conversation_history``; the aliases rename those into a ``ChatRequest`` and the
``ChatResponse`` (or each server-sent event) into the portal's shape. docs/COMPAT.md lists
every field.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import QueryParams

from vantage.core.compat import CompatRoute, CompatSurface
from vantage.core.openapi_schema import exactly_one_of
from vantage.core.text import Line
from vantage.packs.gateway.domain.config_file import SLUG_PATTERN
from vantage.packs.gateway.schemas import ChatTarget, HistoryMessage, Prompt

SYSTEM = "Chat portal"
_KEPT = ("model", "message", "temperature", "max_tokens", "session_id")


class PortalChatRequest(BaseModel):
    """The portal's request body (documentation of the aliases): a ``ChatRequest`` renamed.

    Other fields are ignored.
    """

    model_config = ConfigDict(
        extra="allow", json_schema_extra=exactly_one_of("specialist_id", "model")
    )

    specialist_id: Annotated[
        str | None, Field(pattern=SLUG_PATTERN, description="The specialist's slug")
    ] = None
    model: Annotated[ChatTarget | None, Field(min_length=3, max_length=300)] = None
    message: Prompt
    conversation_history: list[HistoryMessage] = []
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    max_tokens: Annotated[int | None, Field(ge=1, le=200_000)] = None
    session_id: Annotated[Line | None, Field(max_length=128)] = None


def chat_request(body: Any) -> Any:
    """The gateway's ``ChatRequest`` for a portal request body."""
    if not isinstance(body, dict):
        return body  # the route refuses it with its own 422
    request = {key: body[key] for key in _KEPT if key in body}
    if "specialist_id" in body:
        request["specialist"] = body["specialist_id"]
    if "conversation_history" in body:
        request["history"] = body["conversation_history"]
    return request


def _tokens(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {"input": input_tokens, "output": output_tokens, "total": input_tokens + output_tokens}


def portal_answer(value: dict[str, Any], query: QueryParams) -> dict[str, Any]:
    """The portal's answer for a ``ChatResponse``."""
    return {
        "content": value["content"],
        "specialist_id": value["specialist_slug"],
        "specialist_name": value["specialist_name"],
        "provider": value["provider"],
        "model": value["model"],
        "tokens": _tokens(value["input_tokens"], value["output_tokens"]),
        "cost": value["estimated_cost_usd"],
        "latency_ms": value["latency_ms"],
        "request_id": value["request_id"],
    }


def portal_error(problem: Any) -> dict[str, Any]:
    """The portal's error body: ``detail`` as FastAPI writes it, with Vantage's code."""
    return {
        "detail": problem.get("detail") or problem.get("title", ""),
        "code": problem.get("code", "INTERNAL"),
        "request_id": problem.get("request_id"),
    }


def portal_event(event: str, data: Any) -> tuple[str, Any] | None:
    """The portal's server-sent event for one event of ``/api/v1/chat/stream``."""
    if event == "chunk":
        return "chunk", {"content": data["delta"]}
    if event == "done":
        return "done", {
            "provider": data["provider"],
            "model": data["model"],
            "tokens": _tokens(data["input_tokens"], data["output_tokens"]),
            "cost": data["cost_usd"],
            "latency_ms": data["latency_ms"],
            "request_id": data["request_id"],
        }
    if event == "error":
        return "error", portal_error(data)
    return event, data


COMPAT = CompatSurface(
    system=SYSTEM,
    routes=(
        CompatRoute(
            "/chat/send",
            "/api/v1/chat/send",
            method="POST",
            body=chat_request,
            answer=portal_answer,
            error=portal_error,
            body_model=PortalChatRequest,
        ),
        CompatRoute(
            "/chat/stream",
            "/api/v1/chat/stream",
            method="POST",
            body=chat_request,
            events=portal_event,
            error=portal_error,
            body_model=PortalChatRequest,
        ),
    ),
)
