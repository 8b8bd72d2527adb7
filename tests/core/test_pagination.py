from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.models import Tenant
from vantage.core.errors import ValidationFailed
from vantage.core.pagination import CursorCodec


def test_cursor_round_trips_typed_values() -> None:
    codec = CursorCodec("secret")
    values = [datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), Decimal("12.50"), 7, "x", None]
    assert codec.decode("scope", codec.encode("scope", values)) == values


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),
        lambda c: "e30" + c[3:],
        lambda c: "no-dot-here",
        lambda c: "!!!.???",
    ],
)
def test_tampered_cursor_is_refused(mangle: Callable[[str], str]) -> None:
    codec = CursorCodec("secret")
    with pytest.raises(ValidationFailed) as caught:
        codec.decode("scope", mangle(codec.encode("scope", [1, "a"])))
    assert caught.value.errors is not None
    assert caught.value.errors[0]["loc"] == ["query", "cursor"]


def test_cursor_is_bound_to_its_scope_and_secret() -> None:
    token = CursorCodec("secret").encode("list:-ltv", [1])
    with pytest.raises(ValidationFailed):
        CursorCodec("secret").decode("list:ltv", token)
    with pytest.raises(ValidationFailed):
        CursorCodec("other").decode("list:-ltv", token)


async def _seed(client: httpx.AsyncClient, count: int) -> None:
    database = client.app.state.database  # type: ignore[attr-defined]
    async with database.transaction() as session:
        assert isinstance(session, AsyncSession)
        for index in range(count):
            # Repeated names force the id tie-breaker to matter.
            session.add(Tenant(slug=f"t{index:03d}", name=f"name-{index % 7}"))


async def _walk(client: httpx.AsyncClient, sort: str, limit: int) -> list[int]:
    seen: list[int] = []
    response = await client.get("/api/v1/testpack/tenants", params={"sort": sort, "limit": limit})
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item["id"] for item in body["data"]]
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            return seen
        assert body["pagination"]["offset"] is None or body["pagination"]["offset"] == 0
        response = await client.get(
            "/api/v1/testpack/tenants", params={"sort": sort, "limit": limit, "cursor": cursor}
        )


@pytest.mark.parametrize("sort", ["name", "-name", "-name,-slug", "slug"])
async def test_keyset_walk_visits_every_row_once_in_order(
    admin_client: httpx.AsyncClient, sort: str
) -> None:
    client = admin_client
    await _seed(client, 45)
    everything = await client.get("/api/v1/testpack/tenants", params={"sort": sort, "limit": 100})
    expected = [item["id"] for item in everything.json()["data"]]
    assert everything.json()["pagination"]["total"] == 46  # plus the default tenant
    assert await _walk(client, sort, limit=7) == expected


async def test_offset_paging_reports_total_and_offset(admin_client: httpx.AsyncClient) -> None:
    client = admin_client
    await _seed(client, 10)
    body = (await client.get("/api/v1/testpack/tenants?limit=4&offset=8&sort=slug")).json()
    assert body["pagination"] == {"limit": 4, "offset": 8, "total": 11, "next_cursor": None}
    assert len(body["data"]) == 3


async def test_cursor_for_another_sort_is_refused(sqlite_admin_client: httpx.AsyncClient) -> None:
    await _seed(sqlite_admin_client, 5)
    first = (await sqlite_admin_client.get("/api/v1/testpack/tenants?limit=2&sort=name")).json()
    response = await sqlite_admin_client.get(
        "/api/v1/testpack/tenants",
        params={"limit": 2, "sort": "-name", "cursor": first["pagination"]["next_cursor"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_cursor_and_offset_together_are_refused(
    sqlite_admin_client: httpx.AsyncClient,
) -> None:
    await _seed(sqlite_admin_client, 5)
    first = (await sqlite_admin_client.get("/api/v1/testpack/tenants?limit=2")).json()
    response = await sqlite_admin_client.get(
        "/api/v1/testpack/tenants",
        params={"limit": 2, "offset": 2, "cursor": first["pagination"]["next_cursor"]},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("sort", "message"),
    [("revenue", "cannot sort by 'revenue'"), ("name,-name", "more than once"), ("name,", "empty")],
)
async def test_bad_sort_is_a_422_naming_the_problem(
    sqlite_admin_client: httpx.AsyncClient, sort: str, message: str
) -> None:
    response = await sqlite_admin_client.get("/api/v1/testpack/tenants", params={"sort": sort})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == ["query", "sort"]
    assert message in error["message"]
