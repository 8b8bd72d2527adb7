"""Time windows: ``?from=&to=`` (dates or datetimes, ``to`` exclusive) or ``?days=N``."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from vantage.core.errors import ValidationFailed
from vantage.core.instants import OUT_OF_RANGE, in_range

MAX_DAYS = 3660


class WindowOut(BaseModel):
    """The window an aggregate covers, as echoed in responses (``{"from", "to"}``)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: datetime = Field(alias="from")
    to: datetime


@dataclass(frozen=True)
class TimeWindow:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def out(self) -> WindowOut:
        return WindowOut(from_=self.start, to=self.end)


def _to_utc(value: str, loc: str) -> datetime:
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValidationFailed.field(
            ("query", loc), "expected a date (YYYY-MM-DD) or an ISO 8601 datetime"
        ) from error
    if not in_range(parsed):
        raise ValidationFailed.field(("query", loc), OUT_OF_RANGE)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _start_of_tomorrow(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=UTC)


def resolve_window(
    start: str | None,
    end: str | None,
    days: int | None,
    *,
    default_days: int,
    now: datetime | None = None,
) -> TimeWindow:
    """Turn the query parameters into a window; ``days`` counts whole days up to today."""
    now = now or datetime.now(UTC)
    if days is not None and (start or end):
        raise ValidationFailed.field(("query", "days"), "use either days or from/to, not both")
    if start is None and end is None:
        span = days if days is not None else default_days
        stop = _start_of_tomorrow(now)
        return TimeWindow(stop - timedelta(days=span), stop)
    stop = _to_utc(end, "to") if end else _start_of_tomorrow(now)
    begin = _to_utc(start, "from") if start else stop - timedelta(days=default_days)
    if stop <= begin:
        raise ValidationFailed.field(("query", "to"), "'to' must be after 'from'")
    if stop - begin > timedelta(days=MAX_DAYS):
        raise ValidationFailed.field(("query", "from"), f"a window spans at most {MAX_DAYS} days")
    return TimeWindow(begin, stop)


def window_param(default_days: int = 30) -> Any:
    """A dependency reading ``from``/``to``/``days`` with a per-endpoint default span."""

    async def dependency(
        start: Annotated[
            str | None, Query(alias="from", max_length=40, description="Start (inclusive)")
        ] = None,
        end: Annotated[
            str | None, Query(alias="to", max_length=40, description="End (exclusive)")
        ] = None,
        days: Annotated[int | None, Query(ge=1, le=MAX_DAYS, description="The last N days")] = None,
    ) -> TimeWindow:
        return resolve_window(start, end, days, default_days=default_days)

    return Depends(dependency)
