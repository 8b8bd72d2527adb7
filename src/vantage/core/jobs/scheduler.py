"""Enqueues the packs' cron schedules; each minute slot once, however many schedulers run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog

from vantage.core.db import Database, utcnow
from vantage.core.jobs import repository
from vantage.core.jobs.kinds import Schedule
from vantage.core.jobs.service import JobService
from vantage.core.lease.runner import Clock

DEFAULT_TENANT_ID = 1
MINUTE = timedelta(minutes=1)

logger = structlog.get_logger("vantage.jobs")


def dedupe_key(kind: str, slot: datetime) -> str:
    """The key of one scheduled run: ``kind@YYYY-MM-DDTHH:MMZ``."""
    return f"{kind}@{slot:%Y-%m-%dT%H:%M}Z"


def minute_slots(after: datetime, until: datetime) -> list[datetime]:
    """Starts of the minutes in the interval (after, until]."""
    first = after.replace(second=0, microsecond=0) + MINUTE
    last = until.replace(second=0, microsecond=0)
    slots = []
    while first <= last:
        slots.append(first)
        first += MINUTE
    return slots


class Scheduler:
    """Each tick enqueues the schedules due in the minutes since the previous tick.

    A first tick (a fresh process, or one that just took the lease over) looks back
    ``lookback_seconds``, so slots that fell between the old holder's last tick and the take-over
    are not missed. Runs are inserted with ``dedupe_key = kind@minute``: a slot seen by two
    schedulers is enqueued once.
    """

    def __init__(
        self,
        database: Database,
        service: JobService,
        schedules: Sequence[Schedule],
        *,
        lookback_seconds: float,
        clock: Clock = utcnow,
    ) -> None:
        self.database = database
        self.service = service
        self.schedules = tuple(schedules)
        self.lookback = timedelta(seconds=lookback_seconds)
        self.clock = clock
        self._last_tick: datetime | None = None

    async def tick(self) -> int:
        """Enqueue what is due; returns how many jobs this tick created."""
        now = self.clock()
        floor = now - self.lookback
        if self._last_tick is None or self._last_tick < floor:
            # First tick, or a long pause: the slots of the look-back window, its start included.
            slots = minute_slots(floor - timedelta(microseconds=1), now)
        else:
            slots = minute_slots(self._last_tick, now)
        due = [
            (schedule, slot)
            for slot in slots
            for schedule in self.schedules
            if schedule.matches(slot)
        ]
        created = await self._enqueue(due) if due else 0
        self._last_tick = now
        return created

    async def _enqueue(self, due: list[tuple[Schedule, datetime]]) -> int:
        created = 0
        async with self.database.transaction() as session:
            tenants: Sequence[int] = [DEFAULT_TENANT_ID]
            if any(schedule.per_tenant for schedule, _ in due):
                tenants = await repository.tenant_ids(session)
            for schedule, slot in due:
                for tenant_id in tenants if schedule.per_tenant else [DEFAULT_TENANT_ID]:
                    job_id = await self.service.enqueue_once(
                        session,
                        tenant_id,
                        schedule.kind,
                        schedule.params,
                        dedupe_key(schedule.kind, slot),
                    )
                    created += job_id is not None
        if created:
            logger.info("scheduled jobs enqueued", count=created)
        return created
