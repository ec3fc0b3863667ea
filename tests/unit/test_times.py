"""RFC 3339 is the only time format: what it accepts, what it refuses and how it says so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lineage.errors import InputError
from lineage.model.times import format_time, parse_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-14T00:00:00Z", datetime(2024, 6, 14, tzinfo=UTC)),
        ("2024-06-14t00:00:00z", datetime(2024, 6, 14, tzinfo=UTC)),
        ("2024-06-14T02:30:00+02:30", datetime(2024, 6, 14, 0, 0, tzinfo=UTC)),
        ("2024-06-13T22:00:00-02:00", datetime(2024, 6, 14, 0, 0, tzinfo=UTC)),
        ("2024-06-14T00:00:00.5Z", datetime(2024, 6, 14, 0, 0, 0, 500_000, tzinfo=UTC)),
        ("2024-06-14T00:00:00.123456Z", datetime(2024, 6, 14, 0, 0, 0, 123_456, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_are_read_in_utc(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2024-W24-5T00:00:00Z", "not an RFC 3339 timestamp"),
        ("2024-166T00:00:00Z", "not an RFC 3339 timestamp"),
        ("2024-06-14T00Z", "not an RFC 3339 timestamp"),
        ("2024-06-14T00:00Z", "not an RFC 3339 timestamp"),
        ("2024-06-14T00:00:00,5Z", "not an RFC 3339 timestamp"),
        ("2024-06-14T00:00:00", "add Z for UTC"),
        ("2024-06-14", "add Z for UTC"),
        ("2024-06-14 00:00:00Z", "not an RFC 3339 timestamp"),
        ("2024-06-14T00:00:00Z\n", "not an RFC 3339 timestamp"),
        ("2024-06-14T00:00:00\x00Z", "not an RFC 3339 timestamp"),
        ("２０２４-06-14T00:00:00Z", "not an RFC 3339 timestamp"),
        ("2024-06-14T00:00:00.1234567Z", "more than microsecond precision"),
        ("2024-06-30T23:59:60Z", "leap second"),
        ("2024-02-30T00:00:00Z", "not an RFC 3339 timestamp: "),
        ("2024-13-01T00:00:00Z", "not an RFC 3339 timestamp: "),
        ("2024-06-14T24:00:00Z", "not an RFC 3339 timestamp: "),
        ("2024-06-14T00:00:00+24:00", "not an RFC 3339 timestamp: "),
        ("0000-01-01T00:00:00Z", "not an RFC 3339 timestamp: "),
        ("0001-01-01T00:00:00+01:00", "not an RFC 3339 timestamp: "),
        ("9999-12-31T23:00:00-02:00", "not an RFC 3339 timestamp: "),
    ],
)
def test_anything_else_is_one_clear_error(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem) as caught:
        parse_time(text, "at")
    assert caught.value.field == "at"
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("value", [None, 5, "x" * 41, b"2024-06-14T00:00:00Z"])
def test_non_strings_and_long_strings_are_refused(value: object) -> None:
    with pytest.raises(InputError, match="must be an RFC 3339 timestamp string"):
        parse_time(value)


def test_formatting_round_trips() -> None:
    for text in ("2024-06-14T00:00:00Z", "2024-06-14T00:00:00.250000Z"):
        assert format_time(parse_time(text)) == text
