"""Threshold alerts: which conditions hold now, and raising / resolving / acknowledging them.

An alert is keyed by (rule, subject). It is raised the first time its condition holds, stays
active (acknowledged or not) while it holds, and is resolved when it stops holding; the next
time it holds a new alert is raised. Acknowledging records who saw it and never resolves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import after_commit
from vantage.core.errors import Conflict, NotFound
from vantage.packs.trading.channels import ALERTS_CHANNEL, Publisher
from vantage.packs.trading.live.collectors.snapshot import AlertSnapshot, MetricsSnapshot
from vantage.packs.trading.models import Alert
from vantage.packs.trading.repository import alerts as repo
from vantage.packs.trading.settings import TradingSettings

MIN_ORDERS_FOR_REJECT_RATE = 20
AlertAction = Literal["raised", "resolved", "acknowledged"]


@dataclass(frozen=True)
class Condition:
    """A threshold that is crossed right now."""

    rule: str
    subject: str
    severity: str
    message: str
    value: float | None = None
    threshold: float | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.subject)


@dataclass(frozen=True)
class AlertChange:
    action: AlertAction
    alert: AlertSnapshot


def alert_snapshot(alert: Alert) -> AlertSnapshot:
    """A stored alert as clients see it."""
    return AlertSnapshot(
        id=alert.id,
        rule=alert.rule,
        subject=alert.subject,
        severity=alert.severity,
        status=alert.status,
        message=alert.message,
        value=alert.value,
        threshold=alert.threshold,
        raised_at=alert.raised_at,
        resolved_at=alert.resolved_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
    )


def _host_conditions(snapshot: MetricsSnapshot, settings: TradingSettings) -> list[Condition]:
    host = snapshot.system.host
    found = []
    for rule, label, value, threshold in (
        ("host_cpu", "CPU", host.cpu_percent, settings.cpu_alert_percent),
        ("host_memory", "memory", host.memory_percent, settings.memory_alert_percent),
        ("host_disk", "disk", host.disk_percent, settings.disk_alert_percent),
    ):
        if value is not None and value >= threshold:
            message = f"{label} at {value:.1f}% (threshold {threshold:.0f}%)"
            found.append(Condition(rule, "host", "warning", message, value, threshold))
    return found


def _component_conditions(snapshot: MetricsSnapshot) -> list[Condition]:
    found = []
    for component in snapshot.system.components:
        if component.status == "down":
            message = f"component {component.name} reports down"
            found.append(Condition("component", component.name, "critical", message))
        elif component.status == "degraded":
            message = (
                f"no heartbeat from {component.name} for {component.seconds_since_heartbeat:.0f} s"
                if component.stale
                else f"component {component.name} reports degraded"
            )
            found.append(Condition("component", component.name, "warning", message))
    return found


def _trading_conditions(snapshot: MetricsSnapshot, settings: TradingSettings) -> list[Condition]:
    found = []
    orders = snapshot.execution.orders
    if orders.submitted >= MIN_ORDERS_FOR_REJECT_RATE:
        rate = orders.rejected / orders.submitted
        if rate >= settings.reject_rate_alert:
            message = f"{rate:.0%} of today's {orders.submitted} orders were rejected"
            found.append(
                Condition(
                    "reject_rate", "execution", "warning", message, rate, settings.reject_rate_alert
                )
            )
    limit = settings.daily_loss_alert
    if limit is not None:
        for strategy in snapshot.strategies:
            if strategy.daily_pnl <= -limit:
                message = f"{strategy.strategy} is down {-strategy.daily_pnl:.2f} today"
                found.append(
                    Condition(
                        "daily_loss",
                        strategy.strategy,
                        "critical",
                        message,
                        float(strategy.daily_pnl),
                        float(-Decimal(limit)),
                    )
                )
    return found


def evaluate(snapshot: MetricsSnapshot, settings: TradingSettings) -> list[Condition]:
    """Every alert condition that holds in ``snapshot``."""
    return [
        *_host_conditions(snapshot, settings),
        *_component_conditions(snapshot),
        *_trading_conditions(snapshot, settings),
    ]


async def active_alerts(
    session: AsyncSession, tenant_ids: list[int]
) -> dict[int, list[AlertSnapshot]]:
    """Each tenant's active alerts."""
    return {
        tenant_id: [alert_snapshot(alert) for alert in await repo.active_alerts(session, tenant_id)]
        for tenant_id in tenant_ids
    }


def needs_changes(active: list[AlertSnapshot], conditions: list[Condition]) -> bool:
    """Whether some alert must be raised or resolved for ``conditions`` to be reflected."""
    return {(alert.rule, alert.subject) for alert in active} != {c.key for c in conditions}


async def reconcile(
    session: AsyncSession, tenant_id: int, conditions: list[Condition], now: datetime
) -> tuple[list[AlertChange], list[AlertSnapshot]]:
    """Raise new conditions, resolve cleared ones; returns the changes and the active alerts."""
    active = {
        (alert.rule, alert.subject): alert for alert in await repo.active_alerts(session, tenant_id)
    }
    wanted = {condition.key: condition for condition in conditions}
    changes: list[AlertChange] = []
    for key, condition in wanted.items():
        if key in active:
            continue
        alert = await repo.add_alert(
            session,
            Alert(
                tenant_id=tenant_id,
                rule=condition.rule,
                subject=condition.subject,
                severity=condition.severity,
                status=repo.ACTIVE,
                message=condition.message[:400],
                value=condition.value,
                threshold=condition.threshold,
                raised_at=now,
            ),
        )
        active[key] = alert
        changes.append(AlertChange("raised", alert_snapshot(alert)))
    for key in list(active):
        if key not in wanted:
            alert = await repo.resolve_alert(session, active.pop(key), now)
            changes.append(AlertChange("resolved", alert_snapshot(alert)))
    current = sorted(active.values(), key=lambda alert: (alert.raised_at, alert.id))
    return changes, [alert_snapshot(alert) for alert in current]


async def acknowledge(
    session: AsyncSession, tenant_id: int, alert_id: int, by: str, now: datetime
) -> tuple[AlertSnapshot, bool]:
    """Acknowledge one active alert; (the alert, whether this call acknowledged it).

    404 if unknown; 409 if it was resolved before anyone acknowledged it: there is nothing left
    to take on, and the record should not claim someone saw it while it was live.
    """
    changed = await repo.acknowledge_alert(session, tenant_id, alert_id, by, now)
    alert = await repo.alert_by_id(session, tenant_id, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist")
    await session.refresh(alert)
    if not changed and alert.acknowledged_at is None:
        raise Conflict(f"alert {alert_id} is resolved; only active alerts can be acknowledged")
    return alert_snapshot(alert), changed


async def acknowledge_and_announce(
    session: AsyncSession,
    publisher: Publisher,
    tenant_id: int,
    alert_id: int,
    by: str,
    now: datetime,
) -> tuple[AlertSnapshot, bool]:
    """``acknowledge``, and once the acknowledgement commits, publish it on ``trading.alerts``."""
    alert, changed = await acknowledge(session, tenant_id, alert_id, by, now)
    if changed:

        async def announce() -> None:
            message = {"action": "acknowledged", "alert": alert}
            await publisher.publish(tenant_id, ALERTS_CHANNEL, message)

        after_commit(session, announce)
    return alert, changed
