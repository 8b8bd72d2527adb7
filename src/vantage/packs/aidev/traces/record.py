"""The one shape every trace format is read into, and the values parsers share."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Source = Literal["litellm", "spendlogs", "otel_genai", "openinference"]
MAX_KEY_LENGTH = 200
MAX_NAME_LENGTH = 300
MAX_TOKENS = 10**12


class TraceRejected(ValueError):
    """A record that cannot be read as an LLM request; the message says why."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who sent a request, as the trace names them (resolved to a developer at ingest)."""

    email: str | None = None
    user: str | None = None
    api_key_owner: str | None = None

    def candidates(self) -> list[tuple[str, str]]:
        """(source, alias) pairs in the order they identify a developer."""
        found = [("email", self.email), ("user", self.user), ("api_key", self.api_key_owner)]
        return [(source, value) for source, value in found if value]


@dataclass(frozen=True, slots=True)
class Feedback:
    """What the developer did with the response (suggestions shown/accepted, a rating)."""

    shown: int = 0
    accepted: int = 0
    rating: int | None = None

    @property
    def given(self) -> bool:
        return self.shown > 0 or self.rating is not None

    @property
    def positive(self) -> bool:
        return self.accepted > 0 or (self.rating is not None and self.rating > 0)


@dataclass(frozen=True, slots=True)
class TraceRecord:
    """One LLM request in the pack's terms, whatever format it came in."""

    request_id: str
    source: Source
    started_at: datetime
    model: str
    ended_at: datetime | None = None
    trace_id: str | None = None
    identity: Identity = Identity()
    session_key: str | None = None
    repository: str | None = None
    provider: str | None = None
    operation: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: Decimal | None = None
    failed: bool = False
    feedback: Feedback = Feedback()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def latency_ms(self) -> int | None:
        if self.ended_at is None:
            return None
        return max(0, round((self.ended_at - self.started_at).total_seconds() * 1000))


def text_of(value: Any, limit: int = MAX_NAME_LENGTH) -> str | None:
    """A non-empty string (numbers are written out), else None; over-long values are refused."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text: str = value.strip()
    if len(text) > limit:
        raise TraceRejected(f"value {text[:40]!r}... is longer than {limit} characters")
    return text


def tokens_of(value: Any, name: str) -> int:
    """A token count: a non-negative whole number (absent counts are 0)."""
    if value is None:
        return 0
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOKENS:
        raise TraceRejected(f"{name} must be a non-negative whole number, got {value!r}")
    return value


def cost_of(value: Any, name: str) -> Decimal | None:
    """A USD amount from the trace, or None when the trace carries none."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise TraceRejected(f"{name} is not a number: {value!r}") from error
    if not amount.is_finite() or amount < 0 or amount >= Decimal(10**9):
        raise TraceRejected(f"{name} must be a finite amount >= 0, got {value!r}")
    return amount


def epoch_seconds_to_utc(value: Any, name: str) -> datetime:
    """A UTC datetime from seconds since the epoch."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TraceRejected(f"{name} must be seconds since the epoch, got {value!r}")
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise TraceRejected(f"{name} is out of range: {value!r}") from error


def iso_to_utc(value: Any, name: str) -> datetime:
    """A UTC datetime from an ISO 8601 string (naive means UTC) or epoch seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch_seconds_to_utc(value, name)
    if not isinstance(value, str):
        raise TraceRejected(f"{name} must be an ISO 8601 datetime, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise TraceRejected(f"{name} is not an ISO 8601 datetime: {value!r}") from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def rating_of(value: Any) -> int | None:
    """A rating as -1, 0 or +1: numbers by sign, or positive/negative words."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 1 if value else -1
    if isinstance(value, int | float):
        return (value > 0) - (value < 0)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in {"positive", "good", "up", "thumbs_up", "like", "helpful"}:
            return 1
        if word in {"negative", "bad", "down", "thumbs_down", "dislike", "unhelpful"}:
            return -1
        if word in {"neutral", "0"}:
            return 0
    raise TraceRejected(f"rating must be a number, a boolean or positive/negative, got {value!r}")


def feedback_of(shown: Any, accepted: Any, accepted_flag: Any, rating: Any) -> Feedback:
    """Feedback from counts (or a single accepted flag, meaning one suggestion shown)."""
    shown_count = tokens_of(shown, "suggestions shown")
    accepted_count = tokens_of(accepted, "suggestions accepted")
    if isinstance(accepted_flag, bool):
        shown_count = max(shown_count, 1)
        accepted_count = max(accepted_count, int(accepted_flag))
    if accepted_count > shown_count:
        raise TraceRejected("more suggestions accepted than shown")
    return Feedback(shown_count, accepted_count, rating_of(rating))
