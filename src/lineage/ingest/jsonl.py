"""Reading JSON Lines input with bounded line length and ``file:line`` locations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain
from typing import BinaryIO, TypeVar

from lineage.crypto.canonical import parse_json
from lineage.errors import InputError
from lineage.ledger.admission import Located
from lineage.model.batch import envelope_from_line

MAX_LINE_BYTES = 4 * 1024 * 1024
T = TypeVar("T")


def read_lines(
    stream: BinaryIO, name: str, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[str, bytes]]:
    """Yield (``name:line``, line) for each non-blank line; refuses over-long lines."""
    lineno = 0
    while line := stream.readline(MAX_LINE_BYTES + 1):
        lineno += 1
        if on_bytes:
            on_bytes(len(line))
        if len(line) > MAX_LINE_BYTES:
            raise InputError(
                f"line is longer than {MAX_LINE_BYTES} bytes", location=f"{name}:{lineno}"
            )
        if line.strip():
            yield f"{name}:{lineno}", line


def read_envelopes(
    stream: BinaryIO, name: str, on_bytes: Callable[[int], None] | None = None
) -> Iterator[Located]:
    """DSSE envelopes, one per line (a Lineage/v2 envelope with its batch items)."""
    for location, line in read_lines(stream, name, on_bytes):
        try:
            yield location, envelope_from_line(parse_json(line))
        except InputError as exc:
            raise exc.at(location) from exc


def non_empty(items: Iterator[T]) -> Iterator[T] | None:
    """``items``, its first one read now, or None when there is none (an empty input)."""
    for first in items:
        return chain((first,), items)
    return None
