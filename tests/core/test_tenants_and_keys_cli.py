"""``vantage tenants`` and ``vantage api-keys`` against a real (SQLite) database.

Synchronous like the commands: each runs its own event loop. The keys the CLI prints are then
presented to a running app, which must see the tenant and scopes they were created with.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.support.auth import api_key_headers
from tests.support.cli import cli_env, run_cli
from vantage.app import create_app
from vantage.config import Settings
from vantage.core.auth.repository import tenants as tenant_rows
from vantage.core.db import Database

PASSWORD = "a long enough password"
KEY_LINE = re.compile(r"^vk_[a-z0-9]+_\S+$", re.MULTILINE)


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    return cli_env(sqlite_url, tmp_path)


def _tenant_slugs(env: dict[str, str]) -> list[str]:
    async def fetch() -> list[str]:
        database = Database(Settings(_env_file=None, database_url=env["VANTAGE_DATABASE_URL"]))
        try:
            async with database.reader() as session:
                rows = await tenant_rows.tenants_with_user_counts(session)
                return [tenant.slug for tenant, _ in rows]
        finally:
            await database.dispose()

    return asyncio.run(fetch())


def _me(env: dict[str, str], key: str) -> tuple[int, dict[str, object]]:
    """``GET /api/v1/auth/me`` with the key, answered by an app on the same database."""

    async def ask() -> tuple[int, dict[str, object]]:
        settings = Settings(
            _env_file=None,
            database_url=env["VANTAGE_DATABASE_URL"],
            data_dir=env["VANTAGE_DATA_DIR"],
            jwt_secret=TEST_SECRET,
            log_level="WARNING",
        )
        app = create_app(settings, packs=[])
        async with app.router.lifespan_context(app):
            import httpx

            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                response = await client.get("/api/v1/auth/me", headers=api_key_headers(key))
                body = response.json() if response.status_code == 200 else {}
                return response.status_code, body

    return asyncio.run(ask())


def test_a_new_tenant_gets_its_own_admin_and_keys(env: dict[str, str]) -> None:
    code, _, err = run_cli(env, "tenants", "create", "acme", "--name", "Acme Corp")
    assert code == 0, err
    code, out, err = run_cli(env, "tenants", "list")
    assert code == 0, err
    assert "acme" in out and "Acme Corp" in out and "default" in out

    code, _, err = run_cli(
        env, "users", "create", "boss@acme.example", "--role", "admin", "--tenant", "acme",
        "--password-stdin", stdin=PASSWORD,
    )  # fmt: skip
    assert code == 0, err

    code, out, err = run_cli(
        env, "api-keys", "create", "ingest-bot", "--scope", "ingest", "--scope", "read",
        "--tenant", "acme",
    )  # fmt: skip
    assert code == 0, err
    # Standard output holds the key alone, so scripts can capture it.
    assert KEY_LINE.fullmatch(out.strip()), out
    key = out.strip()
    assert key not in err

    status, me = _me(env, key)
    assert status == 200
    assert me["kind"] == "api_key" and me["scopes"] == ["ingest", "read"]
    assert me["tenant_id"] != 1  # not the default tenant's

    code, out, err = run_cli(env, "api-keys", "list", "--tenant", "acme")
    assert code == 0, err
    assert "ingest-bot" in out and "active" in out
    assert key.split("_", 2)[2] not in out  # never the secret (which may hold "_")
    code, out, _ = run_cli(env, "api-keys", "list")
    assert "ingest-bot" not in out  # the default tenant has no such key


def test_revoked_keys_are_refused(env: dict[str, str]) -> None:
    code, out, err = run_cli(env, "api-keys", "create", "temp", "--scope", "read")
    assert code == 0, err
    key = out.strip()
    assert _me(env, key)[0] == 200
    key_id = re.search(r"API key (\d+)", err)
    assert key_id is not None, err

    code, _, err = run_cli(env, "api-keys", "revoke", key_id.group(1), "--tenant", "acme-less")
    assert code == 1 and "no tenant" in err
    code, _, err = run_cli(env, "api-keys", "revoke", key_id.group(1))
    assert code == 0, err
    assert _me(env, key)[0] == 401
    code, out, _ = run_cli(env, "api-keys", "list")
    assert "revoked" in out


def test_mistakes_are_messages_and_change_nothing(env: dict[str, str]) -> None:
    assert run_cli(env, "tenants", "create", "acme")[0] == 0
    before = _tenant_slugs(env)
    for args, message in [
        (("tenants", "create", "acme"), "already exists"),
        (("tenants", "create", "Acme!"), "lower-case letters"),
        (("tenants", "create", "acme-"), "lower-case letters"),
        (("tenants", "create", "x" * 65), "lower-case letters"),
        (("tenants", "create", "blank", "--name", "  "), "a name is"),
        (("api-keys", "create", "bot", "--scope", "read", "--tenant", "nope"), "no tenant"),
        (("api-keys", "revoke", "999"), "does not exist"),
    ]:
        code, out, err = run_cli(env, *args)
        assert code == 1, (args, out, err)
        assert message in err, (args, err)
        assert "Traceback" not in err
    assert _tenant_slugs(env) == before
    code, _, err = run_cli(env, "api-keys", "create", "bot", "--scope", "everything")
    assert code == 2 and "everything" in err  # not a scope: a usage error
    code, _, _ = run_cli(env, "api-keys", "create", "bot")
    assert code == 2  # at least one scope
