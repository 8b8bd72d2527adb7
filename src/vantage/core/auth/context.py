"""What the auth services need from the running application, and the 401 they raise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from vantage.config import Settings
from vantage.core.auth.credential_cache import CredentialCache
from vantage.core.auth.login_guard import LoginGuard
from vantage.core.auth.service.passwords import PasswordHasher
from vantage.core.auth.service.tokens import AccessTokens
from vantage.core.db import Database
from vantage.core.errors import Unauthorized

CHALLENGE = 'Bearer realm="vantage"'
INVALID_CHALLENGE = 'Bearer realm="vantage", error="invalid_token"'


@dataclass(frozen=True)
class AuthContext:
    """Settings, database, hasher, sign-in guard, token signer and credential cache of one
    application."""

    settings: Settings
    database: Database
    hasher: PasswordHasher
    login_guard: LoginGuard
    tokens: AccessTokens
    credentials: CredentialCache

    @asynccontextmanager
    async def primary_reader(self) -> AsyncIterator[AsyncSession]:
        """A read session on the primary, so a just-revoked credential is never read stale.

        A replica may lag by seconds, too long for credentials. On SQLite the read engine
        already reads the one file (and the write engine would take the write lock to read).
        """
        if self.database.sqlite_path is not None:
            async with self.database.reader() as session:
                yield session
            return
        async with self.database.write_sessions() as session:
            yield session


def create_auth_context(
    settings: Settings, database: Database, login_guard: LoginGuard
) -> AuthContext:
    return AuthContext(
        settings=settings,
        database=database,
        hasher=PasswordHasher(),
        login_guard=login_guard,
        tokens=AccessTokens(settings),
        credentials=CredentialCache(settings.auth_cache_seconds),
    )


def auth_context(app: Starlette) -> AuthContext:
    """The auth context of ``app``, built once with the application."""
    context: AuthContext = app.state.auth
    return context


def invalid_credentials(detail: str = "The credentials are invalid or expired.") -> Unauthorized:
    """The one 401 for every bad credential: it never says which check failed."""
    return Unauthorized(detail, headers={"WWW-Authenticate": INVALID_CHALLENGE})


def missing_credentials() -> Unauthorized:
    return Unauthorized(
        "Send an access token (Authorization: Bearer) or an API key (X-API-Key).",
        headers={"WWW-Authenticate": CHALLENGE},
    )
