"""Credentials for gateway tests: users of a role, and API keys (as OpenAI clients send them)."""

from __future__ import annotations

import json
import uuid

from fastapi import FastAPI

from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope

_counter = iter(range(1000, 10**9))


async def user_credential(
    app: FastAPI, role: Role = Role.ANALYST, *, tenant_id: int = 1, email: str | None = None
) -> str:
    """A bearer credential of a new user with ``role``."""
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    return json.dumps(
        {
            "kind": "user",
            "id": next(_counter),
            "tenant": tenant_id,
            "role": role.value,
            "email": email,
        }
    )


async def api_key(
    app: FastAPI, scopes: tuple[Scope, ...] = (Scope.READ,), *, tenant_id: int = 1
) -> str:
    """A new API key of ``tenant_id`` (what `openai.OpenAI(api_key=...)` takes)."""
    return json.dumps(
        {
            "kind": "api_key",
            "id": next(_counter),
            "tenant": tenant_id,
            "scopes": [s.value for s in scopes],
        }
    )


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}
