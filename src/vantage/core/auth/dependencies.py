"""Who is calling: the principal dependencies every protected route declares.

A request carries at most one credential: ``Authorization: Bearer <access JWT or API key>`` or
``X-API-Key: vk_...``. No credential at all is "anonymous" (401 on protected routes); a
credential that fails any check is always the same 401, whichever check failed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection

from vantage.core.auth.context import (
    AuthContext,
    auth_context,
    invalid_credentials,
    missing_credentials,
)
from vantage.core.auth.credential_cache import UserRow
from vantage.core.auth.models import Role
from vantage.core.auth.principal import ROLE_SCOPES, Principal, Scope
from vantage.core.auth.repository.users import user_by_id
from vantage.core.auth.service.api_key_format import looks_like_api_key
from vantage.core.auth.service.api_keys import authenticate_api_key
from vantage.core.auth.service.tokens import InvalidTokenError
from vantage.core.errors import Forbidden

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
API_KEY_HEADER = "X-API-Key"
MAX_CREDENTIAL_LENGTH = 4096

# Declared for the OpenAPI document (the "Authorize" button); the values are re-read below
# because these helpers cannot tell "no credential" from "a credential in the wrong scheme".
_bearer_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
_api_key_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)

__all__ = [
    "AdminPrincipal",
    "AnalyzePrincipal",
    "CurrentPrincipal",
    "IngestPrincipal",
    "OptionalPrincipal",
    "ReadPrincipal",
    "authenticate_credential",
    "presented_credential",
    "require_scope",
]


async def authenticate_credential(app: Starlette, credential: str) -> Principal:
    """The principal of an access JWT or a ``vk_`` API key; ``Unauthorized`` otherwise."""
    if not credential or len(credential) > MAX_CREDENTIAL_LENGTH:
        raise invalid_credentials()
    auth = auth_context(app)
    if looks_like_api_key(credential):
        return await authenticate_api_key(auth, credential)
    return await _user_principal(auth, credential)


async def _user_principal(auth: AuthContext, token: str) -> Principal:
    try:
        claims = auth.tokens.verify(token)
    except InvalidTokenError as error:
        raise invalid_credentials() from error
    user = await auth.credentials.users.get_or_read(
        claims.user_id, partial(_read_user, auth, claims.user_id)
    )
    if (
        user is None
        or not user.active
        or user.tenant_id != claims.tenant_id
        or user.token_version != claims.token_version
    ):
        raise invalid_credentials()
    role = Role(user.role)
    return Principal(
        kind="user",
        subject_id=user.id,
        tenant_id=user.tenant_id,
        scopes=ROLE_SCOPES[role],
        role=role,
        email=user.email,
    )


async def _read_user(auth: AuthContext, user_id: int) -> UserRow | None:
    async with auth.primary_reader() as session:
        row = await user_by_id(session, user_id)
    return UserRow.of(row) if row is not None else None


def presented_credential(headers: Headers) -> str | None:
    """The one credential the request carries (None when it carries none)."""
    authorization = headers.get("authorization")
    api_key = headers.get(API_KEY_HEADER)
    if authorization is None and api_key is None:
        return None
    if authorization is not None and api_key is not None:
        raise invalid_credentials(f"Send either Authorization or {API_KEY_HEADER}, not both.")
    if api_key is not None:
        return api_key.strip()
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise invalid_credentials("Use the Bearer scheme: Authorization: Bearer <token>.")
    return value.strip()


_Bearer = Annotated[str | None, Depends(_bearer_scheme)]
_ApiKey = Annotated[str | None, Depends(_api_key_scheme)]


async def _principal_of(connection: HTTPConnection) -> Principal | None:
    """The caller, authenticated once per request however many dependencies ask."""
    state = connection.state
    if hasattr(state, "principal"):
        resolved: Principal | None = state.principal
        return resolved
    credential = presented_credential(connection.headers)
    principal = None
    if credential is not None:
        principal = await authenticate_credential(connection.app, credential)
    state.principal = principal
    return principal


# The scheme parameters only declare the credentials in the OpenAPI document; each dependency
# reads the headers itself and stays one level deep, because every level of dependencies costs
# FastAPI work on each request.
async def _optional_principal(
    connection: HTTPConnection, _bearer: _Bearer, _api_key: _ApiKey
) -> Principal | None:
    return await _principal_of(connection)


async def _current_principal(
    connection: HTTPConnection, _bearer: _Bearer, _api_key: _ApiKey
) -> Principal:
    principal = await _principal_of(connection)
    if principal is None:
        raise missing_credentials()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(_optional_principal)]


def require_scope(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency giving the caller when it holds ``scope``; 403 when it does not."""

    async def dependency(
        connection: HTTPConnection, _bearer: _Bearer, _api_key: _ApiKey
    ) -> Principal:
        principal = await _current_principal(connection, _bearer, _api_key)
        if not principal.has(scope):
            raise Forbidden(f"This needs the '{scope.value}' scope.")
        return principal

    dependency.__name__ = f"require_{scope.value}_scope"
    return dependency


ReadPrincipal = Annotated[Principal, Depends(require_scope(Scope.READ))]
IngestPrincipal = Annotated[Principal, Depends(require_scope(Scope.INGEST))]
AnalyzePrincipal = Annotated[Principal, Depends(require_scope(Scope.ANALYZE))]
AdminPrincipal = Annotated[Principal, Depends(require_scope(Scope.ADMIN))]
