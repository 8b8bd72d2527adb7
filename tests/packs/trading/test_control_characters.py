"""A trading event with a NUL in its text is refused alone, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from tests.packs.trading.support import Recorder, at, tick


def _log(event_id: str, message: str) -> dict[str, object]:
    return {
        "type": "log",
        "id": event_id,
        "ts": at(1),
        "level": "error",
        "component": "engine",
        "message": message,
    }


async def test_control_characters_refuse_only_their_event(recorder: Recorder) -> None:
    outcome = await recorder.send(
        tick("t1", 0, last=100, size=1),
        _log("bad", "disk full\x00"),
        _log("good", "disk full\n  at /var\tretrying"),
    )
    assert outcome.accepted == 2
    assert [(e.index, e.event_id, e.loc) for e in outcome.errors] == [(1, "bad", ["message"])]
