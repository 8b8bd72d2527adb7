"""Deciding what a (re)subscribing client is sent: the exact missed messages, or a fresh start."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vantage.core.realtime.backends.base import HistoryRead
from vantage.core.realtime.channels import ChannelSpec
from vantage.core.realtime.messages import Message, Position


class Outcome(StrEnum):
    FRESH = "fresh"  # no ``since``: nothing to recover
    RECOVERED = "recovered"  # every missed message is replayed
    EPOCH_CHANGED = "epoch_changed"  # the history the client knew is gone (restart, expiry)
    GAP = "gap"  # same epoch, but missed messages were trimmed or expired


@dataclass(frozen=True)
class Recovery:
    outcome: Outcome
    position: Position
    replay: list[Message]
    resumed_from: Position | None = None  # set when recovered: the replay starts after it

    @property
    def recovered(self) -> bool:
        return self.outcome is Outcome.RECOVERED


def _missed_intact(read: HistoryRead, since: Position, horizon: float) -> bool:
    wanted = read.position.offset - since.offset
    missed = read.missed
    return (
        len(missed) == wanted
        and missed[0].offset == since.offset + 1
        and missed[-1].offset == read.position.offset
        and missed[0].published_at >= horizon
    )


def plan_recovery(
    read: HistoryRead, since: Position | None, spec: ChannelSpec, now: float
) -> Recovery:
    """Replay exactly the messages after ``since``, or (when that is impossible) the latest
    message of a cache-mode channel."""
    horizon = now - spec.history_ttl_seconds
    if since is not None and since.epoch == read.position.epoch:
        if since.offset == read.position.offset:
            return Recovery(Outcome.RECOVERED, read.position, [], since)
        if since.offset < read.position.offset and _missed_intact(read, since, horizon):
            return Recovery(Outcome.RECOVERED, read.position, list(read.missed), since)
        outcome = Outcome.GAP
    else:
        outcome = Outcome.FRESH if since is None else Outcome.EPOCH_CHANGED
    latest = read.latest
    snapshot = (
        [latest] if spec.cache and latest is not None and latest.published_at >= horizon else []
    )
    return Recovery(outcome, read.position, snapshot)
