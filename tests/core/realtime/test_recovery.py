from __future__ import annotations

import time

from vantage.core.realtime.backends.base import HistoryRead
from vantage.core.realtime.channels import ChannelSpec
from vantage.core.realtime.messages import Message, Position
from vantage.core.realtime.recovery import Outcome, plan_recovery

NOW = time.time()
SPEC = ChannelSpec("rtt.feed", history_ttl_seconds=60)
CACHED = ChannelSpec("rtt.snapshot", cache=True, history_ttl_seconds=60)


def _messages(first: int, last: int, epoch: str = "e1", at: float = NOW) -> list[Message]:
    return [Message("rtt.feed", epoch, offset, at, "{}") for offset in range(first, last + 1)]


def _read(offset: int, missed: list[Message], latest: Message | None = None) -> HistoryRead:
    return HistoryRead(Position("e1", offset), missed, latest)


def test_every_missed_message_is_replayed_in_order() -> None:
    missed = _messages(11, 60)
    plan = plan_recovery(_read(60, missed), Position("e1", 10), SPEC, NOW)
    assert plan.outcome is Outcome.RECOVERED and plan.recovered
    assert [m.offset for m in plan.replay] == list(range(11, 61))


def test_nothing_missed_is_a_recovery_with_nothing_to_replay() -> None:
    plan = plan_recovery(_read(7, []), Position("e1", 7), SPEC, NOW)
    assert plan.recovered and plan.replay == []


def test_a_trimmed_history_is_a_gap() -> None:
    plan = plan_recovery(_read(60, _messages(20, 60)), Position("e1", 10), SPEC, NOW)
    assert plan.outcome is Outcome.GAP and plan.replay == []


def test_messages_older_than_the_ttl_are_not_replayed() -> None:
    stale = _messages(11, 12, at=NOW - 61)
    plan = plan_recovery(_read(12, stale), Position("e1", 10), SPEC, NOW)
    assert plan.outcome is Outcome.GAP


def test_another_epoch_is_not_recovered_but_a_cache_channel_sends_its_latest() -> None:
    latest = _messages(3, 3, epoch="e2")[0]
    read = HistoryRead(Position("e2", 3), [], latest)
    assert plan_recovery(read, Position("e1", 10), SPEC, NOW).replay == []
    plan = plan_recovery(read, Position("e1", 10), CACHED, NOW)
    assert plan.outcome is Outcome.EPOCH_CHANGED and plan.replay == [latest]


def test_an_offset_from_the_future_is_not_recovered() -> None:
    plan = plan_recovery(_read(5, []), Position("e1", 9), SPEC, NOW)
    assert plan.outcome is Outcome.GAP


def test_a_fresh_subscription_gets_the_latest_value_of_a_cache_channel_unless_expired() -> None:
    latest = _messages(4, 4)[0]
    plan = plan_recovery(_read(4, [], latest), None, CACHED, NOW)
    assert plan.outcome is Outcome.FRESH and plan.replay == [latest]
    expired = _messages(4, 4, at=NOW - 61)[0]
    assert plan_recovery(_read(4, [], expired), None, CACHED, NOW).replay == []
