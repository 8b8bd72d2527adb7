"""The OpenAPI document states the rules the shared types enforce, and states them truly."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from tests.conftest import every_pack
from vantage.app import create_app
from vantage.config import Settings
from vantage.core.errors import ValidationFailed
from vantage.core.instants import Instant
from vantage.core.openapi_schema import DecimalForms, Documented, exactly_one_of
from vantage.core.sorting import parse_sort, sort_param
from vantage.core.text import LINE_PATTERN, TEXT_PATTERN, Line, Text
from vantage.core.windows import DayBound, WindowBound, resolve_window

CONTROL = "a\x01b"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("openapi")
    settings = Settings(_env_file=None, data_dir=tmp, jwt_secret="x" * 40)
    return create_app(settings, packs=every_pack()).openapi()


def _strings(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield schema
    for branch in schema.get("anyOf", ()):
        yield from _strings(branch)


def test_every_free_string_parameter_refuses_control_characters(document: dict[str, Any]) -> None:
    loose = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", ()):
                if parameter["in"] not in ("path", "query"):
                    continue
                for schema in _strings(parameter["schema"]):
                    if schema.get("type") != "string" or {"enum", "const", "format"} & set(schema):
                        continue
                    if "pattern" not in schema or re.search(schema["pattern"], CONTROL):
                        loose.append(f"{method} {path} {parameter['name']}")
    assert loose == []


def test_line_and_text_state_their_rule_and_keep_their_message() -> None:
    class Body(BaseModel):
        name: Annotated[Line, Field(max_length=5)]
        note: Text

    properties = Body.model_json_schema()["properties"]
    assert properties["name"]["pattern"] == LINE_PATTERN
    assert properties["name"]["maxLength"] == 5
    assert properties["note"]["pattern"] == TEXT_PATTERN
    assert re.search(TEXT_PATTERN, "a\tb\nc") and not re.search(TEXT_PATTERN, CONTROL)
    with pytest.raises(ValidationError, match="control characters"):
        Body.model_validate({"name": CONTROL, "note": ""})


def test_a_second_pattern_is_stated_beside_the_first() -> None:
    schema = TypeAdapter(
        Annotated[str, Field(pattern="^[a-z]+$"), Documented(pattern=LINE_PATTERN)]
    ).json_schema()
    assert schema["pattern"] == "^[a-z]+$"
    assert schema["allOf"] == [{"pattern": LINE_PATTERN}]


def test_years_are_judged_as_written() -> None:
    adapter: TypeAdapter[datetime] = TypeAdapter(Instant)
    assert adapter.json_schema()["pattern"] == "^[1-8][0-9]{3}-"
    assert adapter.validate_python("8999-12-31T23:00:00-05:00").year == 8999
    with pytest.raises(ValidationError):
        adapter.validate_python("0999-12-31T23:00:00Z")


@pytest.mark.parametrize(
    ("bound", "text"),
    [
        (WindowBound, "2025-02-28"),
        (WindowBound, "2025-04-30T23:59:59.123456"),
        (WindowBound, "8999-12-31T23:59:59-05:00"),
        (DayBound, "2025-01-31T00:00:00Z"),
        (DayBound, "2025-01-31T00:00"),
    ],
)
def test_window_edges_the_schema_allows_are_accepted(bound: Any, text: str) -> None:
    forms = TypeAdapter(bound).json_schema()["anyOf"]
    assert any(re.search(form["pattern"], text) for form in forms)
    window = resolve_window(None, text, None, default_days=30)
    assert window.end.tzinfo == UTC


def test_day_bounds_state_only_midnight() -> None:
    forms = TypeAdapter(DayBound).json_schema()["anyOf"]
    assert [form["format"] for form in forms if "format" in form] == ["date"]
    free = [form for form in forms if "format" not in form]
    assert not any(re.search(form["pattern"], "2025-01-31T10:00:00Z") for form in free)


def test_sort_expressions_are_listed_and_a_single_field_is_enforced() -> None:
    dependency: Callable[..., Any] = sort_param(("a", "b"), "-a", max_keys=1).dependency
    annotation = dependency.__annotations__["sort"]
    schema = TypeAdapter(annotation).json_schema()
    assert sorted(schema["enum"]) == ["-a", "-b", "a", "b"]
    with pytest.raises(ValidationFailed):
        parse_sort("a,b", ("a", "b"), max_keys=1)
    assert [str(key) for key in parse_sort("a,-b", ("a", "b"))] == ["a", "-b"]


def test_decimal_strings_are_stated_within_the_bounds() -> None:
    price = Annotated[
        Decimal,
        Field(gt=0, lt=Decimal(1000), decimal_places=2),
        DecimalForms(integer_digits=3, places=2, exact=True, positive=True),
    ]
    schema = TypeAdapter(price).json_schema()
    string = next(form for form in schema["anyOf"] if form["type"] == "string")
    number = next(form for form in schema["anyOf"] if form["type"] == "number")
    assert number["multipleOf"] == 0.01
    for text in ("0.01", "999.99", "5"):
        assert re.search(string["pattern"], text)
        TypeAdapter(price).validate_python(text)
    for text in ("0", "0.00", "1000", "1.234", "-1", ""):
        assert not re.search(string["pattern"], text)


def test_exactly_one_of_two_fields() -> None:
    schema = {"type": "object", **exactly_one_of("a", "b")}
    given = [branch["required"] for branch in schema["oneOf"]]
    assert given == [["a"], ["b"]]
    for branch in schema["oneOf"]:
        assert branch["properties"][branch["required"][0]] == {"not": {"type": "null"}}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


def _loose_strings(
    document: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]
) -> Iterator[str]:
    """Each string in ``schema`` (nested objects, arrays, unions) a control character passes."""
    ref = schema.get("$ref")
    if ref is not None:
        if ref in seen:
            return
        seen.add(ref)
        where = ref.rsplit("/", 1)[-1]
    schema = _resolve(document, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, ()):
            yield from _loose_strings(document, branch, where, seen)
    for name, child in schema.get("properties", {}).items():
        yield from _loose_strings(document, child, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(schema.get(key), dict):
            yield from _loose_strings(document, schema[key], f"{where}[]", seen)
    # Keys a pattern constrains only through patternProperties are otherwise unchecked.
    if "patternProperties" in schema and schema.get("additionalProperties") is not False:
        yield f"{where} keys"
    if schema.get("type") == "string" and not {"enum", "const", "format"} & set(schema):
        pattern = schema.get("pattern")
        if pattern is None or re.search(pattern, CONTROL):
            yield where


# The OpenAI-compatible endpoint takes every string OpenAI's API takes (pasted terminal output
# carries escape characters) and passes the conversation on without storing it.
OPENAI_CONVERSATION = {
    "ChatCompletionRequest.stop",
    "ChatCompletionRequest.stop[]",
    "OpenAIMessage.content",
    "OpenAIMessage.name",
    "TextPart.text",
    "TextPart.type",
}
# The SQL validator reports a control character as a finding (SQL_FORBIDDEN_CHARACTER) with its
# line and column, for validation and before a query runs; such text is never stored.
VALIDATED_SQL = {"SqlRequest.sql", "QueryRequest.sql"}


def test_every_free_string_in_a_request_body_refuses_control_characters(
    document: dict[str, Any],
) -> None:
    loose: set[str] = set()
    for item in document["paths"].values():
        for operation in item.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media_type, media in content.items():
                # A JSON-lines or file body is one raw string, read line by line by its route.
                if "schema" in media and media_type in (JSON, FORM):
                    loose.update(_loose_strings(document, media["schema"], "body", set()))
    assert sorted(loose - OPENAI_CONVERSATION - VALIDATED_SQL) == []
