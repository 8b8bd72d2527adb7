"""The whole API against its own OpenAPI document: schemathesis finds no failure.

A real server (every installed pack, SQLite) is driven through every operation with generated
requests, valid and invalid, as an admin and as a viewer, with every schemathesis check on.

``positive_data_acceptance`` holds each request the schema allows to an answer other than 422.
The schema states what one parameter or field accepts (control characters, the accepted years,
dates, sort keys, the shape of cursors, e-mail addresses, decimals, ranges, which of two fields
must be given); a few rules are beyond JSON Schema:

- between parameters: a window's ``to`` after its ``from``, at most ``MAX_DAYS`` long, and
  ``days`` or ``from``/``to`` but not both; ``offset`` or ``cursor`` but not both;
- a cursor must be one the server signed for that list and order;
- ``BODY_RULES``: between fields of a body (an incident's end after its start, a history's
  range and interval), on the stored data (the pull requests a forecast needs, the views a
  record is checked against, an order's lifecycle) or on the configuration (the providers,
  the embedder's dimension, the row cap of a query); SQL that must pass the validator; OpenAI
  messages the gateway cannot relay; an uploaded file's emptiness.

Only operations that can answer one of these (found from their parameters, or named in
``BODY_RULES``) expect a 422 from schema-valid data, through schemathesis' per-operation
``expected-statuses``; and ``only_unstated_refusals`` then fails any such 422 that names
another reason, so the allowance covers these rules and nothing more.
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
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok

from tests.conftest import TEST_SECRET
from tests.support.servers import running_vantage

pytestmark = pytest.mark.serial

PASSWORD = "contract-test-password"
ROLES = ("admin", "viewer")
UNPROCESSABLE = 422

Rule = tuple[tuple[str, ...], str]
"""A refusal: the location it names (``*``: any item) and a fragment of its message."""

WINDOW_RULES: list[Rule] = [
    (("query", "to"), "'to' must be after 'from'"),
    (("query", "from"), "a window spans at most"),
    (("query", "days"), "use either days or from/to"),
]
CURSOR_RULES: list[Rule] = [
    (("query", "cursor"), "use either offset or cursor"),
    (("query", "cursor"), "malformed cursor"),
    (("query", "cursor"), "cursor is invalid for this list and order"),
]
_PROVIDERS: list[Rule] = [(("body", "provider"), "unknown provider")]
_CHAT: list[Rule] = [(("body", "model"), "unknown provider")]
BODY_RULES: dict[str, list[Rule]] = {
    "POST /api/v1/ai/validate/data-structure": [(("body", "view"), "unknown view")],
    "POST /api/v1/ai/query": [(("body", "sql"), ""), (("body", "max_rows"), "at most")],
    "POST /api/v1/search/similar": [(("body", "vector"), "dimensions")],
    "POST /api/v1/delivery/incidents": [
        (("body", "incidents", "*", "restored_at"), "must not be before created_at"),
        (("body", "incidents", "*", "resolved_at"), "must not be before created_at"),
    ],
    "POST /api/v1/delivery/forecast": [(("body", "history_weeks"), "no pull request merged")],
    "POST /api/v1/specialists": _PROVIDERS,
    "PATCH /api/v1/specialists/{specialist_id}": _PROVIDERS,
    "POST /api/v1/chat/send": _CHAT,
    "POST /api/v1/chat/stream": _CHAT,
    "POST /v1/chat/completions": [
        *_CHAT,
        (("body", "messages", "*", "role"), "tool messages are not supported"),
        (("body", "messages", "*", "content"), "only text content parts are supported"),
        (("body", "messages"), "add at least one user message"),
    ],
    "POST /api/v1/trading/metrics/history": [(("body", "interval"), "points per symbol")],
    "POST /api/v1/trading/events": [  # an order's lifecycle, against its stored state
        (("body", "events", "*", "order_id"), "send its 'submitted' event first"),
        (("body", "events", "*", "order_id"), "was already submitted"),
        (("body", "events", "*", "order_id"), "was rejected; no fills"),
        (("body", "events", "*", "status"), "is already"),
        (("body", "events", "*", "status"), "has fills; it cannot be rejected"),
        (("body", "events", "*", "qty"), "exceeds the"),
        # between fields of one event
        (("body", "events", "*"), "a submitted order needs"),
        (("body", "events", "*", "size"), "a tick with a trade size needs its price in 'last'"),
        (("body", "events", "*", "ask"), "crossed quote: ask is below bid"),
    ],
    # A file upload's schema says it is not empty, but schemathesis sends empty files anyway.
    "POST /api/v1/commerce/imports": [(("body",), "the file is empty")],
}


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


def unstated_rules(document: dict[str, Any]) -> dict[str, list[Rule]]:
    """Per operation label, the refusals its schema cannot state (operations without: absent)."""
    found: dict[str, list[Rule]] = {}
    for path, path_item in document["paths"].items():
        for method, operation in path_item.items():
            names = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"}
            label = f"{method.upper()} {path}"
            rules = list(BODY_RULES.get(label, ()))
            if names & {"from", "to"}:
                rules += WINDOW_RULES
            if "cursor" in names:
                rules += CURSOR_RULES
            if rules:
                found[label] = rules
    return found


def load_schema(base: str) -> tuple[BaseSchema, dict[str, list[Rule]]]:
    """The served document, with 422 expected of valid data only where an unstated rule lives."""
    document = httpx.get(f"{base}/openapi.json").json()
    rules = unstated_rules(document)
    default = SchemathesisConfig().projects.default.checks.positive_data_acceptance
    allowance = {
        "include-name": sorted(rules),
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": [*default.expected_statuses, str(UNPROCESSABLE)]
            }
        },
    }
    config = SchemathesisConfig.from_dict({"operations": [allowance]})
    return schemathesis.openapi.from_dict(document, config=config), rules


@pytest.fixture(scope="module")
def api_schema(server: tuple[str, dict[str, str]]) -> tuple[BaseSchema, dict[str, list[Rule]]]:
    base, _ = server
    return load_schema(base)


CONTRACT_SETTINGS = settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _at(loc: list[Any], where: tuple[str, ...]) -> bool:
    return len(loc) == len(where) and all(
        w in ("*", part) for part, w in zip(loc, where, strict=True)
    )


def _matches(error: dict[str, Any], rules: list[Rule]) -> bool:
    loc, message = error.get("loc", []), error.get("message", "")
    return any(_at(loc, where) and fragment in message for where, fragment in rules)


def only_unstated_refusals(rules: dict[str, list[Rule]]) -> Any:
    """A check: a 422 to schema-valid data names only rules its operation cannot state."""

    def check(ctx: Any, response: Any, case: Case[Any]) -> bool | None:
        meta, allowed = case.meta, rules.get(case.operation.label)
        if response.status_code != UNPROCESSABLE or meta is None or allowed is None:
            return None  # elsewhere a 422 to valid data fails positive_data_acceptance itself
        if not meta.generation.mode.is_positive:
            return None
        errors = response.json().get("errors") or [{}]
        unstated = [error for error in errors if not _matches(error, allowed)]
        assert not unstated, (
            f"schema-valid data refused for a reason the schema could state: {unstated}"
        )
        return None

    return check


def _failures(
    api_schema: BaseSchema, rules: dict[str, list[Rule]], base: str, token: str
) -> list[str]:
    """Every operation driven with generated requests; what failed, operation by operation."""
    headers = {"Authorization": f"Bearer {token}"}
    refusals = only_unstated_refusals(rules)
    found = []
    for result in api_schema.get_all_operations():
        if not isinstance(result, Ok):
            found.append(f"the schema cannot be tested: {result.err()}")
            continue
        operation = result.ok()

        @given(case=operation.as_strategy())
        @CONTRACT_SETTINGS
        def drive(case: Case[Any]) -> None:
            case.call_and_validate(base_url=base, headers=headers, additional_checks=[refusals])

        try:
            drive()
        except (Exception, BaseExceptionGroup) as failure:  # collected: every operation reports
            found.append(f"{operation.label}: {str(failure)[:2000]}")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_conforms(
    api_schema: tuple[BaseSchema, dict[str, list[Rule]]],
    server: tuple[str, dict[str, str]],
    role: str,
) -> None:
    base, tokens = server
    schema, rules = api_schema
    failures = _failures(schema, rules, base, tokens[role])
    assert not failures, "\n\n".join(failures)
