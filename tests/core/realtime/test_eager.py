from __future__ import annotations

import asyncio

import pytest

from vantage.core.realtime import eager


async def test_a_coroutine_that_never_suspends_completes_in_the_caller() -> None:
    ran = []

    async def send() -> None:
        ran.append("sent")

    assert eager.start(send()) is eager.COMPLETED
    assert ran == ["sent"]


async def test_a_suspended_coroutine_is_finished_later_with_its_outcome() -> None:
    writable = asyncio.Event()
    steps = []

    async def send() -> None:
        steps.append("waiting")
        await writable.wait()
        await asyncio.sleep(0)
        steps.append("sent")

    sending = send()
    pending = eager.start(sending)
    assert pending is not eager.COMPLETED and steps == ["waiting"]
    finisher = asyncio.create_task(eager.finish(sending, pending))
    await asyncio.sleep(0.01)
    assert not finisher.done()
    writable.set()
    await asyncio.wait_for(finisher, 1)
    assert steps == ["waiting", "sent"]


async def test_cancelling_the_finisher_cancels_the_suspended_coroutine() -> None:
    cleaned = []

    async def send() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.append(True)

    sending = send()
    finisher = asyncio.create_task(eager.finish(sending, eager.start(sending)))
    await asyncio.sleep(0)
    finisher.cancel()
    with pytest.raises(asyncio.CancelledError):
        await finisher
    assert cleaned == [True]


async def test_errors_surface_where_the_coroutine_is_running() -> None:
    async def broken() -> None:
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        eager.start(broken())

    gate = asyncio.Event()

    async def fails_later() -> None:
        await gate.wait()
        raise ConnectionResetError

    sending = fails_later()
    finisher = asyncio.create_task(eager.finish(sending, eager.start(sending)))
    gate.set()
    with pytest.raises(ConnectionResetError):
        await finisher


async def test_other_awaitables_are_simply_awaited() -> None:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    assert eager.start(future) is eager.NOT_STARTED
    future.set_result(None)
    await eager.finish(future, eager.NOT_STARTED)
