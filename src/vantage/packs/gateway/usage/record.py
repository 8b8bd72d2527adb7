"""One usage row as the gateway produces it, and its JSON form for the spool file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

UsageStatus = Literal["ok", "error", "client_disconnect", "timeout"]
Endpoint = Literal["send", "stream", "openai"]


@dataclass(frozen=True)
class UsageRecord:
    """Everything stored about one request (``request_id`` makes writes idempotent)."""

    request_id: str
    tenant_id: int
    created_at: datetime
    principal_kind: str
    provider: str
    model: str
    endpoint: Endpoint
    streamed: bool
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cost_usd: Decimal | None
    unpriced: bool
    estimated: bool
    latency_ms: int
    status: UsageStatus
    attempts: int
    user_hash: str | None = None
    api_key_id: int | None = None
    specialist_id: int | None = None
    specialist_slug: str | None = None
    ttft_ms: int | None = None
    error_code: str | None = None
    session_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (Decimal as string, datetime as ISO 8601)."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["cost_usd"] = None if self.cost_usd is None else str(self.cost_usd)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UsageRecord:
        """The inverse of ``to_json``; unknown keys (from a newer release) are ignored."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["created_at"] = datetime.fromisoformat(values["created_at"])
        cost = values.get("cost_usd")
        values["cost_usd"] = None if cost is None else Decimal(cost)
        return cls(**values)

    def row(self) -> dict[str, Any]:
        """Column values for the usage table."""
        return {name: getattr(self, name) for name in _FIELD_NAMES}


_FIELD_NAMES = tuple(f.name for f in fields(UsageRecord))
