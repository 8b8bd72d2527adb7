"""Large request bodies are parsed in a worker thread, small ones in place."""

from __future__ import annotations

import threading

import pytest

from vantage.core.offload import OFF_LOOP_BYTES, parse_off_loop


def _thread_of(body: bytes) -> int:
    if body.startswith(b"!"):
        raise ValueError("unreadable")
    return threading.get_ident()


async def test_a_small_body_is_parsed_on_the_event_loop_thread() -> None:
    assert await parse_off_loop(_thread_of, b"x" * (OFF_LOOP_BYTES - 1)) == threading.get_ident()


async def test_a_large_body_is_parsed_in_another_thread() -> None:
    assert await parse_off_loop(_thread_of, b"x" * OFF_LOOP_BYTES) != threading.get_ident()


async def test_a_parse_error_reaches_the_caller_from_either_thread() -> None:
    for size in (1, OFF_LOOP_BYTES):
        with pytest.raises(ValueError, match="unreadable"):
            await parse_off_loop(_thread_of, b"!" * size)
