"""The gateway's YAML file: named providers, specialists and spend budgets.

``VANTAGE_GATEWAY_CONFIG`` names it; ``data/gateway.example.yaml`` is a commented sample. Without
a file, a development server offers the ``simulated`` provider alone so the demo works offline.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
PROVIDER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
ROUTE_PATTERN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})/(\S{1,200})$")
ROLES = ("viewer", "analyst", "admin")
SIMULATED_PROVIDER = "simulated"


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderConfig(_Strict):
    """One upstream: its kind, where it lives and how to reach it."""

    name: Annotated[str, Field(pattern=PROVIDER_NAME_PATTERN)]
    kind: Literal["openai", "anthropic", "simulated"]
    base_url: str | None = None
    # The *name* of the environment variable holding the key, never the key itself.
    api_key_env: str | None = None
    connect_timeout_seconds: float | None = Field(default=None, gt=0)
    read_timeout_seconds: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0, le=10)
    # Direct routing (`name/model`) accepts only these models when the list is given.
    models: tuple[str, ...] = ()
    # OpenAI kind: ask for the final usage chunk in streams (turn off for servers that reject
    # `stream_options`; their streamed usage is then estimated and flagged).
    include_usage: bool = True
    # Simulated provider only: the shape of its fake traffic.
    first_token_ms: float = Field(default=40.0, ge=0)
    token_interval_ms: float = Field(default=8.0, ge=0)
    failure_rate: float = Field(default=0.0, ge=0, le=1)


class SpecialistParameters(_Strict):
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=200_000)
    top_p: float | None = Field(default=None, gt=0, le=1)


class SpecialistConfig(_Strict):
    """A specialist declared in the file (kept in sync with the database at start)."""

    slug: Annotated[str, Field(pattern=SLUG_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    system_prompt: str = ""
    provider: Annotated[str, Field(pattern=PROVIDER_NAME_PATTERN)]
    model: Annotated[str, Field(min_length=1, max_length=200)]
    parameters: SpecialistParameters = SpecialistParameters()
    fallbacks: tuple[str, ...] = ()
    allowed_roles: tuple[Literal["viewer", "analyst", "admin"], ...] = ()
    tenant: str = "default"

    @field_validator("fallbacks")
    @classmethod
    def _routes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for route in value:
            if not ROUTE_PATTERN.match(route):
                raise ValueError(f"fallback {route!r} must look like provider/model")
        return value


class BudgetConfig(_Strict):
    """A spend ceiling per tenant or per user over a calendar day or month (UTC)."""

    scope: Literal["tenant", "user"]
    period: Literal["day", "month"]
    limit_usd: Decimal = Field(gt=0)


class GatewayConfig(_Strict):
    providers: tuple[ProviderConfig, ...] = ()
    specialists: tuple[SpecialistConfig, ...] = ()
    budgets: tuple[BudgetConfig, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> GatewayConfig:
        names = [provider.name for provider in self.providers]
        duplicates = {name for name in names if names.count(name) > 1}
        if duplicates:
            raise ValueError(f"providers named more than once: {', '.join(sorted(duplicates))}")
        for specialist in self.specialists:
            routes = [specialist.provider, *(r.split("/", 1)[0] for r in specialist.fallbacks)]
            unknown = [name for name in routes if name not in names]
            if unknown:
                raise ValueError(
                    f"specialist {specialist.slug!r} names unknown provider(s) {unknown}"
                )
        keys = [(s.tenant, s.slug) for s in self.specialists]
        if len(keys) != len(set(keys)):
            raise ValueError("a specialist slug appears twice for one tenant")
        budget_keys = [(b.scope, b.period) for b in self.budgets]
        if len(budget_keys) != len(set(budget_keys)):
            raise ValueError("at most one budget per scope and period")
        return self


def builtin_config() -> GatewayConfig:
    """What a server without a file offers: the simulated provider only."""
    return GatewayConfig(providers=(ProviderConfig(name=SIMULATED_PROVIDER, kind="simulated"),))


def parse_config(document: Any, source: str = "config") -> GatewayConfig:
    """Validate a loaded YAML document; a ``ConfigError`` names every problem."""
    if document is None:
        document = {}
    try:
        return GatewayConfig.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or '(root)'}: {item['msg']}"
            for item in error.errors()
        )
        raise ConfigError(f"{source}: {problems}") from error


def load_config(path: Path | None, *, production: bool) -> GatewayConfig:
    """The file at ``path``; without one, the built-in config (none at all in production)."""
    if path is None:
        return GatewayConfig() if production else builtin_config()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read gateway config {path}: {error}") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"gateway config {path} is not valid YAML: {error}") from error
    return parse_config(document, str(path))
