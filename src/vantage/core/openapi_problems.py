"""Every operation of the OpenAPI document declares the problem answers it can give.

Endpoints declare their success; what can go wrong follows from what a route depends on, so it is
added here once for all of them, as ``application/problem+json`` with the Problem schema:
credentials -> 401 (and 403 with a scope), a rate-limit group -> 429, a body -> 413 and 422,
parameters -> 422, path parameters -> 404, writes -> 409, and every route -> 503 (database or
limit storage unreachable, shutting down).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from vantage.core.errors import MAX_LISTED_ERRORS, PROBLEM_MEDIA_TYPE
from vantage.core.openapi import ALIAS_OF, with_alias_parameters
from vantage.core.route_limits import route_group
from vantage.core.text import document_line_parameters

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem, with Vantage's stable code and request id.",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
        "timestamp": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
            "maxItems": MAX_LISTED_ERRORS,
        },
        "errors_total": {
            "type": "integer",
            "description": "How many errors there were, when more than `errors` lists",
        },
    },
    "additionalProperties": True,
}
DESCRIPTIONS = {
    401: "Missing or refused credentials",
    403: "The credentials lack the scope this needs",
    404: "Not found (or another tenant's)",
    409: "Conflicts with the current state",
    413: "Body too large",
    422: "Invalid request",
    429: "Rate limit exceeded",
    503: "Unavailable: a backing service cannot be reached, or the server is stopping",
}
_SCOPED = "_scope"
BODY_METHODS = {"POST", "PUT", "PATCH"}
WRITE_METHODS = BODY_METHODS | {"DELETE"}  # ``require_<scope>_scope`` dependencies


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in getattr(dependant, "dependencies", ()):
        yield dependency.call
        yield from _calls(dependency)


def _has_params(dependant: Any) -> bool:
    if dependant.query_params or dependant.path_params or dependant.header_params:
        return True
    return any(_has_params(dependency) for dependency in dependant.dependencies)


def problem_statuses(route: Any) -> set[int]:
    """The problem statuses ``route`` (a route context) can answer with."""
    dependant = route.dependant
    names = {getattr(call, "__name__", "") for call in _calls(dependant)}
    statuses = {503}
    if any(name.endswith(_SCOPED) for name in names):
        statuses |= {401, 403}
    if any("principal" in name for name in names):
        statuses.add(401)  # a credential that is sent is checked even where none is needed
    if route_group(route) is not None:
        statuses.add(429)
    if getattr(route, "body_field", None) is not None or set(route.methods) & BODY_METHODS:
        statuses |= {413, 422}  # some endpoints read their body themselves
    if set(route.methods) & WRITE_METHODS:
        statuses.add(409)  # a write can conflict with the current state (the last admin, ...)
    if _has_params(dependant):
        statuses.add(422)
    if dependant.path_params or any(d.path_params for d in dependant.dependencies):
        statuses.add(404)
    return statuses


def add_problem_responses(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every operation's problem answers declared (and FastAPI's 422 replaced)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    paths = schema.get("paths", {})
    for route in iter_route_contexts(app.routes):
        # WebSocket routes have dependencies too, but no operation in the document.
        if getattr(route, "dependant", None) is None or not getattr(
            route, "include_in_schema", False
        ):
            continue
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            # Aliases of other systems' URLs answer errors in those systems' own JSON shape.
            media = "application/json" if "compat" in operation.get("tags", ()) else None
            declared_errors = {
                int(code) for code in responses if code.isdigit() and int(code) >= 400
            }
            for status in sorted(problem_statuses(route) | declared_errors):
                declared = responses.get(str(status), {})
                content = declared.get("content", {})
                content.pop("application/json", None)  # FastAPI's validation error shape
                # A problem refused before routing (control characters, body limits) keeps
                # its problem+json, on aliases too.
                if media is not None:
                    content[media] = {"schema": {"type": "object"}}
                content[PROBLEM_MEDIA_TYPE] = {"schema": PROBLEM_REF}
                responses[str(status)] = {
                    "description": declared.get("description") or DESCRIPTIONS.get(status, "Error"),
                    "content": content,
                }
    _add_target_errors(paths)
    return schema


def _add_target_errors(paths: dict[str, Any]) -> None:
    """An alias answers whatever its target answers: the target's errors, in the alias's shape."""
    for path_item in paths.values():
        for operation in path_item.values():
            target = operation.get(ALIAS_OF, "") if isinstance(operation, dict) else ""
            method, _, path = target.partition(" ")
            answered = paths.get(path, {}).get(method.lower(), {}).get("responses", {})
            responses = operation.get("responses", {})
            for status, answer in answered.items():
                if status.isdigit() and int(status) >= 400 and status not in responses:
                    responses[status] = {
                        "description": answer.get("description", "Error"),
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }


def install_problem_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the problem answers of every operation.

    Its parameters are stated as single lines too: the control-character rule that guards every
    route answers with one of these problems.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = document_line_parameters(with_alias_parameters(generate()))
            app.openapi_schema = add_problem_responses(app, document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
