"""The datetimes Vantage accepts: one rule for the API, the WebSocket and the importers.

An accepted datetime lies in [EARLIEST, LATEST). Python's datetimes end at the years 1 and
9999, and an offset moves a wall time by up to a day, so ``9999-12-31T23:00:00-05:00`` cannot
even be converted to UTC. The bounds leave centuries of room on both sides: converting to UTC,
and the window arithmetic that follows (spans of years, bucket edges), never overflows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
OUT_OF_RANGE = "must lie between the years 1000 and 8999"


def in_range(value: datetime) -> bool:
    """Whether ``value`` is acceptable; a naive value is judged by its wall time."""
    if value.tzinfo is None:
        # Any zone applied later moves it by less than a day: far inside the margin.
        value = value.replace(tzinfo=UTC)
    # Comparing aware datetimes with different offsets never overflows, unlike astimezone().
    return EARLIEST <= value < LATEST


def _validate(value: datetime) -> datetime:
    if not in_range(value):
        raise PydanticCustomError("datetime_range", OUT_OF_RANGE)
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_validate)]
"""A datetime with a zone or offset, in the accepted range (request bodies, events)."""

InstantOrNaive = Annotated[datetime, AfterValidator(_validate)]
"""A datetime in the accepted range; the caller decides what a missing zone means."""
