"""Which usage rows a caller asks for: a time window and optional exact matches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UsageFilters:
    """A window ``[start, end)`` and, for each field given, the value rows must have."""

    start: datetime
    end: datetime
    user_hash: str | None = None
    specialist: str | None = None
    provider: str | None = None
    model: str | None = None
    status: str | None = None
    endpoint: str | None = None
    estimated: bool | None = None
    api_key_id: int | None = None
