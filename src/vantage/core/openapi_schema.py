"""Rules a validator enforces, stated in the JSON Schema of the type that carries them.

A rule enforced in code (an ``AfterValidator``, a dependency) is invisible to the OpenAPI
document unless the type says it too; clients and contract tests then send values the schema
allows and get a 422. ``Documented`` adds JSON Schema keywords to a type without changing how
it validates, so the enforcing code keeps its own error message and location:

    Line = Annotated[str, AfterValidator(_line), Documented(pattern=LINE_PATTERN)]
"""

from __future__ import annotations

from typing import Any

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class Documented:
    """``Annotated`` metadata: JSON Schema keywords describing what the type's validators allow."""

    __slots__ = ("keywords",)

    def __init__(self, **keywords: Any) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        for keyword, value in self.keywords.items():
            if keyword == "pattern" and schema.get("pattern", value) != value:
                # A field's own pattern narrows further; both hold, so both are stated.
                schema.setdefault("allOf", []).append({"pattern": value})
            else:
                schema[keyword] = value
        return schema

    def __repr__(self) -> str:
        return f"Documented({self.keywords!r})"


def _given(field: str) -> dict[str, Any]:
    return {"required": [field], "properties": {field: {"not": {"type": "null"}}}}


def exactly_one_of(*fields: str) -> dict[str, Any]:
    """A model's ``json_schema_extra`` when exactly one of ``fields`` must be given (not null)."""
    return {"oneOf": [_given(field) for field in fields]}


def at_least_one_of(*fields: str) -> dict[str, Any]:
    """A model's ``json_schema_extra`` when one of ``fields`` or more must be given (not null)."""
    return {"anyOf": [_given(field) for field in fields]}
