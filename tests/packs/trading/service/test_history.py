"""History answers from the right resolution and merges it exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.packs.trading.support import Recorder, tick
from vantage.core.db import Database
from vantage.core.errors import ValidationFailed
from vantage.packs.trading.domain.bars import HOUR, MINUTE, SECOND
from vantage.packs.trading.schemas import HistoryRequest
from vantage.packs.trading.service.history import choose_resolution, history


def test_the_coarsest_dividing_resolution_answers() -> None:
    assert [choose_resolution(s) for s in (1, 5, 15, 60, 300, 900, 3600, 14_400, 86_400)] == [
        SECOND,
        SECOND,
        SECOND,
        MINUTE,
        MINUTE,
        MINUTE,
        HOUR,
        HOUR,
        HOUR,
    ]


def _request(start: datetime, **values: object) -> HistoryRequest:
    return HistoryRequest.model_validate({"symbols": ["AAPL"], "from": start.isoformat(), **values})


async def test_five_minute_bars_merge_the_minutes_exactly(
    recorder: Recorder, database: Database
) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    prints = [(seconds, 100 + (seconds % 7) / 8, 1 + seconds % 5) for seconds in range(0, 900, 13)]
    await recorder.send(
        *(tick(f"t{s}", s, last=price, size=size, base=hour) for s, price, size in prints)
    )
    request = _request(
        hour,
        to=(hour + timedelta(minutes=15)).isoformat(),
        interval="5m",
        fields=["open", "high", "low", "close", "vwap", "volume", "trades"],
    )
    async with database.reader() as session:
        answer = await history(session, 1, request, recorder.settings)
    assert answer.resolution == "1m"
    points = answer.series[0].points
    assert [p.ts for p in points] == [hour + timedelta(minutes=5 * k) for k in range(3)]
    for k, point in enumerate(points):
        mine = [(p, q) for s, p, q in prints if 300 * k <= s < 300 * (k + 1)]
        assert point.values["open"] == mine[0][0] and point.values["close"] == mine[-1][0]
        assert point.values["high"] == max(p for p, _ in mine)
        assert point.values["low"] == min(p for p, _ in mine)
        assert point.values["volume"] == sum(q for _, q in mine)
        assert point.values["trades"] == len(mine)
        assert point.values["vwap"] == sum(p * q for p, q in mine) / sum(q for _, q in mine)


async def test_impossible_requests_are_refused(recorder: Recorder, database: Database) -> None:
    now = datetime.now(UTC)
    bad = [
        _request(now, to=(now - timedelta(hours=1)).isoformat()),  # ends before it starts
        _request(now - timedelta(hours=23), interval="1s"),  # 82,800 points
        _request(now - timedelta(days=40), interval="1m"),  # minute bars are kept 30 days
    ]
    async with database.reader() as session:
        for request in bad:
            with pytest.raises(ValidationFailed):
                await history(session, 1, request, recorder.settings, now)
        empty = await history(session, 1, _request(now - timedelta(hours=2)), recorder.settings)
    assert empty.series[0].points == []
