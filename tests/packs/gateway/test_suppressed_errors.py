"""Errors the gateway carries on after are logged with their traceback and counted by place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from tests.packs.gateway.conftest import GatewayFactory, Upstreams
from tests.packs.gateway.identities import api_key, bearer
from tests.packs.gateway.support import record, usage_count
from vantage.config import Settings
from vantage.core.context import CoreServices
from vantage.core.db import Database
from vantage.core.suppressed import SuppressedErrors
from vantage.packs.gateway.usage.record import UsageRecord
from vantage.packs.gateway.usage.spool import UsageSpool
from vantage.packs.gateway.usage.writer import UsageMetrics, UsageWriter, WriterOptions

COUNTER = "vantage_suppressed_errors_total"


async def _failing_feed(records: list[UsageRecord]) -> None:
    raise RuntimeError("live feed down")


async def test_a_failing_live_feed_is_logged_and_counted_and_the_rows_are_kept(
    sqlite_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    database = Database(make_settings(database_url=sqlite_url))
    registry = CollectorRegistry()
    options = WriterOptions(
        queue_size=100, batch_size=50, flush_interval=0.01, drain_seconds=5, replay_interval=60
    )
    writer = UsageWriter(
        database,
        UsageSpool(tmp_path / "spool"),
        options,
        UsageMetrics(registry),
        SuppressedErrors(registry),
    )
    writer.on_stored = _failing_feed
    with capture_logs() as logs:
        await writer.start()
        writer.submit(record())
        await writer.flush()
        await writer.close()
    stored = await usage_count(database)
    await database.dispose()

    assert stored == 1
    assert registry.get_sample_value(COUNTER, {"where": "gateway.usage.live_feed"}) == 1
    [entry] = [e for e in logs if e.get("where") == "gateway.usage.live_feed"]
    assert entry["log_level"] == "warning"
    assert entry["exc_info"] is True


async def test_an_unsettled_budget_is_logged_as_an_error_and_the_answer_still_goes_out(
    sqlite_url: str,
    upstreams: Upstreams,
    gateway_for: GatewayFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = {"budgets": [{"scope": "tenant", "period": "day", "limit_usd": "100"}]}
    async with gateway_for(sqlite_url, upstreams, config=config) as gateway:

        async def broken_settle(*args: object) -> None:
            raise RuntimeError("ledger unavailable")

        monkeypatch.setattr(gateway.runtime.budgets, "settle", broken_settle)
        headers = bearer(await api_key(gateway.app))
        body = {"model": "oa/gpt-4o-mini", "message": "q"}
        with capture_logs() as logs:
            async with gateway.client() as http:
                response = await http.post("/api/v1/chat/send", json=body, headers=headers)
        core: CoreServices = gateway.app.state.core
        settled = core.metrics_registry.get_sample_value(
            COUNTER, {"where": "gateway.budget_settlement"}
        )

    assert response.status_code == 200
    assert settled == 1
    [entry] = [e for e in logs if e.get("where") == "gateway.budget_settlement"]
    assert entry["log_level"] == "error"
    assert entry["exc_info"] is True
    assert entry["request_id"] == response.headers["X-Vantage-Usage-Id"]
