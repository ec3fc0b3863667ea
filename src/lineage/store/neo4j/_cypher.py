"""Running parameterised Cypher over many rows: UNWIND chunks and keyset pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

Run = Callable[[str, dict[str, Any]], list[list[Any]]]
"""Runs one parameterised query and returns its rows."""

NEVER = 1 << 62
"""A time (and an entry bound) after everything: reads without ``as_of`` or snapshot."""
PAGE = 2000
CHUNK = 10_000
"""Rows (or ids) one UNWIND query takes."""


def in_chunks(
    run: Run, query: str, items: Sequence[Any], name: str = "rows", **params: Any
) -> list[list[Any]]:
    """Run ``query`` with ``$name`` bound to successive chunks of ``items`` (and the
    other ``params`` to the same values each time); all rows."""
    found: list[list[Any]] = []
    for start in range(0, len(items), CHUNK):
        found.extend(run(query, {**params, name: list(items[start : start + CHUNK])}))
    return found


def pages(run: Run, query: str, after: Any, page: int = PAGE, **params: Any) -> Iterator[list[Any]]:
    """Rows of a keyset-paginated query (``$after``, ``$page``) whose first column is its
    sort key."""
    while True:
        rows = run(query, {"after": after, "page": page, **params})
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][0]
