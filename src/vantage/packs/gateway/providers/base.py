"""What every provider speaks: one request shape, one completion, one stream of events.

Token counts follow one convention whatever the upstream: ``input_tokens`` counts every prompt
token (cached ones included) and ``cached_tokens`` is the part read from the provider's cache.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]
ErrorKind = Literal[
    "rate_limited", "server", "timeout", "connection", "auth", "not_found", "bad_request"
]
RETRYABLE_KINDS: frozenset[str] = frozenset({"rate_limited", "server", "timeout", "connection"})
# Errors that say "this upstream cannot serve it" rather than "this request is wrong".
FALLBACK_KINDS: frozenset[str] = RETRYABLE_KINDS | {"auth", "not_found"}


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class ProviderRequest:
    """A chat call as the upstream receives it (system prompt already separated)."""

    model: str
    messages: tuple[ChatMessage, ...]
    system: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()


@dataclass
class Usage:
    """Token counts as the upstream reported them (None: not reported yet)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None

    @property
    def complete(self) -> bool:
        return self.input_tokens is not None and self.output_tokens is not None


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Usage
    finish_reason: str | None
    upstream_id: str | None = None


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class UsageReport:
    """Counts seen in a stream; each present field replaces the previous value (never adds).

    Anthropic's ``message_delta.usage.output_tokens`` is cumulative, OpenAI's usage chunk is
    final: overwriting is right for both.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None


@dataclass(frozen=True)
class Finish:
    reason: str | None


StreamEvent = TextDelta | UsageReport | Finish


class ProviderError(Exception):
    """An upstream failure, classified so the caller can retry, fall back or give up."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.provider: str | None = None  # set by the registry, which knows who failed

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS

    @property
    def allows_fallback(self) -> bool:
        return self.kind in FALLBACK_KINDS


def kind_for_status(status: int) -> ErrorKind:
    """Classify an upstream HTTP status."""
    if status == 429:
        return "rate_limited"
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server"
    return "bad_request"


@dataclass(frozen=True)
class ProviderInfo:
    """What ``GET /providers`` shows about a provider's configuration."""

    name: str
    kind: str
    base_url: str | None
    credentials: Literal["present", "missing", "not_required"]
    models: tuple[str, ...] = field(default_factory=tuple)


class ChatProvider(Protocol):
    """One upstream. ``stream`` yields events; closing the iterator closes the upstream call."""

    info: ProviderInfo
    connect_timeout: float
    read_timeout: float
    max_retries: int

    async def complete(self, request: ProviderRequest) -> Completion: ...

    def stream(self, request: ProviderRequest) -> AsyncGenerator[StreamEvent, None]: ...

    async def aclose(self) -> None: ...
