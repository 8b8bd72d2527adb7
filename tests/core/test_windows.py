from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from vantage.core.errors import ValidationFailed
from vantage.core.windows import resolve_window

NOW = datetime(2025, 3, 10, 15, 30, tzinfo=UTC)


def test_days_counts_whole_days_up_to_today() -> None:
    window = resolve_window(None, None, 7, default_days=30, now=NOW)
    assert window.start == datetime(2025, 3, 4, tzinfo=UTC)
    assert window.end == datetime(2025, 3, 11, tzinfo=UTC)


def test_default_span_applies_without_parameters() -> None:
    window = resolve_window(None, None, None, default_days=30, now=NOW)
    assert window.days == 30


def test_dates_are_midnight_utc_and_to_is_exclusive() -> None:
    window = resolve_window("2025-01-01", "2025-01-31", None, default_days=30, now=NOW)
    assert window.start == datetime(2025, 1, 1, tzinfo=UTC)
    assert window.end == datetime(2025, 1, 31, tzinfo=UTC)


def test_datetimes_with_offsets_become_utc() -> None:
    window = resolve_window("2025-01-01T02:00:00+02:00", None, None, default_days=3, now=NOW)
    assert window.start == datetime(2025, 1, 1, tzinfo=UTC)
    assert window.end == datetime(2025, 3, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "days", "loc"),
    [
        ("2025-02-01", "2025-01-01", None, "to"),
        ("2025-01-01", "2025-01-01", None, "to"),
        ("yesterday", None, None, "from"),
        (None, "2025-13-01", None, "to"),
        ("2025-01-01", None, 7, "days"),
        ("2000-01-01", "2025-01-01", None, "from"),
    ],
)
def test_bad_windows_name_the_parameter(
    start: str | None, end: str | None, days: int | None, loc: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        resolve_window(start, end, days, default_days=30, now=NOW)
    assert caught.value.errors is not None
    assert caught.value.errors[0]["loc"] == ["query", loc]


async def test_window_over_http(sqlite_admin_client: httpx.AsyncClient) -> None:
    body = (
        await sqlite_admin_client.get("/api/v1/testpack/window?from=2025-01-01&to=2025-01-08")
    ).json()
    assert body == {
        "window": {"from": "2025-01-01T00:00:00Z", "to": "2025-01-08T00:00:00Z"},
        "days": 7.0,
    }
    bad = await sqlite_admin_client.get("/api/v1/testpack/window?from=2025-01-08&to=2025-01-01")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "to"]
    zero = await sqlite_admin_client.get("/api/v1/testpack/window?days=0")
    assert zero.status_code == 422
