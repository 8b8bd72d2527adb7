"""The versioned pricing table: USD per 1M input / output / cached-input tokens by model.

Entries match the upstream model name by regular expression (whole name, case-insensitive) and
hold between ``effective_from`` (inclusive) and ``effective_to`` (exclusive). When several match
a moment, the latest ``effective_from`` wins, then the earlier entry (the operator's file comes
before the shipped defaults). A model nothing matches has no cost: its usage is flagged unpriced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vantage.packs.gateway.domain.config_file import ConfigError

PER_TOKENS = Decimal(1_000_000)
COST_QUANTUM = Decimal("0.000000001")
NANO = Decimal(1_000_000_000)
DEFAULT_PRICING_RESOURCE = "pricing.yaml"


class PriceEntry(BaseModel):
    """One row of the table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = Field(min_length=1, max_length=300)
    effective_from: date = date(2000, 1, 1)
    effective_to: date | None = None
    input_per_1m: Decimal = Field(ge=0)
    output_per_1m: Decimal = Field(ge=0)
    cached_input_per_1m: Decimal | None = Field(default=None, ge=0)
    source: str = "defaults"

    @field_validator("match")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"invalid regular expression {value!r}: {error}") from error
        return value


class PricingDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=64)
    models: list[PriceEntry]


@dataclass(frozen=True)
class Cost:
    """What one request cost; ``usd`` is None when the model is not priced."""

    usd: Decimal | None
    entry: PriceEntry | None

    @property
    def unpriced(self) -> bool:
        return self.entry is None


def _starts(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class PricingTable:
    """Looks up the price of a model at a moment and computes the cost of a request."""

    def __init__(self, version: str, entries: list[PriceEntry]) -> None:
        self.version = version
        self.entries = entries
        self._compiled = [(re.compile(entry.match, re.IGNORECASE), entry) for entry in entries]
        self._memo: dict[tuple[str, date], PriceEntry | None] = {}

    def price(self, model: str, at: datetime) -> PriceEntry | None:
        """The entry in force for ``model`` at ``at`` (None when unpriced)."""
        key = (model, at.astimezone(UTC).date())
        if key in self._memo:
            return self._memo[key]
        best: PriceEntry | None = None
        for pattern, entry in self._compiled:
            if not pattern.fullmatch(model) or not self._in_force(entry, at):
                continue
            if best is None or entry.effective_from > best.effective_from:
                best = entry
        if len(self._memo) > 10_000:
            self._memo.clear()
        self._memo[key] = best
        return best

    @staticmethod
    def _in_force(entry: PriceEntry, at: datetime) -> bool:
        if at < _starts(entry.effective_from):
            return False
        return entry.effective_to is None or at < _starts(entry.effective_to)

    def cost(
        self, model: str, at: datetime, *, input_tokens: int, output_tokens: int, cached_tokens: int
    ) -> Cost:
        """The cost of a request; cached input tokens are a subset of ``input_tokens``."""
        entry = self.price(model, at)
        if entry is None:
            return Cost(usd=None, entry=None)
        return Cost(usd=cost_of(entry, input_tokens, output_tokens, cached_tokens), entry=entry)


def cost_of(
    entry: PriceEntry, input_tokens: int, output_tokens: int, cached_tokens: int
) -> Decimal:
    """USD for the given token counts under ``entry``."""
    cached = min(max(cached_tokens, 0), max(input_tokens, 0))
    fresh = max(input_tokens, 0) - cached
    cached_price = (
        entry.cached_input_per_1m if entry.cached_input_per_1m is not None else entry.input_per_1m
    )
    total = (
        fresh * entry.input_per_1m
        + cached * cached_price
        + max(output_tokens, 0) * entry.output_per_1m
    ) / PER_TOKENS
    return total.quantize(COST_QUANTUM)


def to_nano(usd: Decimal | None) -> int:
    """Whole nano-dollars (rounded) of an amount; 0 for None."""
    return 0 if usd is None else int((usd * NANO).to_integral_value())


def from_nano(nano: int) -> Decimal:
    return (Decimal(nano) / NANO).quantize(COST_QUANTUM)


def _parse(document: Any, source: str) -> PricingDocument:
    try:
        parsed = PricingDocument.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        raise ConfigError(f"pricing {source}: {problems}") from error
    parsed.models = [entry.model_copy(update={"source": source}) for entry in parsed.models]
    return parsed


def _read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"pricing {source} is not valid YAML: {error}") from error


def default_pricing() -> PricingDocument:
    """The table shipped with Vantage."""
    text = resources.files("vantage.packs.gateway.data").joinpath(DEFAULT_PRICING_RESOURCE)
    return _parse(_read_yaml(text.read_text(encoding="utf-8"), "defaults"), "defaults")


def load_pricing(path: Path | None, *, include_defaults: bool = True) -> PricingTable:
    """The operator's file (if any) ahead of the shipped defaults (unless excluded)."""
    defaults = default_pricing()
    if path is None:
        return PricingTable(defaults.version, defaults.models)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read pricing file {path}: {error}") from error
    own = _parse(_read_yaml(text, str(path)), "file")
    entries = own.models + (defaults.models if include_defaults else [])
    version = f"{own.version}+defaults.{defaults.version}" if include_defaults else own.version
    return PricingTable(version, entries)
