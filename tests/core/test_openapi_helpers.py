"""``request_body``: a route that reads its own body still documents it, with no ``$ref``."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from tests.conftest import ClientFactory
from tests.support import helperpack
from vantage.core.openapi import inline_schema, request_body


class Tick(BaseModel):
    type: Literal["tick"]
    price: float


class Fill(BaseModel):
    type: Literal["fill"]
    quantity: int


class Tree(BaseModel):
    label: str
    children: list[Tree] = []


class Envelope(BaseModel):
    events: list[Annotated[Tick | Fill, Field(discriminator="type")]]
    tree: Tree


def test_every_reference_is_inlined() -> None:
    schema = inline_schema(Envelope)
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text and '"mapping"' not in text
    members = schema["properties"]["events"]["items"]["oneOf"]
    assert {member["properties"]["type"]["const"] for member in members} == {"tick", "fill"}
    # A recursive definition is left open after its first level.
    children = schema["properties"]["tree"]["properties"]["children"]
    assert children["items"] == {}


def test_request_body_declares_each_media_type() -> None:
    form: dict[str, Any] = {"type": "object", "properties": {"label": {"type": "string"}}}
    extra = request_body(Tree, other_media_types={"application/x-www-form-urlencoded": form})
    body = extra["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"]["properties"]["label"]["type"] == (
        "string"
    )
    assert body["content"]["application/x-www-form-urlencoded"]["schema"] == form


async def test_the_route_documents_its_body(client_for: ClientFactory, sqlite_url: str) -> None:
    async with client_for(sqlite_url, packs=[helperpack.HELPER_PACK]) as http:
        spec = (await http.get("/openapi.json")).json()
    operation = spec["paths"][f"{helperpack.PREFIX}/items"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "$ref" not in json.dumps(schema)
    assert set(schema["properties"]["items"]["items"]["properties"]) == {"name", "quantity"}
    assert {"409", "422"} <= set(operation["responses"])
    token_body = spec["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
    assert set(token_body) == {"application/json", "application/x-www-form-urlencoded"}
