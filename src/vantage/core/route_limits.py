"""Every route spends from a rate-limit group, unless this module declares it exempt.

A router joins a group of its own with ``Depends(rate_limit("<pack>.<kind>"))``, or with
``Depends(anonymous_rate_limit("<pack>.<kind>"))`` when its service counts each principal
against quotas of its own. A route that joined none (a pack that forgot, an admin or stream
route) spends from the ``default`` group: the application checks it on every request before the
route's own dependencies run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.requests import HTTPConnection, Request

from vantage.core.auth.dependencies import authenticate_credential, presented_credential
from vantage.core.client_address import client_ip
from vantage.core.ratelimit import DEFAULT_GROUP, TOKENS_GROUP, principal_identity, spend

# The one list of unlimited routes, each with the reason.
EXEMPT: Mapping[str, str] = {
    "/health": "probes from load balancers and orchestrators",
    "/health/live": "probes from load balancers and orchestrators",
    "/health/ready": "probes from load balancers and orchestrators",
    "/health/database": "probes from load balancers and orchestrators",
    "/metrics": "scraped by Prometheus",
    "/openapi.json": "documentation",
    "/docs": "documentation",
    "/docs/oauth2-redirect": "documentation",
    "/docs/assets/{name}": "documentation",
    "/redoc": "documentation",
    "/ws": "WebSocket: each connection's messages are limited instead",
}


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in getattr(dependant, "dependencies", ()):
        yield dependency.call
        yield from _calls(dependency)


def own_group(route: Any) -> str | None:
    """The group a route (or route context) joined through its dependencies, if any."""
    for call in _calls(getattr(route, "dependant", None)):
        group = getattr(call, "rate_limit_group", None)
        if group:
            return str(group)
    return None


def route_group(route: Any) -> str | None:
    """The group a route spends from: its own, else ``default``; None for an exempt route."""
    return own_group(route) or (None if route.path in EXEMPT else DEFAULT_GROUP)


@dataclass(frozen=True)
class RouteGroups:
    """Which routes need no default check (their own group, or exempt), by route identity."""

    skip: frozenset[int]

    @classmethod
    def of(cls, app: FastAPI) -> RouteGroups:
        """Learn the routes of ``app`` once every router is mounted."""
        skip = {
            id(context.original_route)
            for context in iter_route_contexts(app.routes)
            if route_group(context) != DEFAULT_GROUP or own_group(context) == DEFAULT_GROUP
        }
        return cls(frozenset(skip))


async def _caller_identity(connection: HTTPConnection) -> str:
    state = connection.state
    if not hasattr(state, "principal"):
        try:
            credential = presented_credential(connection.headers)
            principal = (
                await authenticate_credential(connection.app, credential) if credential else None
            )
        except Exception:  # the route's own authentication reports it; the address pays
            return f"ip:{client_ip(connection)}"
        state.principal = principal  # the route's auth dependency reuses it
    if state.principal is not None:
        return principal_identity(state.principal)
    return f"ip:{client_ip(connection)}"


# Sign-in has its own throttle, per account and per address (``LoginGuard``), counted before
# the password is checked; the token group covers refresh, logout and ``me``.
SIGN_IN_PATH = "/api/v1/auth/token"


async def token_throttle(request: Request) -> None:
    """Dependency of the token endpoints: their group, always per client address."""
    if request.url.path != SIGN_IN_PATH:
        await spend(request, TOKENS_GROUP, f"ip:{client_ip(request)}")


token_throttle.rate_limit_group = TOKENS_GROUP  # type: ignore[attr-defined]


def anonymous_rate_limit(group: str) -> Callable[[HTTPConnection], Awaitable[None]]:
    """Dependency of routes whose service counts each principal's requests against quotas of
    its own (the gateway's chat routes, with per-user and per-key quotas that may exceed any
    core policy): only a caller without a valid credential spends from ``group`` here, per
    client address. The route is in ``group``, so the ``default`` check skips it."""

    async def limit_anonymous(connection: HTTPConnection) -> None:
        identity = await _caller_identity(connection)
        if identity.startswith("ip:"):
            await spend(connection, group, identity)

    limit_anonymous.rate_limit_group = group  # type: ignore[attr-defined]
    return limit_anonymous


async def default_rate_limit(connection: HTTPConnection) -> None:
    """Dependency of every route: spend from ``default`` unless the route is already limited."""
    route = connection.scope.get("route")
    groups: RouteGroups | None = getattr(connection.app.state, "route_groups", None)
    if connection.scope["type"] != "http" or route is None or groups is None:
        return
    if id(route) in groups.skip:
        return
    await spend(connection, DEFAULT_GROUP, await _caller_identity(connection))
