"""Routing that tries only the top-level routes whose paths can begin like the request's.

FastAPI keeps each included router as one node of a tree and routes a request by walking the
application's nodes in order, each node scanning every route under it (and doing it again to
handle the request), even when none of its paths could begin like the request's. With every
pack enabled, finding ``POST /v1/chat/completions`` visited 50 nodes and 89 routes.

Here each top-level route is filed under the leading path segments (up to three) that every
path it serves begins with: the gateway's OpenAI routes under ``v1/chat/completions`` and
``v1/models``, a pack's under ``api/v1/<pack>``, a route whose path starts with a parameter
under none at all. A request is routed by a router holding only the routes filed under a
beginning of its own path, in the application's order, which is the order the full walk
tries them in: a route filed otherwise cannot match it. What that router does not find, the
application's own router answers, so a redirect, a 404 or a route added later comes out as
before. The index is rebuilt when the application's list of routes changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.routing import APIRouter, iter_route_contexts
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

# Routes are filed by up to this many leading segments: /api/v1/<pack> tells packs apart.
DEPTH = 3
Key = tuple[str, ...]


def literal_segments(path: str | None) -> Key:
    """The leading segments (up to ``DEPTH``) that every path the pattern matches has; none
    when a parameter comes first or a host decides."""
    if not path or not path.startswith("/"):
        return ()
    literal, parameter, _ = path.partition("{")
    segments = literal[1:].split("/")
    if parameter:
        segments.pop()  # the segment the parameter is in, or the empty one after its "/"
    return tuple(segments[:DEPTH])


def _keys_of(route: BaseRoute) -> set[Key]:
    return {literal_segments(context.path) for context in iter_route_contexts([route])}


def _request_segments(scope: Scope) -> Key:
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    return tuple(path[1:].split("/", DEPTH)[:DEPTH])


class _Index:
    """The application's routes by key, and one router per combination of keys seen."""

    def __init__(self, main: APIRouter) -> None:
        self.main = main
        self.routes = list(main.routes)
        self._filed = [(route, _keys_of(route)) for route in self.routes]
        self._keys = {key for _, keys in self._filed for key in keys}
        # Bounded: a combination is made of keys that some route has.
        self._routers: dict[tuple[Key, ...], APIRouter] = {}

    def router_for(self, scope: Scope) -> APIRouter:
        segments = _request_segments(scope)
        found = tuple(
            segments[:length]
            for length in range(len(segments) + 1)
            if segments[:length] in self._keys
        )
        router = self._routers.get(found)
        if router is None:
            routes = [route for route, keys in self._filed if keys.intersection(found)]
            router = self._routers[found] = self._router(routes)
        return router

    def _router(self, routes: Sequence[BaseRoute]) -> APIRouter:
        router = APIRouter(default=self.main.app, redirect_slashes=self.main.redirect_slashes)
        router.routes.extend(routes)
        return router

    def is_current(self) -> bool:
        routes = self.main.routes
        return len(routes) == len(self.routes) and all(
            mine is theirs for mine, theirs in zip(self.routes, routes, strict=True)
        )


class RouteIndex:
    """The application router's dispatch (its ``middleware_stack``) through the index."""

    def __init__(self, main: APIRouter) -> None:
        self._main = main
        self._index = _Index(main)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._main.app(scope, receive, send)
            return
        scope.setdefault("router", self._main)  # url_for resolves against every route
        await self.router_for(scope).app(scope, receive, send)

    def router_for(self, scope: Scope) -> APIRouter:
        """The router of the routes that could serve the request, in the application's order."""
        if not self._index.is_current():
            self._index = _Index(self._main)
        return self._index.router_for(scope)


def install_route_index(main: APIRouter) -> None:
    main.middleware_stack = RouteIndex(main)
