"""Text Vantage accepts: no C0 control characters, except tab, newline and CR in free text.

PostgreSQL refuses NUL in text outright, so the same input would be stored on SQLite and fail
with a server error on PostgreSQL; other control characters only ever arrive by mistake or
from someone probing. Refusing them where input enters (request fields, path and query
parameters, imported files) makes every backend answer the same 422 or line error.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Iterator
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from starlette.requests import HTTPConnection

from vantage.core.errors import ValidationFailed
from vantage.core.openapi_schema import Documented

_ANY_CONTROL = re.compile(r"[\x00-\x1f]")
_CONTROL_BUT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# The same rules as JSON Schema patterns, so the OpenAPI document states them.
LINE_PATTERN = r"^[^\x00-\x1f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
LINE_MESSAGE = "must not contain control characters"
TEXT_MESSAGE = "must not contain control characters other than tab, newline and CR"


def line_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable as a single-line value (ids, names), or None."""
    return LINE_MESSAGE if _ANY_CONTROL.search(value) else None


def text_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable as free text (descriptions, messages), or None."""
    return TEXT_MESSAGE if _CONTROL_BUT_WHITESPACE.search(value) else None


def _line(value: str) -> str:
    if line_problem(value):
        raise PydanticCustomError("control_character", LINE_MESSAGE)
    return value


def _text(value: str) -> str:
    if text_problem(value):
        raise PydanticCustomError("control_character", TEXT_MESSAGE)
    return value


def field_problem(
    fields: Iterable[tuple[str, object]], free_text: Container[str]
) -> tuple[str, str] | None:
    """The first ``(name, reason)`` among ``fields`` whose text is refused, or None.

    Fields named in ``free_text`` may hold tab, newline and CR; the others are single lines.
    """
    for name, value in fields:
        if isinstance(value, str):
            problem = text_problem(value) if name in free_text else line_problem(value)
            if problem:
                return name, problem
    return None


Line = Annotated[str, AfterValidator(_line), Documented(pattern=LINE_PATTERN)]
"""A single-line string: ids, names, slugs, filters."""

Text = Annotated[str, AfterValidator(_text), Documented(pattern=TEXT_PATTERN)]
"""Free text: tab, newline and carriage return allowed, other control characters refused."""


def without_control_characters(value: str) -> str:
    """``value`` without the control characters free text may not hold."""
    return _CONTROL_BUT_WHITESPACE.sub("", value)


RelayedText = Annotated[str, AfterValidator(without_control_characters)]
"""Free text that a third party's users wrote and a signed delivery relays (issue bodies, commit
messages): control characters other than tab, newline and CR are dropped, not refused. An issue
body with a pasted terminal log holds escape characters, and refusing it would lose every later
event of that issue too, its closing included."""


async def refuse_control_characters(connection: HTTPConnection) -> None:
    """Dependency of every route: path and query parameters are single-line text."""
    if connection.scope["type"] != "http":
        return
    errors = [
        {"loc": [where, name], "message": LINE_MESSAGE, "type": "control_character"}
        for where, items in (
            ("path", connection.path_params.items()),
            ("query", connection.query_params.multi_items()),
        )
        for name, value in items
        if isinstance(value, str) and (line_problem(value) or line_problem(name))
    ]
    if errors:
        raise ValidationFailed(LINE_MESSAGE, errors=errors)


def _string_schemas(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield schema
    for branch in schema.get("anyOf", ()):
        yield from _string_schemas(branch)


def document_line_parameters(openapi: dict[str, Any]) -> dict[str, Any]:
    """``openapi`` with every free-form string path or query parameter stated as a single line.

    ``refuse_control_characters`` guards every route, so the rule belongs to every parameter's
    schema; values already narrowed by an enum, a format or a pattern of their own are left be.
    """
    for path_item in openapi.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", ()) if isinstance(operation, dict) else ():
                if parameter.get("in") not in ("path", "query"):
                    continue
                for schema in _string_schemas(parameter.get("schema", {})):
                    if schema.get("type") == "string" and not (
                        {"enum", "const", "format", "pattern"} & schema.keys()
                    ):
                        schema["pattern"] = LINE_PATTERN
    return openapi
