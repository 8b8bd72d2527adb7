"""Optional spend budgets: hold the most a request can cost before calling, settle after.

The hold is the price of the estimated prompt plus ``max_tokens`` of output, and the request is
sent upstream with that ``max_tokens``, so its real cost cannot exceed the hold (bar the error
of the prompt estimate). Holds and settlements are conditional updates on the database, atomic
across processes and hosts, so concurrent requests can never together overshoot a budget by
more than one request's estimation error. Unpriced models hold nothing (their cost is unknown).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from vantage.core.db import Database
from vantage.core.errors import RateLimited
from vantage.packs.gateway.domain.config_file import BudgetConfig
from vantage.packs.gateway.domain.pricing import from_nano, to_nano
from vantage.packs.gateway.repository import spend


@dataclass(frozen=True)
class BudgetSlot:
    scope: str
    subject: str
    period_start: date
    limit_nano: int
    period_end: datetime


@dataclass(frozen=True)
class Hold:
    tenant_id: int
    slots: tuple[BudgetSlot, ...]
    amount_nano: int


class BudgetExhausted(RateLimited):
    title = "Spend budget exhausted"


def period_bounds(period: str, now: datetime) -> tuple[date, datetime]:
    """The first day of the UTC day or month containing ``now``, and when it ends."""
    today = now.astimezone(UTC).date()
    if period == "day":
        start = today
        end = start + timedelta(days=1)
    else:
        start = today.replace(day=1)
        end = start + timedelta(days=calendar.monthrange(start.year, start.month)[1])
    return start, datetime.combine(end, time.min, tzinfo=UTC)


class BudgetGuard:
    """Holds and settles spend against the configured budgets."""

    def __init__(self, database: Database, budgets: Sequence[BudgetConfig]) -> None:
        self._database = database
        self._budgets = tuple(budgets)

    @property
    def enabled(self) -> bool:
        return bool(self._budgets)

    def _slots(self, user_hash: str | None, now: datetime) -> tuple[BudgetSlot, ...]:
        slots = []
        for budget in self._budgets:
            if budget.scope == "user" and not user_hash:
                continue
            start, end = period_bounds(budget.period, now)
            subject = f"{budget.period}:{user_hash}" if budget.scope == "user" else budget.period
            slots.append(BudgetSlot(budget.scope, subject, start, to_nano(budget.limit_usd), end))
        return tuple(slots)

    async def hold(
        self, tenant_id: int, user_hash: str | None, amount: Decimal, now: datetime
    ) -> Hold | None:
        """Reserve ``amount`` in every applicable budget at once, or raise ``BudgetExhausted``."""
        slots = self._slots(user_hash, now)
        if not slots:
            return None
        nano = to_nano(amount)
        async with self._database.transaction() as session:
            for slot in slots:
                await spend.ensure_ledger(
                    session, tenant_id, slot.scope, slot.subject, slot.period_start
                )
                taken = await spend.try_hold(
                    session,
                    tenant_id,
                    slot.scope,
                    slot.subject,
                    slot.period_start,
                    amount=nano,
                    limit=slot.limit_nano,
                )
                if not taken:
                    # Raising rolls back the holds already taken in this transaction.
                    raise self._exhausted(slot, now)
        return Hold(tenant_id, slots, nano)

    async def settle(self, hold: Hold | None, spent: Decimal | None) -> None:
        """Release the hold and book the real cost."""
        if hold is None:
            return
        spent_nano = to_nano(spent)
        async with self._database.transaction() as session:
            for slot in hold.slots:
                await spend.settle(
                    session,
                    hold.tenant_id,
                    slot.scope,
                    slot.subject,
                    slot.period_start,
                    held=hold.amount_nano,
                    spent=spent_nano,
                )

    async def spent(
        self, tenant_id: int, user_hash: str | None, now: datetime
    ) -> list[dict[str, object]]:
        """Each applicable budget's limit, spent and held amounts (for reporting)."""
        report: list[dict[str, object]] = []
        async with self._database.reader() as session:
            for slot in self._slots(user_hash, now):
                row = await spend.ledger(
                    session, tenant_id, slot.scope, slot.subject, slot.period_start
                )
                report.append(
                    {
                        "scope": slot.scope,
                        "period_start": slot.period_start,
                        "limit_usd": from_nano(slot.limit_nano),
                        "spent_usd": from_nano(row.spent_nanousd if row else 0),
                        "held_usd": from_nano(row.held_nanousd if row else 0),
                    }
                )
        return report

    @staticmethod
    def _exhausted(slot: BudgetSlot, now: datetime) -> BudgetExhausted:
        retry = max(1, int((slot.period_end - now).total_seconds()))
        return BudgetExhausted(
            f"The {slot.scope} spend budget of {from_nano(slot.limit_nano)} USD for this "
            f"{'day' if slot.subject.startswith('day') else 'month'} is used up "
            "(including requests in progress).",
            headers={"Retry-After": str(retry)},
            extra={"budget_scope": slot.scope, "limit_usd": str(from_nano(slot.limit_nano))},
        )
