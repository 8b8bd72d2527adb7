"""Every route of an application, flattened (FastAPI may keep included routers nested)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    path_params: tuple[str, ...]
    is_api_route: bool


def all_routes(app: Any) -> list[RouteInfo]:
    """Path template, methods and path parameters of every route of ``app``."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI releases that keep ``app.routes`` flat
        contexts: list[Any] = list(app.routes)
        originals = contexts
    else:
        contexts = list(iter_route_contexts(app.routes))
        originals = [context.original_route for context in contexts]
    found = []
    for context, original in zip(contexts, originals, strict=True):
        methods = getattr(context, "methods", None)
        if not methods:
            continue
        found.append(
            RouteInfo(
                path=context.path,
                methods=frozenset(methods) - {"HEAD"},
                path_params=tuple(getattr(context, "param_convertors", {}) or {}),
                is_api_route=isinstance(original, APIRoute),
            )
        )
    return found
