"""In-process building blocks for tests of the job machinery without an app."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from tests.support.testpack import PACK as TEST_PACK
from vantage.core.jobs.broker import Dispatcher
from vantage.core.jobs.kinds import JobKinds
from vantage.core.jobs.publisher import NullPublisher
from vantage.core.jobs.service import JobService

T0 = datetime(2030, 1, 7, 10, 0, 5, tzinfo=UTC)


class RecordingDispatcher(Dispatcher):
    """Records the job ids sent instead of talking to a broker."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, job_ids: Iterable[str]) -> None:
        self.sent.extend(job_ids)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_service(dispatcher: Dispatcher, clock: FakeClock, max_attempts: int = 3) -> JobService:
    return JobService(
        JobKinds.from_packs([TEST_PACK]),
        dispatcher,
        NullPublisher(),
        default_max_attempts=max_attempts,
        clock=clock,
    )
