"""The OpenAI chat completions wire format: request parsing and response/chunk rendering.

Only text chat is served: tools, function calls, several choices, log-probabilities and
non-text content parts are refused with a 422 naming the field, never silently dropped.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vantage.core.errors import ValidationFailed
from vantage.core.openapi_schema import Documented
from vantage.core.text import Line
from vantage.packs.gateway.providers.base import ChatMessage
from vantage.packs.gateway.schemas import ChatTarget
from vantage.packs.gateway.service.accounting import FinalUsage
from vantage.packs.gateway.service.routing import ChatInput

UNSUPPORTED_FIELDS = (
    "tools",
    "tool_choice",
    "functions",
    "function_call",
    "logprobs",
    "top_logprobs",
    "audio",
    "modalities",
    "prediction",
)


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None
    name: str | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


def _unsupported_stay_empty(schema: dict[str, Any]) -> None:
    """Other OpenAI fields are ignored, except those asking for more than text chat: empty only."""
    for name in UNSUPPORTED_FIELDS:
        schema["properties"][name] = {"enum": [None, [], False]}


class ChatCompletionRequest(BaseModel):
    """The subset of ``POST /v1/chat/completions`` the gateway serves."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_unsupported_stay_empty)

    model: Annotated[ChatTarget, Field(min_length=1, max_length=300)]
    messages: Annotated[list[OpenAIMessage], Field(min_length=1)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    top_p: Annotated[float | None, Field(gt=0, le=1)] = None
    max_tokens: Annotated[int | None, Field(ge=1, le=200_000)] = None
    max_completion_tokens: Annotated[int | None, Field(ge=1, le=200_000)] = None
    stop: str | list[str] | None = None
    user: Annotated[Line | None, Field(max_length=256)] = None
    n: Annotated[int, Documented(const=1)] | None = None

    @model_validator(mode="after")
    def _supported(self) -> ChatCompletionRequest:
        extras = self.model_extra or {}
        for name in UNSUPPORTED_FIELDS:
            if extras.get(name) not in (None, [], False):
                raise ValueError(f"{name!r} is not supported by this gateway (text chat only)")
        if self.n not in (None, 1):
            raise ValueError("only n=1 is supported")
        return self

    @property
    def include_usage(self) -> bool:
        return bool(self.stream and self.stream_options and self.stream_options.include_usage)


def _text_of(message: OpenAIMessage, index: int) -> str:
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    texts = []
    for part in message.content:
        if part.type != "text" or part.text is None:
            raise ValidationFailed.field(
                ("body", "messages", index, "content"), "only text content parts are supported"
            )
        texts.append(part.text)
    return "".join(texts)


def to_chat_input(body: ChatCompletionRequest, session_id: str | None) -> ChatInput:
    """The gateway's view of an OpenAI request: system texts apart, then the turns."""
    system: list[str] = []
    turns: list[ChatMessage] = []
    for index, message in enumerate(body.messages):
        text = _text_of(message, index)
        if message.role in ("system", "developer"):
            system.append(text)
        elif message.role in ("user", "assistant"):
            turns.append(ChatMessage(role=message.role, content=text))
        else:
            raise ValidationFailed.field(
                ("body", "messages", index, "role"), "tool messages are not supported"
            )
    if not turns:
        raise ValidationFailed.field(("body", "messages"), "add at least one user message")
    stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    return ChatInput(
        model=body.model,
        messages=tuple(turns),
        system="\n\n".join(system) or None,
        temperature=body.temperature,
        max_tokens=body.max_completion_tokens or body.max_tokens,
        top_p=body.top_p,
        stop=stop,
        end_user=body.user,
        session_id=session_id,
    )


def usage_json(usage: FinalUsage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
    }


def completion_json(
    request_id: str, model: str, text: str, finish_reason: str | None, usage: FinalUsage
) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    return {
        "id": f"chatcmpl-{request_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": openai_finish_reason(finish_reason),
            }
        ],
        "usage": usage_json(usage),
    }


def openai_finish_reason(reason: str | None) -> str:
    """Anthropic's stop reasons in OpenAI's words."""
    if reason in (None, "end_turn", "stop_sequence", "stop"):
        return "stop"
    if reason in ("max_tokens", "length"):
        return "length"
    return reason if reason in ("content_filter", "tool_calls") else "stop"


class ChunkWriter:
    """Renders ``chat.completion.chunk`` data lines for one stream."""

    def __init__(self, request_id: str, model: str, include_usage: bool) -> None:
        self._prefix = {
            "id": f"chatcmpl-{request_id}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }
        self._include_usage = include_usage

    def _chunk(self, choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> str:
        body: dict[str, Any] = {**self._prefix, "choices": choices}
        if self._include_usage:
            body["usage"] = usage
        return json.dumps(body, separators=(",", ":"))

    def role(self) -> str:
        return self._chunk(
            [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
        )

    def delta(self, text: str) -> str:
        return self._chunk([{"index": 0, "delta": {"content": text}, "finish_reason": None}])

    def finish(self, reason: str | None) -> str:
        return self._chunk(
            [{"index": 0, "delta": {}, "finish_reason": openai_finish_reason(reason)}]
        )

    def usage(self, usage: FinalUsage) -> str | None:
        """The final usage chunk, only when the client asked for it."""
        if not self._include_usage:
            return None
        return self._chunk([], usage_json(usage))


def openai_error(message: str, kind: str, code: str | None) -> dict[str, Any]:
    """OpenAI's error object (``{"error": {...}}``), which OpenAI clients read."""
    return {"message": message, "type": kind, "param": None, "code": code}
