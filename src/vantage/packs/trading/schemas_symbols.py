"""Request and response models of the tracked symbols."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from vantage.packs.trading.ingest.events import Symbol


class TrackSymbol(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbol: Symbol


class TrackedSymbolOut(BaseModel):
    symbol: str
    added_at: datetime
    added_by: str | None


class TrackedSymbols(BaseModel):
    data: list[TrackedSymbolOut]
