"""``vantage users``: the commands run against a real (SQLite) database.

These tests are synchronous on purpose: each command runs its own event loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.cli import cli_env, run_cli
from vantage.config import Settings
from vantage.core.auth.models import User
from vantage.core.auth.repository import users as user_rows
from vantage.core.auth.service.passwords import PasswordHasher
from vantage.core.db import Database

PASSWORD = "a long enough password"


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    return cli_env(sqlite_url, tmp_path)


def _user(env: dict[str, str], email: str) -> User | None:
    async def fetch() -> User | None:
        database = Database(Settings(_env_file=None, database_url=env["VANTAGE_DATABASE_URL"]))
        try:
            async with database.reader() as session:
                return await user_rows.user_by_email(session, 1, email)
        finally:
            await database.dispose()

    return asyncio.run(fetch())


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    code, out, err = run_cli(env, *args, stdin=stdin)
    return code, out + err


def test_create_list_set_role_and_disable(env: dict[str, str]) -> None:
    code, output = _run(
        env,
        "users",
        "create",
        "Ops@Example.com",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, output
    user = _user(env, "ops@example.com")
    assert user is not None and user.role == "admin" and user.active
    assert asyncio.run(PasswordHasher().verify(PASSWORD, user.password_hash))

    code, output = _run(env, "users", "list")
    assert code == 0 and "ops@example.com" in output and "admin" in output

    code, output = _run(
        env, "users", "create", "second@example.com", "--password-stdin", stdin=PASSWORD
    )
    assert code == 0, output
    code, output = _run(env, "users", "set-role", "second@example.com", "analyst")
    assert code == 0, output
    second = _user(env, "second@example.com")
    assert second is not None and second.role == "analyst" and second.token_version == 2

    code, output = _run(env, "users", "disable", "second@example.com")
    assert code == 0, output
    disabled = _user(env, "second@example.com")
    assert disabled is not None and not disabled.active and disabled.token_version == 3


def test_mistakes_are_messages_not_tracebacks(env: dict[str, str]) -> None:
    create = ("users", "create", "dup@example.com", "--password-stdin")
    assert _run(env, *create, stdin=PASSWORD)[0] == 0
    for args, stdin, message in [
        (create, PASSWORD, "already exists"),
        (("users", "create", "short@example.com", "--password-stdin"), "short", "at least"),
        (("users", "create", "not-an-email", "--password-stdin"), PASSWORD, "valid email"),
        (
            ("users", "create", "x@example.com", "--tenant", "nope", "--password-stdin"),
            PASSWORD,
            "no tenant",
        ),
        (("users", "set-role", "ghost@example.com", "admin"), None, "no user"),
        (("users", "disable", "dup@example.com", "--tenant", "nope"), None, "no tenant"),
    ]:
        code, output = _run(env, *args, stdin=stdin)
        assert code == 1, (args, output)
        assert message in output, (args, output)
        assert "Traceback" not in output


def test_a_missing_database_is_explained(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "VANTAGE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}"}
    code, output = _run(env, "users", "list")
    assert code == 1
    assert "vantage migrate" in output
