"""Revalidations answered before routing keep every promise the route makes.

The route remembers the ETag it computed; the next conditional request for the same URL is
answered without routing. These tests check that this path is taken, and that it never says
304 when the route would not: new data, another tenant, a revoked key, a missing scope, a spent
rate limit, or a new UTC day.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.conftest import ClientFactory
from tests.packs.commerce.conftest import Shop, make_shop
from tests.packs.commerce.support import order
from tests.support.auth import DEFAULT_TENANT_ID, api_key_headers, create_api_key
from tests.support.statements import StatementCounter
from vantage.core import revalidation
from vantage.core.auth.models import ApiKey
from vantage.core.auth.principal import Scope
from vantage.core.db import utcnow
from vantage.packs.commerce import PACK

DASHBOARD = "/dashboard?from=2025-03-01&to=2025-04-01"
FIRST_ORDER = order("A-1", "c-1", "2025-03-02T10:00:00Z", "completed", ("p-1", 2, "10.00"))


def answered_early(shop: Shop) -> float:
    registry = shop.client.app.state.metrics_registry  # type: ignore[attr-defined]
    value = registry.get_sample_value("vantage_early_answers_total", {"kind": "revalidation"})
    return value or 0.0


def _requests(shop: Shop, route: str, status: str) -> float:
    registry = shop.client.app.state.metrics_registry  # type: ignore[attr-defined]
    labels = {"method": "GET", "route": route, "status": status}
    return registry.get_sample_value("vantage_http_requests_total", labels) or 0.0


async def _current_etag(shop: Shop) -> str:
    first = await shop.get(DASHBOARD)
    assert first.status_code == 200
    return first.headers["etag"]


async def test_a_repeated_revalidation_is_answered_before_routing(shop: Shop) -> None:
    await shop.post([FIRST_ORDER])
    etag = await _current_etag(shop)
    with StatementCounter(shop.client.app) as counter:  # type: ignore[attr-defined]
        answers = [await shop.get(DASHBOARD, **{"If-None-Match": etag}) for _ in range(10)]
    assert {answer.status_code for answer in answers} == {304}
    assert answered_early(shop) == 10
    assert counter.count == 0
    last = answers[-1]
    assert last.headers["etag"] == etag
    assert last.headers["cache-control"].startswith("private")
    # What the middlewares around it add still applies.
    assert last.headers["x-request-id"] and last.headers["x-content-type-options"] == "nosniff"
    # Counted under the route's full path, as the routed answers are.
    for status, count in (("200", 1), ("304", 10)):
        assert _requests(shop, "/api/v1/commerce/dashboard", status) == count
    other_window = await shop.get(
        "/dashboard?from=2025-03-01&to=2025-03-15", **{"If-None-Match": etag}
    )
    assert other_window.status_code == 200 and answered_early(shop) == 10


async def test_an_ingest_commit_ends_the_shortcut_at_once(shop: Shop) -> None:
    await shop.post([FIRST_ORDER])
    etag = await _current_etag(shop)
    assert (await shop.get(DASHBOARD, **{"If-None-Match": etag})).status_code == 304
    second = order("A-2", "c-2", "2025-03-03T10:00:00Z", "completed", ("p-1", 1, "10.00"))
    assert (await shop.post([second])).status_code == 200
    fresh = await shop.get(DASHBOARD, **{"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag
    assert fresh.json()["transactions"] == 2


async def test_another_tenant_never_gets_a_304_from_a_foreign_validator(
    shop: Shop, other_shop: Shop
) -> None:
    await shop.post([FIRST_ORDER])
    etag = await _current_etag(shop)
    before = answered_early(shop)
    foreign = await other_shop.get(DASHBOARD, **{"If-None-Match": etag})
    assert foreign.status_code == 200
    assert foreign.headers["etag"] != etag
    assert foreign.json()["transactions"] == 0
    assert answered_early(shop) == before


async def test_a_revoked_key_is_refused_even_with_a_current_etag(shop: Shop) -> None:
    etag = await _current_etag(shop)
    app = shop.client.app  # type: ignore[attr-defined]
    async with app.state.database.transaction() as session:
        await session.execute(update(ApiKey).values(revoked_at=utcnow()))
    app.state.auth.credentials.keys.forget(shop.reader_headers["X-API-Key"].split("_")[1])
    refused = await shop.get(DASHBOARD, **{"If-None-Match": etag})
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_a_key_without_the_read_scope_gets_403(shop: Shop) -> None:
    etag = await _current_etag(shop)
    app = shop.client.app  # type: ignore[attr-defined]
    ingest_only = await create_api_key(app, [Scope.INGEST], tenant_id=shop.tenant_id)
    refused = await shop.client.get(
        "/api/v1/commerce" + DASHBOARD,
        headers={**api_key_headers(ingest_only), "If-None-Match": etag},
    )
    assert refused.status_code == 403


async def test_early_answers_spend_the_rate_limit(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(
        sqlite_url, packs=[PACK], rate_limit_enabled=True, rate_limits="commerce.read=3/minute"
    ) as client:
        shop = await make_shop(client, DEFAULT_TENANT_ID)
        etag = await _current_etag(shop)
        answers = [await shop.get(DASHBOARD, **{"If-None-Match": etag}) for _ in range(3)]
        assert [a.status_code for a in answers] == [304, 304, 429]
        assert answers[1].headers["ratelimit"].startswith('"commerce.read";r=0;')
        assert answered_early(shop) == 2


async def test_a_validator_does_not_outlive_the_utc_day(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(revalidation, "_seconds_to_next_utc_midnight", lambda: 0.0)
    etag = await _current_etag(shop)
    # Still current (same window, same data): the route itself answers 304.
    assert (await shop.get(DASHBOARD, **{"If-None-Match": etag})).status_code == 304
    assert answered_early(shop) == 0


async def test_no_watermark_copies_means_no_shortcut(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(
        sqlite_url, packs=[PACK], rate_limit_enabled=False, watermark_cache_seconds=0
    ) as client:
        shop = await make_shop(client, DEFAULT_TENANT_ID)
        etag = await _current_etag(shop)
        assert (await shop.get(DASHBOARD, **{"If-None-Match": etag})).status_code == 304
        assert answered_early(shop) == 0
        assert len(client.app.state.early_answers.validators) == 0  # type: ignore[attr-defined]


async def test_tenants_with_the_same_url_keep_separate_validators(
    shop: Shop, other_shop: Shop
) -> None:
    own = await _current_etag(shop)
    theirs = await _current_etag(other_shop)
    assert own != theirs
    assert (await shop.get(DASHBOARD, **{"If-None-Match": own})).status_code == 304
    assert (await other_shop.get(DASHBOARD, **{"If-None-Match": theirs})).status_code == 304
    assert answered_early(shop) == 2
