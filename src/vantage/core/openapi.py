"""OpenAPI pieces for routes that read their body themselves.

A route that parses ``await request.body()`` (to keep one atomic batch, or to take a form as
well as JSON) declares no body parameter, so FastAPI documents no body; ``request_body`` gives
its ``openapi_extra`` the model's schema. The schema is inlined (no ``$ref``): it lives outside
the components section, where references to the model's own definitions would dangle.

    @router.post("/orders", openapi_extra=request_body(OrderBatchIn))
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

JSON = "application/json"
ALIAS_OF = "x-alias-of"
"""An alias operation's extension naming the operation that answers it (``METHOD /path``)."""
ALIAS_QUERY = "x-alias-query"
"""An alias operation's renames of its target's query parameters (older name -> target's name),
present when the alias takes the target's parameters; the document's parameters replace it."""


def _inlined(node: Any, definitions: dict[str, Any], open_refs: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in open_refs:
                return {}  # a recursive definition (any JSON value) is left open
            return _inlined(definitions[name], definitions, (*open_refs, name))
        # A discriminator's mapping names definitions that no longer exist once inlined; each
        # member still fixes its tag, which is all the mapping said.
        inlined = {
            key: _inlined(value, definitions, open_refs)
            for key, value in node.items()
            if key != "mapping"
        }
        return _tags_required(inlined)
    if isinstance(node, list):
        return [_inlined(item, definitions, open_refs) for item in node]
    return node


def _tags_required(node: dict[str, Any]) -> dict[str, Any]:
    """A discriminated union whose members require their tag, as the validator does.

    A member's tag has a default (its own value), so pydantic leaves it out of ``required``;
    yet the union cannot pick a member without it.
    """
    tag = node.get("discriminator", {}).get("propertyName")
    for member in node.get("oneOf", ()) if tag else ():
        if tag not in member.get("required", ()):
            member["required"] = [*member.get("required", ()), tag]
    return node


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with every ``$ref`` replaced by its definition."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})
    return dict(_inlined(schema, definitions))


def request_body(
    model: type[BaseModel],
    *,
    media_type: str = JSON,
    other_media_types: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``openapi_extra`` for a required body of ``model`` (and other media types' schemas)."""
    content: dict[str, Any] = {media_type: {"schema": inline_schema(model)}}
    for other, schema in (other_media_types or {}).items():
        content[other] = {"schema": schema}
    return {"requestBody": {"required": True, "content": content}}


def with_alias_parameters(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with each alias taking its target's parameters, under the alias's names.

    An alias's endpoint reads the raw request, so FastAPI documents no parameter for it; the
    target validates them, so its parameters are the alias's (path parameters fill the same
    names; query parameters are renamed as the alias forwards them).
    """
    paths = document.get("paths", {})
    for path_item in paths.values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or ALIAS_OF not in operation:
                continue
            method, _, path = operation[ALIAS_OF].partition(" ")
            target = paths.get(path, {}).get(method.lower(), {})
            renames = operation.pop(ALIAS_QUERY, None)
            parameters = [
                _renamed(parameter, renames or {})
                for parameter in target.get("parameters", ())
                if parameter["in"] == "path" or (parameter["in"] == "query" and renames is not None)
            ]
            if parameters:
                operation["parameters"] = parameters
    return document


def _renamed(parameter: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    older = {new: old for old, new in renames.items()}.get(parameter["name"], parameter["name"])
    return {**copy.deepcopy(parameter), "name": older}
