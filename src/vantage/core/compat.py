"""Compatibility routes: the URLs of the systems Vantage replaces, answered by its own handlers.

A pack declares, in one place, each path an older front end or script calls and the
``/api/v1`` route that answers it, with pure adapters that rename and reshape: the query or
JSON body on the way in, the JSON answer (or each server-sent event) on the way out, and the
error body. The alias forwards the request inside the process to the ``/api/v1`` route, so
authentication, scopes, rate limits, conditional reads and every figure are that route's own:
an alias never computes anything. WebSocket aliases are declared with their endpoint.

Aliases are mounted when ``VANTAGE_COMPAT_ROUTES`` is true (the default), appear in OpenAPI
under the ``compat`` tag and are marked deprecated for new clients.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.websockets import WebSocket

from vantage.core.compat_forwarding import ForwardedCall, Reshaping
from vantage.core.errors import ValidationFailed
from vantage.core.openapi import ALIAS_OF, ALIAS_QUERY, request_body

COMPAT_TAG = "compat"

QueryAdapter = Callable[[QueryParams], list[tuple[str, str]]]
JsonAdapter = Callable[[Any], Any]
# (the route's JSON answer, the alias's own query) -> the older system's answer.
AnswerAdapter = Callable[[Any, QueryParams], Any]
# (event name, parsed data) -> (event name, data), or None to drop the event.
EventAdapter = Callable[[str, Any], "tuple[str, Any] | None"]


def same_query(query: QueryParams) -> list[tuple[str, str]]:
    """Forward the query string unchanged."""
    return list(query.multi_items())


def renamed_query(names: Mapping[str, str]) -> QueryAdapter:
    """Forward the query with the older system's parameter names turned into the route's."""

    def adapt(query: QueryParams) -> list[tuple[str, str]]:
        for old, new in names.items():
            if old in query and new in query:
                raise ValidationFailed.field(("query", old), f"use either {old} or {new}")
        return [(names.get(key, key), value) for key, value in query.multi_items()]

    return adapt


def same_json(value: Any) -> Any:
    """Forward a JSON value unchanged."""
    return value


def same_answer(value: Any, query: QueryParams) -> Any:
    """Answer the route's JSON unchanged."""
    return value


def same_event(event: str, data: Any) -> tuple[str, Any] | None:
    """Forward a server-sent event unchanged."""
    return event, data


@dataclass(frozen=True)
class CompatRoute:
    """One alias: ``method path`` of the older system, answered by the route at ``target``.

    Path parameters of ``path`` (``/api/sessions/{session_id}``) fill the same names in
    ``target`` (``/api/v1/aidev/sessions/{session_id}``); the target route validates them.
    """

    path: str
    target: str
    method: str = "GET"
    summary: str = ""
    # The older system's names of the route's query parameters (``since`` -> ``from``): the
    # alias forwards them renamed and documents the route's parameters under these names.
    renames: Mapping[str, str] = field(default_factory=dict)
    # A query adapter of its own replaces the renames; the alias then documents no parameters
    # but its path's, as the adapter may take any.
    query: QueryAdapter | None = None
    body: JsonAdapter = same_json
    answer: AnswerAdapter = same_answer
    events: EventAdapter = same_event
    # The error body of the older system, built from the problem document the route answered.
    error: JsonAdapter = same_json
    body_model: type[BaseModel] | None = None
    # The target's success status, for OpenAPI (the alias always answers the target's own).
    status_code: int = 200

    def query_adapter(self) -> QueryAdapter:
        if self.query is not None:
            return self.query
        return renamed_query(self.renames) if self.renames else same_query


@dataclass(frozen=True)
class CompatSocket:
    """A WebSocket alias: the older system's path and the endpoint that serves it."""

    path: str
    endpoint: Callable[[WebSocket], Any]
    name: str = ""


@dataclass(frozen=True)
class CompatSurface:
    """Every alias of one pack, declared in one place."""

    system: str
    routes: Sequence[CompatRoute] = ()
    sockets: Sequence[CompatSocket] = field(default_factory=tuple)


def _target_of(route: CompatRoute, request: Request) -> str:
    # ``{name}`` in the target takes the alias's path parameter of that name (one segment).
    return route.target.format_map(request.path_params) if request.path_params else route.target


def _endpoint(route: CompatRoute) -> Callable[[Request], Any]:
    adapt_query = route.query_adapter()

    async def alias(request: Request) -> Response:
        return ForwardedCall(
            target=_target_of(route, request),
            query=adapt_query(request.query_params),
            body=await request.body(),
            body_adapter=route.body,
            reshaping=Reshaping(
                answer=partial(_answer_for, route.answer, request.query_params),
                events=route.events,
                error=route.error,
            ),
        )

    alias.__name__ = f"compat_{route.method.lower()}_{route.path.strip('/').replace('/', '_')}"
    alias.__doc__ = route.summary or f"Alias of {route.method} {route.target}."
    return alias


def _answer_for(adapter: AnswerAdapter, query: QueryParams, value: Any) -> Any:
    return adapter(value, query)


def _openapi_extra(route: CompatRoute) -> dict[str, Any]:
    body = request_body(route.body_model) if route.body_model is not None else {}
    query = {ALIAS_QUERY: dict(route.renames)} if route.query is None else {}
    return {**body, **query, ALIAS_OF: f"{route.method} {route.target}"}


def _responses(route: CompatRoute) -> dict[int | str, dict[str, Any]]:
    # The alias's function declares no parameters nor credentials: say what its route answers
    # for bad ones (a public route, such as /health, answers none of these).
    return {
        401: {"description": "Missing or refused credentials"},
        403: {"description": "The credentials lack the route's scope"},
        404: {"description": "Not found (or another tenant's)"},
        422: {"description": "A parameter or body the route refuses"},
    }


def compat_router(surfaces: Iterable[CompatSurface]) -> APIRouter:
    """One router holding every alias of the given surfaces."""
    router = APIRouter(tags=[COMPAT_TAG], deprecated=True)
    for surface in surfaces:
        for route in surface.routes:
            router.add_api_route(
                route.path,
                _endpoint(route),
                methods=[route.method],
                summary=route.summary or f"{surface.system}: alias of {route.target}",
                description=f"{surface.system} compatibility alias of `{route.method} "
                f"{route.target}`; see docs/COMPAT.md. Deprecated for new clients.",
                openapi_extra=_openapi_extra(route),
                response_model=None,
                status_code=route.status_code,
                responses=_responses(route),
            )
        for socket in surface.sockets:
            router.add_api_websocket_route(socket.path, socket.endpoint, name=socket.name or None)
    return router
