"""The demo data set loads through the ingest services and yields plausible figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.packs.commerce.support import open_database
from vantage.core.packs import DemoContext
from vantage.core.windows import TimeWindow
from vantage.packs.delivery.demo import load_demo
from vantage.packs.delivery.service.dora import DoraFilter, dora
from vantage.packs.delivery.service.work_items import work_item_texts


async def test_the_demo_yields_every_figure(sqlite_url: str, make_settings: Any) -> None:
    async with open_database(sqlite_url) as database:
        progress: list[tuple[int, int]] = []
        context = DemoContext(
            settings=make_settings(database_url=sqlite_url), database=database, tenant_id=1,
            scale="small", progress=lambda done, total: progress.append((done, total)),
        )  # fmt: skip
        summary = await load_demo(context)
        assert summary.endswith("over 8 weeks") and progress[-1] == (56, 56)
        end = datetime.now(UTC) + timedelta(days=1)
        async with database.reader() as session:
            figures = await dora(
                session, 1, DoraFilter(), TimeWindow(end - timedelta(weeks=9), end)
            )
            core = await dora(
                session, 1, DoraFilter(team="core"), TimeWindow(end - timedelta(weeks=9), end)
            )
            items = await work_item_texts(session, 1)
    assert figures.deployment_frequency.deployments > 30
    assert figures.lead_time.count > 100 and figures.lead_time.p50_seconds is not None
    assert figures.coverage.pull_requests_linked_pct is not None
    assert figures.coverage.pull_requests_linked_pct > 80
    assert (
        figures.change_failure_rate.rate is not None and 0 < figures.change_failure_rate.rate < 0.5
    )
    assert 0 < core.deployment_frequency.deployments < figures.deployment_frequency.deployments
    estimable = [item for item in items if item.finished and item.story_points is not None]
    assert len(estimable) > 30 and len(estimable) < len(items)
