from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import BaseModel

from vantage.core.realtime.messages import Message, Position, serialize_data


class Tick(BaseModel):
    symbol: str
    price: Decimal
    at: datetime


def test_positions_read_back_from_event_ids() -> None:
    position = Position("9f3c2a17b4d0e611", 41)
    assert Position.parse(str(position)) == position == ("9f3c2a17b4d0e611", 41)
    for bad in ["", "41", "abc:", ":4", "e:-1", "e:1.5", "x" * 65 + ":1"]:
        with pytest.raises(ValueError):
            Position.parse(bad)


def test_a_message_is_serialized_once_and_the_same_frame_is_reused() -> None:
    data = serialize_data(
        Tick(symbol="BTC", price=Decimal("1.10"), at=datetime(2025, 1, 1, tzinfo=UTC))
    )
    message = Message("trading.metrics", "e1", 7, 1735689600.1234, data)
    frame = message.ws_frame
    assert message.ws_frame is frame
    assert json.loads(frame) == {
        "op": "message",
        "channel": "trading.metrics",
        "epoch": "e1",
        "offset": 7,
        "ts": 1735689600123,
        "data": {"symbol": "BTC", "price": "1.10", "at": "2025-01-01T00:00:00Z"},
    }
    event = message.sse_frame
    assert message.sse_frame is event
    assert event == f"id: e1:7\ndata: {frame}\n\n".encode()
