"""What packs declare: job handlers by kind, and cron schedules that enqueue them."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from croniter import croniter

if TYPE_CHECKING:
    from vantage.core.jobs.context import JobContext

JobHandler = Callable[["JobContext", dict[str, Any]], Coroutine[Any, Any, dict[str, Any] | None]]
"""``async def handler(ctx, params) -> dict | None``; the dict is stored as the job's result."""

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


class JobDefinitionError(ValueError):
    """A pack declares a job kind or schedule that cannot work."""


@dataclass(frozen=True)
class Schedule:
    """Enqueue ``kind`` with ``params`` at every minute matching ``cron`` (5 fields, UTC).

    ``per_tenant`` runs one job per tenant; otherwise one job in the default tenant.
    """

    cron: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    per_tenant: bool = False

    def __post_init__(self) -> None:
        if len(self.cron.split()) != 5 or not croniter.is_valid(self.cron):
            raise JobDefinitionError(
                f"schedule for {self.kind!r}: {self.cron!r} is not a 5-field cron expression"
            )

    def matches(self, minute: datetime) -> bool:
        """Whether the minute starting at ``minute`` (UTC) is one of this schedule's slots."""
        return bool(croniter.match(self.cron, minute))


class DeclaresJobs(Protocol):
    """What job kinds are collected from (a ``Pack``), without this module knowing packs."""

    @property
    def name(self) -> str: ...

    @property
    def jobs(self) -> Mapping[str, JobHandler]: ...

    @property
    def schedules(self) -> Sequence[Schedule]: ...


@dataclass(frozen=True)
class JobKinds:
    """Every job kind and schedule of the enabled packs."""

    handlers: Mapping[str, JobHandler] = field(default_factory=dict)
    schedules: tuple[Schedule, ...] = ()

    @classmethod
    def from_packs(cls, packs: Iterable[DeclaresJobs]) -> JobKinds:
        """Collect the packs' kinds; a kind declared twice or scheduled but unknown is refused."""
        handlers: dict[str, JobHandler] = {}
        owners: dict[str, str] = {}
        schedules: list[Schedule] = []
        for pack in packs:
            for kind, handler in pack.jobs.items():
                if not KIND_PATTERN.match(kind):
                    raise JobDefinitionError(
                        f"pack {pack.name!r}: job kind {kind!r} must look like 'pack.action'"
                    )
                if kind in handlers:
                    raise JobDefinitionError(
                        f"job kind {kind!r} is declared by packs {owners[kind]!r} and {pack.name!r}"
                    )
                handlers[kind], owners[kind] = handler, pack.name
            schedules.extend(pack.schedules)
        for schedule in schedules:
            if schedule.kind not in handlers:
                raise JobDefinitionError(f"a schedule names the unknown job kind {schedule.kind!r}")
        return cls(handlers=handlers, schedules=tuple(schedules))
