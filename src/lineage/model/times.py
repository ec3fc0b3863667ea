"""RFC 3339 timestamps in UTC, the only time format lineage reads or writes.

Reading is strict: ``YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)`` and nothing else — no
week or ordinal dates, no ``,`` fractions, no missing seconds, no zone-less times, no
leap second (Python cannot hold one), and at most six fraction digits (the precision
kept). Years are 0001-9999, also after the shift to UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from lineage.errors import InputError

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
MAX_TIME_TEXT = 40
BEGINNING = datetime(1, 1, 1, tzinfo=UTC)
"""The earliest time lineage reads or writes (``0001-01-01T00:00:00Z``)."""


def _shown(text: str) -> str:
    return repr(text[:MAX_TIME_TEXT])


def parse_time(text: object, field: str = "time") -> datetime:
    """Parse an RFC 3339 timestamp that carries a zone; returns an aware UTC datetime."""
    if not isinstance(text, str) or len(text) > MAX_TIME_TEXT:
        raise InputError("must be an RFC 3339 timestamp string", field=field)
    match = _RFC3339.fullmatch(text)
    if match is None:
        hint = " (add Z for UTC)" if re.fullmatch(r"[0-9:T.t-]+", text) else ""
        raise InputError(
            f"{_shown(text)} is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SSZ){hint}",
            field=field,
        )
    year, month, day, hour, minute, second, fraction, _, sign, zh, zm = match.groups()
    if fraction is not None and len(fraction) > 6:
        raise InputError(f"{_shown(text)} has more than microsecond precision", field=field)
    if int(second) == 60:
        raise InputError(f"{_shown(text)} is a leap second, which lineage cannot hold", field=field)
    try:
        offset = timedelta(hours=int(zh), minutes=int(zm)) if sign else timedelta(0)
        zone = timezone(-offset if sign == "-" else offset) if sign else UTC
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=zone,
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise InputError(
            f"{_shown(text)} is not an RFC 3339 timestamp: {exc}", field=field
        ) from exc


def format_time(value: datetime) -> str:
    """``2024-06-14T00:00:00Z`` form; microseconds only when present."""
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def now() -> datetime:
    """The current time in UTC, to the second (the precision of statements written by hand)."""
    return datetime.now(UTC).replace(microsecond=0)


def format_us(micros: int) -> str:
    """A time in microseconds since the epoch (as the projection stores it), formatted."""
    return format_time(datetime.fromtimestamp(micros / 1_000_000, UTC))
