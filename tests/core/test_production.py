"""Production mode refuses configurations and data that must never serve real traffic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import update

from tests.conftest import ClientFactory
from vantage.config import Settings
from vantage.core.auth.models import User
from vantage.core.db import Database
from vantage.core.demo import DEMO_ADMIN_EMAIL, ensure_demo_admin
from vantage.core.production import UnsafeProductionError

SettingsFactory = Callable[..., Settings]


@pytest.mark.parametrize("env", ["development", "production"])
def test_wildcard_cors_with_credentials_is_refused(
    make_settings: SettingsFactory, env: str
) -> None:
    with pytest.raises(ValidationError, match="cannot be combined with"):
        make_settings(env=env, cors_origins="*")
    with pytest.raises(ValidationError, match="cannot be combined with"):
        make_settings(env=env, cors_origins=["https://app.example", "*"])


def test_wildcard_cors_without_credentials_is_allowed(make_settings: SettingsFactory) -> None:
    settings = make_settings(cors_origins="*", cors_allow_credentials=False)
    assert settings.cors_origins == ["*"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rate_limit_default": "lots"}, "expected one limit"),
        ({"rate_limit_default": "1/second;10/minute"}, "expected one limit"),
        ({"rate_limits": "ingest=100/minute;search"}, "name=value pairs"),
        ({"rate_limits": "Ingest=100/minute"}, "rate-limit group"),
        ({"forwarded_allow_ips": "10.0.0.0/8,proxy.internal"}, "not an IP or CIDR"),
        ({"max_body_bytes_by_path": "/upload=0"}, "bytes >= 1"),
        ({"max_body_bytes_by_path": "upload=10"}, "/path/prefix"),
    ],
)
def test_malformed_guard_settings_are_refused(
    make_settings: SettingsFactory, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        make_settings(**overrides)


def test_guard_settings_parse_from_environment_strings(make_settings: SettingsFactory) -> None:
    settings = make_settings(
        rate_limits="ingest=6000/minute; search=10/5 seconds",
        forwarded_allow_ips="10.0.0.0/8, 192.0.2.7",
        max_body_bytes_by_path="/api/v1/commerce/import=52428800",
    )
    assert settings.rate_limits == {"ingest": "6000/minute", "search": "10/5 seconds"}
    assert settings.forwarded_allow_ips == ["10.0.0.0/8", "192.0.2.7"]
    assert settings.max_body_bytes_by_path == {"/api/v1/commerce/import": 52428800}


def test_docs_default_follows_the_environment(make_settings: SettingsFactory) -> None:
    assert make_settings().docs_available
    assert not make_settings(env="production").docs_available
    assert make_settings(env="production", docs_enabled=True).docs_available
    assert not make_settings(docs_enabled=False).docs_available


async def _add_demo_admin(make_settings: SettingsFactory, database_url: str) -> Database:
    settings = make_settings(database_url=database_url)
    database = Database(settings)
    await ensure_demo_admin(settings, database)
    return database


async def test_production_refuses_to_start_with_demo_users(
    client_for: ClientFactory, make_settings: SettingsFactory, database_url: str
) -> None:
    database = await _add_demo_admin(make_settings, database_url)
    await database.dispose()
    with pytest.raises(UnsafeProductionError, match=DEMO_ADMIN_EMAIL):
        async with client_for(database_url, env="production"):
            pass
    # The same data is fine outside production.
    async with client_for(database_url) as client:
        assert (await client.get("/health/live")).status_code == 200


async def test_production_starts_once_demo_users_are_deactivated(
    client_for: ClientFactory, make_settings: SettingsFactory, database_url: str
) -> None:
    database = await _add_demo_admin(make_settings, database_url)
    async with database.transaction() as session:
        await session.execute(update(User).where(User.is_demo.is_(True)).values(active=False))
    await database.dispose()
    async with client_for(database_url, env="production") as client:
        assert (await client.get("/health/live")).status_code == 200
