"""Time windows: ``?from=&to=`` (dates or datetimes, ``to`` exclusive) or ``?days=N``."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from vantage.core.errors import ValidationFailed
from vantage.core.instants import OUT_OF_RANGE, YEAR_PATTERN, in_range

MAX_DAYS = 3660
MAX_BOUND_LENGTH = 40
# A date that exists in every year (29 February is accepted but not stated), then a time.
_DATE = (
    r"^[1-8][0-9]{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
)
_NAIVE_TIME = r"T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?$"
_UTC_MIDNIGHT = r"T00:00(?::00(?:\.0{1,6})?)?(?:Z|[+-]00:00)?$"
_A_DATE = {"type": "string", "format": "date", "pattern": YEAR_PATTERN}


def _bound(*forms: dict[str, Any]) -> WithJsonSchema:
    return WithJsonSchema({"anyOf": [{**form, "maxLength": MAX_BOUND_LENGTH} for form in forms]})


WindowBound = Annotated[
    str,
    _bound(
        _A_DATE,
        {"type": "string", "format": "date-time", "pattern": YEAR_PATTERN},
        {"type": "string", "pattern": _DATE + _NAIVE_TIME},
    ),
]
"""A window's edge as the schema states it: a date, or a datetime with or without an offset.

That ``to`` comes after ``from``, and that a window spans at most ``MAX_DAYS``, are rules
between parameters: no schema states them, a 422 answers them.
"""

DayBound = Annotated[str, _bound(_A_DATE, {"type": "string", "pattern": _DATE + _UTC_MIDNIGHT})]
"""The edge of a window of whole UTC days: a date, or a datetime at midnight UTC."""


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

    @property
    def span(self) -> str:
        """``start/end`` in ISO 8601: what an ETag or cache key names the window by."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

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


@dataclass(frozen=True)
class WindowQuery:
    """The ``from``/``to``/``days`` query parameters, before a default span applies."""

    start: str | None
    end: str | None
    days: int | None

    def resolve(self, default_days: int) -> TimeWindow:
        """The window asked for; the last ``default_days`` days when none is."""
        return resolve_window(self.start, self.end, self.days, default_days=default_days)


async def window_query(
    start: Annotated[
        WindowBound | None,
        Query(alias="from", max_length=MAX_BOUND_LENGTH, description="Start (inclusive)"),
    ] = None,
    end: Annotated[
        WindowBound | None,
        Query(alias="to", max_length=MAX_BOUND_LENGTH, description="End (exclusive)"),
    ] = None,
    days: Annotated[int | None, Query(ge=1, le=MAX_DAYS, description="The last N days")] = None,
) -> WindowQuery:
    """A dependency reading the window's parameters, for a default known only per request."""
    return WindowQuery(start, end, days)


def window_param(default_days: int = 30) -> Any:
    """A dependency reading ``from``/``to``/``days`` with a per-endpoint default span."""

    async def dependency(query: Annotated[WindowQuery, Depends(window_query)]) -> TimeWindow:
        return query.resolve(default_days)

    return Depends(dependency)
