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


class DecimalForms:
    """``Annotated`` metadata of a ``Decimal``: what its string form (and number form) may be.

    pydantic documents a decimal as any number or any string; this states the string's digits
    (a decimal below ``10**integer_digits`` with at most ``places`` decimals, ``-`` allowed when
    ``signed``, zero excluded when ``positive``) and, when extra decimals are refused rather than
    rounded (``exact``), the number's step. It states, never checks: the ``Field`` bounds do.
    """

    __slots__ = ("exact", "integer_digits", "places", "positive", "signed")

    def __init__(
        self,
        *,
        integer_digits: int,
        places: int,
        exact: bool = False,
        signed: bool = False,
        positive: bool = False,
    ) -> None:
        self.integer_digits, self.places, self.exact = integer_digits, places, exact
        self.signed, self.positive = signed, positive

    def pattern(self) -> str:
        whole = f"[1-9][0-9]{{0,{self.integer_digits - 1}}}"
        fraction = f"(?:\\.[0-9]{{1,{self.places}}})?"
        if self.positive:
            body = f"{whole}{fraction}|0\\.[0-9]{{0,{self.places - 1}}}[1-9]"
        else:
            body = f"(?:0|{whole}){fraction}"
        return f"^{'-?' if self.signed else ''}(?:{body})$"

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        for form in schema.get("anyOf", ()):
            if form.get("type") == "string":
                form["pattern"] = self.pattern()
            elif form.get("type") == "number" and self.exact:
                form["multipleOf"] = float(f"1e-{self.places}")
        return schema

    def __repr__(self) -> str:
        return f"DecimalForms({self.pattern()!r})"


def keys_by_pattern(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of a mapping whose keys follow a pattern.

    Pydantic states a key pattern as ``patternProperties``, which leaves every key outside the
    pattern allowed; as ``propertyNames`` it says what the validator enforces.
    """
    [(pattern, values)] = schema.pop("patternProperties").items()
    schema["additionalProperties"] = values
    schema["propertyNames"] = {**schema.get("propertyNames", {}), "pattern": pattern}
