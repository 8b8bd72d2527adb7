"""Every route of an application, flattened (FastAPI keeps included routers nested)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    path_params: tuple[str, ...]
    is_api_route: bool


def all_routes(app: Any) -> list[RouteInfo]:
    """Path template, methods and path parameters of every route of ``app``."""
    found = []
    for context in iter_route_contexts(app.routes):
        methods = getattr(context, "methods", None)
        if not methods:
            continue
        found.append(
            RouteInfo(
                path=context.path or "",
                methods=frozenset(methods) - {"HEAD"},
                path_params=tuple(getattr(context, "param_convertors", {}) or {}),
                is_api_route=isinstance(context.original_route, APIRoute),
            )
        )
    return found
