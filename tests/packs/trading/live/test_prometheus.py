"""Trading figures on ``/metrics`` for Prometheus, from the collectors' latest snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.packs.trading.api.test_routes import trading_settings
from tests.packs.trading.support import fill, order, tick
from tests.support.auth import create_user, headers_for
from tests.support.realtime import serve
from vantage.app import create_app
from vantage.config import Settings
from vantage.core.auth.models import Role
from vantage.packs.trading.pack import create_pack


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_pnl_positions_fill_rate_and_rates_are_exported(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    app = create_app(
        make_settings(database_url=sqlite_url), packs=[create_pack(trading_settings())]
    )
    now = datetime.now(UTC)
    events = [
        tick("t1", -3, last=100, size=5, base=now, symbol="AAPL"),
        order("e-o1", "o1", -2, base=now, qty="10", arrival_mid="100"),
        fill("f1", "o1", -1, "4", "100.5", base=now),
    ]
    async with serve(app) as server, httpx.AsyncClient(base_url=server.http_url) as api:
        admin = await create_user(app, Role.ADMIN)
        answer = await api.post(
            "/api/v1/trading/events", json={"events": events}, headers=headers_for(app, admin)
        )
        assert answer.status_code == 200, answer.text
        samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for _ in range(50):  # the collectors apply the batch within a few snapshots
            samples = _samples((await api.get("/metrics")).text)
            if ("vantage_trading_fill_rate", (("tenant", "1"),)) in samples:
                break
            await asyncio.sleep(0.1)

    assert samples[("vantage_trading_fill_rate", (("tenant", "1"),))] == 0.4
    positions = {
        key: value for key, value in samples.items() if key[0] == "vantage_trading_position_qty"
    }
    assert list(positions.values()) == [4.0]
    assert any(key[0] == "vantage_trading_realized_pnl" for key in samples)
    assert samples[("vantage_trading_slippage_bps", (("tenant", "1"),))] == 50.0
    assert ("vantage_trading_events_per_second", (("tenant", "1"),)) in samples
    assert (
        samples[("vantage_trading_orders", (("state", "partially_filled"), ("tenant", "1")))] == 1
    )
    assert (
        samples[("vantage_trading_collector_isolated", (("collector", "market"), ("tenant", "1")))]
        == 0
    )
