"""Retention, as one function the job scheduler (or the lease holder) calls on a schedule.

Raw data (event ids, 1 s bars, logs) is kept ``raw_retention_hours``, 1 min bars
``minute_retention_days``, 1 h bars and daily rollups ``hour_retention_days``, orders and fills
``trade_retention_days``. Rollups are complete at every resolution as they are written, so
deleting a finer resolution never changes a coarser one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from vantage.core.db import Database
from vantage.packs.trading.domain.bars import HOUR, MINUTE, SECOND
from vantage.packs.trading.repository import retention as repo
from vantage.packs.trading.settings import TradingSettings


@dataclass
class RetentionReport:
    """How many rows each kind of data lost."""

    raw_events: int = 0
    second_bars: int = 0
    minute_bars: int = 0
    hour_bars: int = 0
    logs: int = 0
    trades: int = 0
    daily_rollups: int = 0
    alerts: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


async def run_retention(
    database: Database, settings: TradingSettings, now: datetime
) -> RetentionReport:
    """Delete everything past its retention; safe to run at any time and more than once."""
    raw_cutoff = now - timedelta(hours=settings.raw_retention_hours)
    minute_cutoff = now - timedelta(days=settings.minute_retention_days)
    hour_cutoff = now - timedelta(days=settings.hour_retention_days)
    trade_cutoff = now - timedelta(days=settings.trade_retention_days)
    report = RetentionReport()
    async with database.transaction() as session:
        report.raw_events = await repo.delete_raw_events(session, raw_cutoff)
        report.second_bars = await repo.delete_bars(session, SECOND, raw_cutoff)
        report.logs = await repo.delete_logs(session, raw_cutoff)
    async with database.transaction() as session:
        report.minute_bars = await repo.delete_bars(session, MINUTE, minute_cutoff)
        report.hour_bars = await repo.delete_bars(session, HOUR, hour_cutoff)
        report.daily_rollups = await repo.delete_daily_rollups(session, hour_cutoff.date())
        report.alerts = await repo.delete_resolved_alerts(session, hour_cutoff)
    async with database.transaction() as session:
        report.trades = await repo.delete_trades(session, trade_cutoff)
    return report


async def retention_job(database: Database, settings: TradingSettings) -> dict[str, int]:
    """The ``trading.retention`` job: run retention now; the counts become the job's result."""
    report = await run_retention(database, settings, datetime.now(UTC))
    return report.as_dict()
