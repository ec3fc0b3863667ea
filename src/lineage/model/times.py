"""RFC 3339 timestamps in UTC, the only time format lineage reads or writes."""

from __future__ import annotations

from datetime import UTC, datetime

from lineage.errors import InputError


def parse_time(text: object, field: str = "time") -> datetime:
    """Parse an RFC 3339 timestamp that carries a zone; returns an aware UTC datetime."""
    if not isinstance(text, str) or len(text) > 40:
        raise InputError("must be an RFC 3339 timestamp string", field=field)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{text!r} is not an RFC 3339 timestamp", field=field) from exc
    if value.tzinfo is None:
        raise InputError(f"{text!r} has no time zone (add Z for UTC)", field=field)
    return value.astimezone(UTC)


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
