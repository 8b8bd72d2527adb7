"""The datetimes Vantage accepts: one rule for the API, the WebSocket and the importers.

An accepted datetime is written with a year from 1000 to 8999. Python's datetimes end at the
years 1 and 9999, and an offset moves a wall time by up to a day, so
``9999-12-31T23:00:00-05:00`` cannot even be converted to UTC. The bounds leave centuries of
room on both sides: converting to UTC, and the window arithmetic that follows (spans of years,
bucket edges), never overflows. The rule is judged on the wall time as written, offset aside,
so that it is a pattern the OpenAPI document can state (``YEAR_PATTERN``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

from vantage.core.openapi_schema import Documented

EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
OUT_OF_RANGE = "must lie between the years 1000 and 8999"
YEAR_PATTERN = r"^[1-8][0-9]{3}-"
"""The rule as a JSON Schema pattern on an ISO 8601 date or datetime."""


def in_range(value: datetime) -> bool:
    """Whether ``value`` is acceptable, judged by its wall time (its offset moves it < 1 day)."""
    return EARLIEST.year <= value.year < LATEST.year


def _validate(value: datetime) -> datetime:
    if not in_range(value):
        raise PydanticCustomError("datetime_range", OUT_OF_RANGE)
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_validate), Documented(pattern=YEAR_PATTERN)]
"""A datetime with a zone or offset, in the accepted range (request bodies, events)."""

InstantOrNaive = Annotated[datetime, AfterValidator(_validate), Documented(pattern=YEAR_PATTERN)]
"""A datetime in the accepted range; the caller decides what a missing zone means."""
