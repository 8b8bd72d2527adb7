"""System collector: host metrics (psutil), component health from heartbeats, recent logs, rates.

A component is ``degraded`` when it says so or when its heartbeats went stale (none for
``max(component_stale_seconds, 3 x its announced interval)``), and ``down`` when it says so.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

from vantage.packs.trading.ingest.events import Heartbeat, LogEvent
from vantage.packs.trading.live.collectors.base import Collector
from vantage.packs.trading.live.collectors.snapshot import (
    AlertSnapshot,
    ComponentSnapshot,
    HostSnapshot,
    LogSnapshot,
    SystemSnapshot,
)

RATE_WINDOW_SECONDS = 10
SEVERITY_STATUS = {"critical": "down", "warning": "degraded", "info": "ok"}
STATUS_RANK = {"ok": 0, "degraded": 1, "down": 2}


class HostSampler:
    """Samples the host once per call; CPU is the utilisation since the previous sample."""

    def __init__(self, disk_path: Path) -> None:
        self.disk_path = disk_path
        self.latest = HostSnapshot(
            cpu_percent=None,
            memory_percent=None,
            memory_used_bytes=None,
            disk_percent=None,
            load_average=None,
            sampled_at=None,
        )
        psutil.cpu_percent(interval=None)  # primes the counter the next call measures against

    def sample(self) -> HostSnapshot:
        memory = psutil.virtual_memory()
        path = self.disk_path if self.disk_path.exists() else Path(os.sep)
        self.latest = HostSnapshot(
            cpu_percent=psutil.cpu_percent(interval=None),
            memory_percent=memory.percent,
            memory_used_bytes=memory.used,
            disk_percent=psutil.disk_usage(str(path)).percent,
            load_average=[round(value, 2) for value in os.getloadavg()],
            sampled_at=datetime.now(UTC),
        )
        return self.latest


@dataclass
class ComponentState:
    name: str
    reported_status: str
    last_heartbeat_at: datetime
    heartbeats: int
    interval_seconds: float | None = None
    details: dict[str, object] = field(default_factory=dict)


def component_health(
    component: ComponentState, now: datetime, stale_after: float
) -> tuple[str, bool]:
    """(effective status, whether its heartbeats are stale)."""
    allowed = stale_after
    if component.interval_seconds:
        allowed = max(stale_after, 3 * component.interval_seconds)
    stale = (now - component.last_heartbeat_at).total_seconds() > allowed
    if component.reported_status == "down":
        return "down", stale
    if stale or component.reported_status == "degraded":
        return "degraded", stale
    return "ok", stale


class IngestRate:
    """Accepted events per second over a sliding window of whole seconds."""

    def __init__(self) -> None:
        self.total = 0
        self._buckets: deque[tuple[int, int]] = deque()

    def add(self, count: int, now: float | None = None) -> None:
        second = int(now if now is not None else time.monotonic())
        self.total += count
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1] = (second, self._buckets[-1][1] + count)
        else:
            self._buckets.append((second, count))

    def per_second(self, now: float | None = None) -> float:
        second = int(now if now is not None else time.monotonic())
        while self._buckets and self._buckets[0][0] <= second - RATE_WINDOW_SECONDS:
            self._buckets.popleft()
        return sum(count for _, count in self._buckets) / RATE_WINDOW_SECONDS


class SystemCollector(Collector):
    """One tenant's components, recent logs and ingest rate; alerts are set by the evaluator."""

    name = "system"

    def __init__(self, recent_logs: int, stale_after: float) -> None:
        super().__init__()
        self.components: dict[str, ComponentState] = {}
        self.logs: deque[LogSnapshot] = deque(maxlen=recent_logs)
        self.alerts: list[AlertSnapshot] = []
        self.rate = IngestRate()
        self.stale_after = stale_after

    def apply_heartbeats(self, beats: Iterable[Heartbeat]) -> None:
        for beat in beats:
            held = self.components.get(beat.component)
            if held is None:
                self.components[beat.component] = ComponentState(
                    beat.component,
                    beat.status,
                    beat.ts,
                    1,
                    beat.interval_seconds,
                    dict(beat.details),
                )
                continue
            held.heartbeats += 1
            if beat.ts >= held.last_heartbeat_at:
                held.reported_status = beat.status
                held.last_heartbeat_at = beat.ts
                held.interval_seconds = beat.interval_seconds
                held.details = dict(beat.details)

    def apply_logs(self, lines: Iterable[LogEvent]) -> None:
        for line in lines:
            self.logs.append(
                LogSnapshot(
                    ts=line.ts, level=line.level, component=line.component, message=line.message
                )
            )

    def component_snapshots(self, now: datetime) -> list[ComponentSnapshot]:
        found = []
        for name in sorted(self.components):
            component = self.components[name]
            status, stale = component_health(component, now, self.stale_after)
            found.append(
                ComponentSnapshot(
                    name=name,
                    status=status,
                    reported_status=component.reported_status,
                    stale=stale,
                    last_heartbeat_at=component.last_heartbeat_at,
                    seconds_since_heartbeat=round(
                        (now - component.last_heartbeat_at).total_seconds(), 3
                    ),
                    heartbeats=component.heartbeats,
                    details=component.details,
                )
            )
        return found

    def snapshot(self, host: HostSnapshot, now: datetime) -> SystemSnapshot:
        components = self.component_snapshots(now)
        worst = max(
            [STATUS_RANK[c.status] for c in components]
            + [
                STATUS_RANK[SEVERITY_STATUS.get(a.severity, "degraded")]
                for a in self.alerts
                if a.status == "active"
            ],
            default=0,
        )
        return SystemSnapshot(
            status=next(name for name, rank in STATUS_RANK.items() if rank == worst),
            host=host,
            components=components,
            alerts=list(self.alerts),
            logs=list(reversed(self.logs)),
            events_per_second=self.rate.per_second(),
            events_total=self.rate.total,
        )


def parse_details(text: str) -> dict[str, object]:
    """Component details as stored (JSON text)."""
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}
