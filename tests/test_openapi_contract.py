"""The whole API against its own OpenAPI document: schemathesis finds no failure.

A real server (every installed pack, SQLite) is driven through every operation with generated
requests, valid and invalid, as an admin and as a viewer. Every schemathesis check is on except
``positive_data_acceptance``: many parameters are validated beyond what the schema states (time
windows, cursors, sort keys, control characters, email addresses), so a request the schema
allows may rightly be a 422.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import BaseSchema, Case
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import TEST_SECRET
from tests.support.servers import running_vantage

PASSWORD = "contract-test-password"
ROLES = ("admin", "viewer")


def _env(tmp: Path) -> dict[str, str]:
    return {
        "VANTAGE_DATA_DIR": str(tmp / "data"),
        "VANTAGE_JWT_SECRET": TEST_SECRET,
        "VANTAGE_RATE_LIMIT_ENABLED": "false",
        "VANTAGE_LOG_LEVEL": "ERROR",
    }


def _create_user(env: dict[str, str], cwd: Path, role: str) -> None:
    command = [sys.executable, "-m", "vantage", "users", "create", f"{role}@contract.test"]
    subprocess.run(
        [*command, "--role", role, "--password-stdin"],
        input=PASSWORD.encode(),
        env={**_subprocess_env(), **env},
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _subprocess_env() -> dict[str, str]:
    import os

    return dict(os.environ)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A served Vantage with every installed pack; its URL and each role's access token."""
    tmp = tmp_path_factory.mktemp("contract")
    env = _env(tmp)
    with running_vantage(["serve"], env, tmp, tmp / "server.log") as (base, _, _):
        tokens = {}
        for role in ROLES:
            _create_user(env, tmp, role)
            answer = httpx.post(
                f"{base}/api/v1/auth/token",
                json={"email": f"{role}@contract.test", "password": PASSWORD},
            )
            tokens[role] = answer.json()["access_token"]
        yield base, tokens


@pytest.fixture(scope="module")
def api_schema(server: tuple[str, dict[str, str]]) -> BaseSchema:
    base, _ = server
    return schemathesis.openapi.from_url(f"{base}/openapi.json")


CONTRACT_SETTINGS = settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _failures(api_schema: BaseSchema, base: str, token: str) -> list[str]:
    """Every operation driven with generated requests; what failed, operation by operation."""
    headers = {"Authorization": f"Bearer {token}"}
    found = []
    for result in api_schema.get_all_operations():
        if not isinstance(result, Ok):
            found.append(f"the schema cannot be tested: {result.err()}")
            continue
        operation = result.ok()

        @given(case=operation.as_strategy())
        @CONTRACT_SETTINGS
        def drive(case: Case[Any]) -> None:
            case.call_and_validate(
                base_url=base, headers=headers, excluded_checks=[positive_data_acceptance]
            )

        try:
            drive()
        except (Exception, BaseExceptionGroup) as failure:  # collected: every operation reports
            found.append(f"{operation.label}: {str(failure)[:2000]}")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_conforms(
    api_schema: BaseSchema, server: tuple[str, dict[str, str]], role: str
) -> None:
    base, tokens = server
    failures = _failures(api_schema, base, tokens[role])
    assert not failures, "\n\n".join(failures)
