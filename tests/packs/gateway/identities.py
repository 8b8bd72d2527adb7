"""Credentials for gateway tests: users of a role, and API keys (as OpenAI clients send them)."""

from __future__ import annotations

from fastapi import FastAPI

from tests.support import auth
from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope


async def user_credential(
    app: FastAPI, role: Role = Role.ANALYST, *, tenant_id: int = 1, email: str | None = None
) -> str:
    """An access token of a new user with ``role``."""
    user = await auth.create_user(app, role, tenant_id=tenant_id, email=email)
    return auth.access_token_for(app, user)


async def api_key(
    app: FastAPI, scopes: tuple[Scope, ...] = (Scope.READ,), *, tenant_id: int = 1
) -> str:
    """A new API key of ``tenant_id`` (what `openai.OpenAI(api_key=...)` takes)."""
    return await auth.create_api_key(app, scopes, tenant_id=tenant_id)


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}
