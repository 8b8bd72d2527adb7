"""Control characters are refused where input enters, with the same 422 on every backend."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from vantage.core.text import Line, Text, field_problem


class _Named(BaseModel):
    name: Line
    note: Text = ""


@pytest.mark.parametrize("value", ["a\x00b", "\x01", "tab\there", "new\nline", "\x1f", "cr\r"])
def test_a_line_refuses_every_control_character(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _Named(name=value)
    assert caught.value.errors()[0]["type"] == "control_character"


def test_free_text_keeps_tab_newline_and_cr_only() -> None:
    assert _Named(name="Mug ☕ ü", note="a\tb\r\nc").note == "a\tb\r\nc"
    for bad in ("a\x00b", "\x07", "\x1b[31m"):
        with pytest.raises(ValidationError):
            _Named(name="x", note=bad)


def test_field_problem_names_the_first_refused_field() -> None:
    fields = [("id", "A1"), ("name", "two\tcolumns"), ("other", "x\x00"), ("n", 5)]
    assert field_problem(fields, free_text={"name"}) == (
        "other",
        "must not contain control characters",
    )
    assert field_problem(fields[:2], free_text={"name"}) is None
    assert field_problem(fields[:2], free_text=set()) is not None


async def test_path_and_query_parameters_refuse_control_characters(
    admin_client: httpx.AsyncClient,
) -> None:
    job = await admin_client.get("/api/v1/jobs/a%00b")
    assert job.status_code == 422, job.text
    assert job.json()["errors"][0]["loc"] == ["path", "job_id"]
    listed = await admin_client.get("/api/v1/jobs", params={"kind": "count\x00"})
    assert listed.status_code == 422, listed.text
    assert listed.json()["errors"][0]["loc"] == ["query", "kind"]
    assert (await admin_client.get("/api/v1/jobs", params={"kind": "count"})).status_code == 200


async def test_sign_in_and_key_names_refuse_nul(admin_client: httpx.AsyncClient) -> None:
    for body in (
        {"email": "admin\x00@example.com", "password": "x"},
        {"email": "admin@example.com", "password": "x", "tenant": "default\x00"},
    ):
        response = await admin_client.post("/api/v1/auth/token", json=body)
        assert response.status_code == 422, response.text
    key = await admin_client.post(
        "/api/v1/admin/api-keys", json={"name": "ci\x00", "scopes": ["read"]}
    )
    assert key.status_code == 422, key.text
    assert key.json()["errors"][0]["loc"] == ["body", "name"]
