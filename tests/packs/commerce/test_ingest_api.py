"""The ingest API: atomic batches, every bad row reported, idempotency keys, auth, bad queries."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest

from tests.packs.commerce.conftest import ORDERS, Shop
from tests.packs.commerce.support import order
from tests.support.auth import app_of, user_headers
from vantage.core.auth.models import Role
from vantage.core.idempotency import fingerprint_of
from vantage.packs.commerce.runtime import CommerceRuntime
from vantage.packs.commerce.schemas import MAX_BATCH_ORDERS

GOOD = order("g1", "c1", "2025-03-01T10:00:00Z", "completed", ("p1", 1, "10"))


async def _nothing_written(shop: Shop) -> None:
    body = (await shop.get("/dashboard?from=2025-01-01&to=2025-12-31")).json()
    assert body["transactions"] == 0 and body["data_as_of"] is None


async def test_a_bad_row_rejects_the_whole_batch_listing_every_error(shop: Shop) -> None:
    bad = [
        GOOD,
        order("b1", "c2", "2025-03-01T10:00:00", "shipped", ("p1", 1, "1.23456")),
        order("b2", None, "not a date", "completed"),
        order("g1", "c3", "2025-03-02T10:00:00Z", "completed", ("p2", 2, "3")),
    ]
    response = await shop.post(bad)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert response.headers["content-type"].startswith("application/problem+json")
    located = {tuple(e["loc"]) for e in problem["errors"]}
    assert {
        ("body", "orders", 1, "placed_at"),
        ("body", "orders", 1, "status"),
        ("body", "orders", 1, "lines", 0, "unit_price"),
        ("body", "orders", 2, "placed_at"),
        ("body", "orders", 2, "lines"),
    } <= located
    await _nothing_written(shop)
    duplicate = await shop.post([GOOD, {**GOOD, "customer_id": "c9"}])
    assert duplicate.status_code == 422
    assert [e["loc"] for e in duplicate.json()["errors"]] == [["body", "orders", 1, "id"]]
    await _nothing_written(shop)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"orders": []}',
        b'{"orders": [{"id": "x"}], "extra": 1}',
        b'{"rows": []}',
    ],
)
async def test_malformed_bodies_are_problems(shop: Shop, body: bytes) -> None:
    response = await shop.client.post(
        ORDERS, content=body, headers={**shop.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["errors"]
    await _nothing_written(shop)


async def test_currency_is_fixed_per_tenant(shop: Shop) -> None:
    first = await shop.post([{**GOOD, "currency": "EUR"}])
    assert first.status_code == 200
    other = order("g2", "c1", "2025-03-02T10:00:00Z", "completed", ("p1", 1, "1"))
    mismatch = await shop.post([{**other, "currency": "USD"}])
    assert mismatch.status_code == 422
    assert mismatch.json()["errors"][0]["loc"] == ["body", "orders", 0, "currency"]
    assert (await shop.get("/dashboard?from=2025-03-01&to=2025-04-01")).json()["currency"] == "EUR"


async def test_batch_size_is_capped(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = shop.client.app.state.core.runtimes.get("commerce", CommerceRuntime)  # type: ignore[attr-defined]
    monkeypatch.setattr(runtime.settings, "max_batch_orders", 2)
    orders = [order(f"o{i}", "c1", "2025-03-01T10:00:00Z", "completed", ("p", 1, "1"))
              for i in range(3)]  # fmt: skip
    response = await shop.post(orders)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "orders"]
    await _nothing_written(shop)


async def test_an_oversized_batch_is_refused_before_its_orders_are_checked(shop: Shop) -> None:
    """Orders past the ceiling are not validated one by one: one error, not one per order."""
    body = '{"orders":[' + ",".join(['{"id":"x"}'] * (MAX_BATCH_ORDERS + 1)) + "]}"
    response = await shop.client.post(
        ORDERS, content=body, headers={**shop.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "loc": ["body", "orders"],
            "message": f"a batch holds at most {MAX_BATCH_ORDERS} orders",
            "type": "too_long",
        }
    ]
    await _nothing_written(shop)


async def test_a_batch_wrong_everywhere_lists_the_first_thousand_errors(shop: Shop) -> None:
    body = '{"orders":[' + ",".join(['{"id":"x"}'] * 600) + "]}"
    response = await shop.client.post(
        ORDERS, content=body, headers={**shop.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    problem = response.json()
    # Each order lacks three fields: 1,800 errors, of which the first 1,000 are listed.
    assert problem["detail"].startswith("1800 invalid field(s) in 600 order(s)")
    assert (len(problem["errors"]), problem["errors_total"]) == (1000, 1800)
    assert problem["errors"][0]["loc"] == ["body", "orders", 0, "placed_at"]
    await _nothing_written(shop)


async def test_idempotency_key_replays_the_first_response(shop: Shop) -> None:
    first = await shop.post([GOOD], **{"Idempotency-Key": "batch-1"})
    replay = await shop.post([GOOD], **{"Idempotency-Key": "batch-1"})
    assert replay.status_code == 200 and replay.content == first.content
    assert replay.headers["idempotent-replayed"] == "true"
    changed = await shop.post([{**GOOD, "status": "refunded"}], **{"Idempotency-Key": "batch-1"})
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["type"] == "idempotency_key_reused"
    dashboard = (await shop.get("/dashboard?from=2025-03-01&to=2025-04-01")).json()
    assert dashboard["transactions"] == 1 and dashboard["revenue"] == "10.00"


async def test_a_rejected_batch_is_replayed_as_rejected(shop: Shop) -> None:
    bad = [order("b", None, "2025-03-01T10:00:00Z", "nope", ("p", 1, "1"))]
    first = await shop.post(bad, **{"Idempotency-Key": "bad-1"})
    again = await shop.post(bad, **{"Idempotency-Key": "bad-1"})
    assert first.status_code == again.status_code == 422
    assert again.content == first.content


async def test_a_key_in_flight_is_a_conflict(shop: Shop) -> None:
    store = shop.client.app.state.core.runtimes.get("commerce", CommerceRuntime).idempotency  # type: ignore[attr-defined]
    body = httpx.Request("POST", "http://test", json={"orders": [GOOD]}).content
    fingerprint = fingerprint_of(b"POST", ORDERS.encode(), body)
    claim = await store.claim(shop.tenant_id, "commerce.orders", "busy", fingerprint)
    response = await shop.client.post(
        ORDERS, content=body,
        headers={**shop.headers, "Idempotency-Key": "busy", "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 409 and int(response.headers["retry-after"]) >= 1
    await store.release(claim)
    retried = await shop.client.post(
        ORDERS, content=body,
        headers={**shop.headers, "Idempotency-Key": "busy", "Content-Type": "application/json"},
    )  # fmt: skip
    assert retried.status_code == 200


async def test_keys_are_per_tenant_and_validated(shop: Shop, other_shop: Shop) -> None:
    assert (await shop.post([GOOD], **{"Idempotency-Key": "k"})).status_code == 200
    theirs = await other_shop.post([{**GOOD, "status": "pending"}], **{"Idempotency-Key": "k"})
    assert theirs.status_code == 200 and "idempotent-replayed" not in theirs.headers
    invalid = await shop.post([GOOD], **{"Idempotency-Key": "has space"})
    assert invalid.status_code == 422


async def test_ingest_needs_the_ingest_scope(shop: Shop) -> None:
    app = app_of(shop.client)
    viewer = await user_headers(app, Role.VIEWER)
    response = await shop.client.post(ORDERS, json={"orders": [GOOD]}, headers=viewer)
    assert response.status_code == 403
    anonymous = await shop.client.post(ORDERS, json={"orders": [GOOD]})
    assert anonymous.status_code == 401
    assert (await shop.client.get("/api/v1/commerce/dashboard")).status_code == 401
    await _nothing_written(shop)


async def test_tenants_never_see_each_other(shop: Shop, other_shop: Shop) -> None:
    assert (await shop.post([GOOD])).status_code == 200
    foreign = await other_shop.get("/customers/c1")
    assert foreign.status_code == 404 and foreign.json()["code"] == "NOT_FOUND"
    theirs = (await other_shop.get("/dashboard?from=2025-03-01&to=2025-04-01")).json()
    assert theirs["transactions"] == 0
    assert (await other_shop.get("/customers")).json()["data"] == []
    assert (await other_shop.get("/products")).json()["data"] == []


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("/customers?sort=name", ["query", "sort"]),
        ("/customers?sort=-ltv,orders", ["query", "sort"]),
        ("/products?sort=price", ["query", "sort"]),
        ("/customers?limit=101", ["query", "limit"]),
        ("/products?limit=0", ["query", "limit"]),
        ("/revenue?from=2025-03-01&to=2025-02-01", ["query", "to"]),
        ("/dashboard?from=2025-03-01&to=2025-03-01", ["query", "to"]),
        ("/dashboard?from=2025-03-01T10:00:00", ["query", "from"]),
        ("/dashboard?days=7&from=2025-03-01", ["query", "days"]),
        ("/revenue?granularity=year", ["query", "granularity"]),
        ("/customers?cursor=forged.cursor", ["query", "cursor"]),
        ("/products?cursor=abc", ["query", "cursor"]),
        ("/rfm?from=yesterday", ["query", "from"]),
    ],
)
async def test_bad_queries_are_problems(shop: Shop, path: str, loc: list[str]) -> None:
    response = await shop.get(path)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == loc


async def test_a_cursor_is_bound_to_its_order(shop: Shop) -> None:
    orders = [order(f"o{i}", f"c{i}", "2025-03-01T10:00:00Z", "completed", ("p", 1, str(i)))
              for i in range(1, 4)]  # fmt: skip
    await shop.post(orders)
    cursor = (await shop.get("/customers?limit=1")).json()["pagination"]["next_cursor"]
    assert (await shop.get(f"/customers?limit=1&sort=orders&cursor={cursor}")).status_code == 422


async def test_ingest_pushes_the_dashboard_to_the_tenants_channel(
    shop: Shop, other_shop: Shop
) -> None:
    hub = shop.client.app.state.hub  # type: ignore[attr-defined]
    today = datetime.now(UTC).replace(microsecond=0).isoformat()
    recent = order("live-1", "c1", today, "completed", ("p1", 2, "7.50"))
    assert (await shop.post([recent])).status_code == 200
    message = None
    async with asyncio.timeout(5):
        while message is None:
            message = await hub.latest(shop.tenant_id, "commerce.dashboard")
            await asyncio.sleep(0.02)
    data = json.loads(message.data_json)
    assert data["revenue"] == "15.00" and data["transactions"] == 1
    assert data["top_products"][0]["id"] == "p1"
    assert await hub.latest(other_shop.tenant_id, "commerce.dashboard") is None
