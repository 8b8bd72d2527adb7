"""Fixtures: fake upstreams, and a real Vantage server with the gateway pointed at them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

from tests.packs.gateway.fakes import FakeBehaviour, anthropic_app, openai_app, serve
from vantage.app import create_app
from vantage.config import Settings
from vantage.core.context import CoreServices
from vantage.packs.gateway.pack import create_pack
from vantage.packs.gateway.runtime import GatewayRuntime
from vantage.packs.gateway.settings import GatewaySettings

SPECIALISTS: list[dict[str, Any]] = [
    {
        "slug": "analyst",
        "name": "Analyst",
        "system_prompt": "You are an analyst.",
        "provider": "oa",
        "model": "gpt-4o-mini",
        "parameters": {"temperature": 0.1, "max_tokens": 64},
        "fallbacks": ["an/claude-haiku-4-5"],
    },
    {
        "slug": "claude",
        "name": "Claude",
        "system_prompt": "Be brief.",
        "provider": "an",
        "model": "claude-haiku-4-5",
    },
    {
        "slug": "admins-only",
        "name": "Admins only",
        "provider": "oa",
        "model": "gpt-4o-mini",
        "allowed_roles": ["admin"],
    },
]


@dataclass
class Upstreams:
    openai: FakeBehaviour
    openai_url: str
    anthropic: FakeBehaviour
    anthropic_url: str


@pytest.fixture
async def upstreams() -> AsyncIterator[Upstreams]:
    openai_behaviour, anthropic_behaviour = FakeBehaviour(), FakeBehaviour()
    async with (
        serve(openai_app(openai_behaviour)) as openai_url,
        serve(anthropic_app(anthropic_behaviour)) as anthropic_url,
    ):
        yield Upstreams(openai_behaviour, openai_url + "/v1", anthropic_behaviour, anthropic_url)


@dataclass
class Gateway:
    """A running Vantage server with the gateway pack."""

    url: str
    app: FastAPI

    @property
    def runtime(self) -> GatewayRuntime:
        core: CoreServices = self.app.state.core
        return core.runtimes.get("gateway", GatewayRuntime)

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=30, **kwargs)


def write_config(path: Path, upstreams: Upstreams, **extra: Any) -> Path:
    document: dict[str, Any] = {
        "providers": [
            {
                "name": "oa",
                "kind": "openai",
                "base_url": upstreams.openai_url,
                "api_key_env": "FAKE_OPENAI_KEY",
            },
            {
                "name": "an",
                "kind": "anthropic",
                "base_url": upstreams.anthropic_url,
                "api_key_env": "FAKE_ANTHROPIC_KEY",
            },
            {"name": "simulated", "kind": "simulated", "first_token_ms": 1, "token_interval_ms": 1},
        ],
        "specialists": SPECIALISTS,
        **extra,
    }
    path.write_text(yaml.safe_dump(document))
    return path


GatewayFactory = Callable[..., contextlib.AbstractAsyncContextManager[Gateway]]


@pytest.fixture
def gateway_for(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> GatewayFactory:
    """Start Vantage (gateway pack only) on a free port; settings overrides by keyword."""
    monkeypatch.setenv("FAKE_OPENAI_KEY", "sk-fake")
    monkeypatch.setenv("FAKE_ANTHROPIC_KEY", "sk-ant-fake")

    @contextlib.asynccontextmanager
    async def run(
        database_url: str,
        upstreams: Upstreams,
        *,
        config: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        **gateway_overrides: Any,
    ) -> AsyncIterator[Gateway]:
        config_path = write_config(tmp_path / "gateway.yaml", upstreams, **(config or {}))
        values: dict[str, Any] = {
            "config": config_path,
            "max_retries": 1,
            "retry_backoff_seconds": 0.01,
            "read_timeout_seconds": 5,
            "usage_flush_interval_seconds": 0.02,
            "usage_replay_interval_seconds": 0.2,
            "disconnect_drain_seconds": 2,
            "stream_shutdown_grace_seconds": 2,
            "usage_spool_dir": tmp_path / "spool",
            "user_requests_per_minute": 0,
            "user_tokens_per_minute": 0,
            "api_key_requests_per_minute": 0,
            "api_key_tokens_per_minute": 0,
        }
        values.update(gateway_overrides)
        pack = create_pack(GatewaySettings(_env_file=None, **values))
        app = create_app(make_settings(database_url=database_url, **(settings or {})), packs=[pack])
        async with serve(app, lifespan="on") as url:
            yield Gateway(url, app)

    return run
