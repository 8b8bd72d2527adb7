"""Datetimes at the edges of the calendar are refused with 422, never converted into a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from vantage.core.errors import ValidationFailed
from vantage.core.instants import Instant, InstantOrNaive
from vantage.core.windows import resolve_window

EDGES = [
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31",
    "0001-01-05",
    "0999-12-31T23:59:59Z",
]


class _Stamped(BaseModel):
    at: Instant


class _Filtered(BaseModel):
    since: InstantOrNaive


@pytest.mark.parametrize("text", [edge for edge in EDGES if "T" in edge])
def test_edge_datetimes_are_refused_by_the_type(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _Stamped.model_validate({"at": text})
    assert caught.value.errors()[0]["type"] == "datetime_range"
    assert caught.value.errors()[0]["loc"] == ("at",)


def test_ordinary_datetimes_pass_unchanged() -> None:
    minus_five = timezone(timedelta(hours=-5))
    assert _Stamped.model_validate({"at": "8999-12-31T18:00:00-05:00"}).at == datetime(
        8999, 12, 31, 18, tzinfo=minus_five
    )
    assert _Filtered(since=datetime(2025, 1, 1)).since == datetime(2025, 1, 1)
    with pytest.raises(ValidationError):
        _Stamped.model_validate({"at": "2025-01-01T00:00:00"})  # naive: still refused
    with pytest.raises(ValidationError):
        _Filtered(since=datetime(9999, 12, 31, 23))


@pytest.mark.parametrize("text", EDGES)
@pytest.mark.parametrize("loc", ["from", "to"])
def test_edge_windows_name_the_parameter(text: str, loc: str) -> None:
    start, end = (text, None) if loc == "from" else (None, text)
    with pytest.raises(ValidationFailed) as caught:
        resolve_window(start, end, None, default_days=30, now=datetime(2025, 3, 1, tzinfo=UTC))
    assert caught.value.errors is not None
    assert caught.value.errors[0]["loc"] == ["query", loc]


@pytest.mark.parametrize("text", EDGES)
async def test_edge_windows_over_http(sqlite_admin_client: httpx.AsyncClient, text: str) -> None:
    for name in ("from", "to"):
        response = await sqlite_admin_client.get("/api/v1/testpack/window", params={name: text})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["query", name]


async def test_an_api_key_expiring_at_the_edge_is_422(
    sqlite_admin_client: httpx.AsyncClient,
) -> None:
    response = await sqlite_admin_client.post(
        "/api/v1/admin/api-keys",
        json={"name": "far", "scopes": ["read"], "expires_at": "9999-12-31T23:00:00-05:00"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "expires_at"]
    listed = await sqlite_admin_client.get("/api/v1/admin/api-keys")
    assert listed.json()["data"] == []
