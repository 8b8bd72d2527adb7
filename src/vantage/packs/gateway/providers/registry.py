"""The named providers of one process, built from the config file, with passive health.

Health is learned from real traffic: after ``unhealthy_after_failures`` consecutive upstream
failures a provider is marked unhealthy for a cooldown; routing then tries it last. Each process
keeps its own view (it describes what this process saw), reported by ``GET /providers``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog

from vantage.core.db import utcnow
from vantage.packs.gateway.domain.config_file import GatewayConfig, ProviderConfig
from vantage.packs.gateway.domain.token_counter import TokenCounter
from vantage.packs.gateway.providers.base import ChatProvider, ProviderError, ProviderInfo
from vantage.packs.gateway.providers.errors import redact
from vantage.packs.gateway.providers.simulated import SimulatedProvider
from vantage.packs.gateway.settings import GatewaySettings

logger = structlog.get_logger("vantage.gateway.providers")


@dataclass
class ProviderHealth:
    """What this process has seen of one provider."""

    requests: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str | None = None
    unhealthy_until: float = 0.0

    @property
    def healthy(self) -> bool:
        return time.monotonic() >= self.unhealthy_until


class ProviderRegistry:
    """Providers by name and their health."""

    def __init__(
        self, providers: Mapping[str, ChatProvider], *, failure_threshold: int, cooldown: float
    ) -> None:
        self.providers = dict(providers)
        self.health = {name: ProviderHealth() for name in providers}
        self._threshold = failure_threshold
        self._cooldown = cooldown

    def get(self, name: str) -> ChatProvider | None:
        return self.providers.get(name)

    def is_healthy(self, name: str) -> bool:
        health = self.health.get(name)
        return health is None or health.healthy

    def record_success(self, name: str) -> None:
        health = self.health[name]
        health.requests += 1
        health.consecutive_failures = 0
        health.unhealthy_until = 0.0
        health.last_success_at = utcnow()

    def record_failure(self, name: str, error: ProviderError) -> None:
        """Count an upstream-side failure (a rejected request says nothing about health)."""
        health = self.health[name]
        health.requests += 1
        error.provider = name
        # The upstream's own words stay in the log (redacted): every tenant reads /providers.
        logger.warning(
            "provider failed", provider=name, kind=error.kind, status=error.status,
            upstream_message=redact(error.message),
        )  # fmt: skip
        if error.kind == "bad_request":
            return
        health.failures += 1
        health.consecutive_failures += 1
        health.last_failure_at = utcnow()
        health.last_error = f"upstream_{error.kind}"
        if health.consecutive_failures >= self._threshold:
            health.unhealthy_until = time.monotonic() + self._cooldown

    async def aclose(self) -> None:
        for provider in self.providers.values():
            await provider.aclose()


def _credentials(config: ProviderConfig, environ: Mapping[str, str]) -> tuple[str | None, str]:
    if config.kind == "simulated" or not config.api_key_env:
        return None, "not_required"
    key = environ.get(config.api_key_env)
    return key, "present" if key else "missing"


def build_provider(
    config: ProviderConfig,
    settings: GatewaySettings,
    tokens: TokenCounter,
    environ: Mapping[str, str],
) -> ChatProvider:
    """One provider from its config entry."""
    api_key, credentials = _credentials(config, environ)
    info = ProviderInfo(
        name=config.name,
        kind=config.kind,
        base_url=config.base_url,
        credentials=credentials,  # type: ignore[arg-type]
        models=config.models,
    )
    connect = config.connect_timeout_seconds or settings.connect_timeout_seconds
    read = config.read_timeout_seconds or settings.read_timeout_seconds
    retries = settings.max_retries if config.max_retries is None else config.max_retries
    # Each vendor SDK takes seconds to import (anthropic's about three): only a process whose
    # config names that kind of provider loads it, so the CLI and the demo start quickly.
    if config.kind == "openai":
        from vantage.packs.gateway.providers.openai_provider import OpenAIProvider

        return OpenAIProvider(
            info,
            api_key=api_key,
            connect_timeout=connect,
            read_timeout=read,
            max_retries=retries,
            include_usage=config.include_usage,
        )
    if config.kind == "anthropic":
        from vantage.packs.gateway.providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider(
            info,
            api_key=api_key,
            connect_timeout=connect,
            read_timeout=read,
            max_retries=retries,
            default_max_tokens=settings.default_max_tokens,
        )
    return SimulatedProvider(
        info,
        tokens=tokens,
        first_token_ms=config.first_token_ms,
        token_interval_ms=config.token_interval_ms,
        failure_rate=config.failure_rate,
        connect_timeout=connect,
        read_timeout=read,
        max_retries=retries,
    )


def build_registry(
    config: GatewayConfig,
    settings: GatewaySettings,
    tokens: TokenCounter,
    environ: Mapping[str, str] | None = None,
) -> ProviderRegistry:
    """Every provider the config declares."""
    env = os.environ if environ is None else environ
    providers = {p.name: build_provider(p, settings, tokens, env) for p in config.providers}
    return ProviderRegistry(
        providers,
        failure_threshold=settings.unhealthy_after_failures,
        cooldown=settings.unhealthy_cooldown_seconds,
    )
